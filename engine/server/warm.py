"""The server's one loaded editor, kept warm between jobs.

The weights are keyed by (device, precision): a job on the same key reuses
them through `SaoInstructEditor.with_settings` (its own steps, cfg, strength,
seed, batch size and window); a job that asks for another device or precision
replaces them (the old ones are dropped first, so two copies never share the
device). The server's model is fixed when it starts, and a job for another
model is refused: its client runs it in-process instead.

A job's "auto" device means the server's own --device. The worker loads the
weights at start (warm_up), so the first job does not wait for them while
`--status` already answers; DSP-only servers (no model) never import torch.
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import fields

from engine.errors import UsageError

log = logging.getLogger("sao.serve")


class WarmEditor:
    def __init__(self, model: str | None, device: str = "auto", precision: str = "fp32"):
        self.model = model
        self.device = device  # the server's --device until the weights load, then the one they are on
        self.precision = precision
        self._requested_device = device
        self._editor = None
        self._key: tuple[str, str] | None = None

    def check_model(self, requested: str | None) -> None:
        """Refuse a job for another model (None: whatever this server serves)."""
        if requested is not None and not _same_path(requested, self.model):
            raise UsageError(f"this sao server serves {self.model or 'no model'}, not {requested}",
                             hint="Run it in-process with --server off, or start a server with that --model.")

    def warm_up(self) -> None:
        if self.model is not None:
            self._loaded(self._requested_device, self.precision)

    def for_job(self, job) -> object | None:
        """The editor for this job's settings; None when the server has no model (the step then fails with exit 6)."""
        if self.model is None:
            return None
        from engine.neural.editor import NeuralSettings

        settings = settings_from_dict(NeuralSettings, job.settings or {})
        device = self._requested_device if settings.device == "auto" else settings.device
        return self._loaded(device, settings.precision).with_settings(settings)

    def _loaded(self, device: str, precision: str):
        from engine.neural.editor import NeuralSettings, load_editor, resolve_device

        key = (resolve_device(device), precision)
        if self._key != key:
            if self._editor is not None:
                self._editor = self._key = None  # free the old weights before loading new ones
                _release_device_memory()
            log.info(f"loading {self.model} on {key[0]} ({precision})")
            self._editor = load_editor(self.model, NeuralSettings(device=key[0], precision=precision))
            self._key = key
            self.device, self.precision = self._editor.device, self._editor.precision
            log.info(f"model {self._editor.name} ready on {self.device} ({self.precision})")
        return self._editor

    def describe(self) -> dict | None:
        if self.model is None:
            return None
        loaded = self._editor
        return {"path": self.model, "loaded": loaded is not None,
                "name": getattr(loaded, "name", None), "sha256": getattr(loaded, "sha256", None)}


def settings_from_dict(cls, d: dict):
    """Checked NeuralSettings from a job's plain dict; an unknown or mistyped field is a usage error."""
    unknown = sorted(set(d) - {f.name for f in fields(cls)})
    if unknown:
        raise UsageError(f"unknown neural setting(s): {', '.join(unknown)}")
    try:
        settings = cls(**d)
        settings.check()
    except TypeError as e:  # e.g. "steps": "many"
        raise UsageError(f"bad neural settings: {e}") from None
    return settings


def _same_path(a: str, b: str | None) -> bool:
    return b is not None and os.path.realpath(a) == os.path.realpath(b)


def _release_device_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
