"""Sidecars: `OUT.sao.json` records the input, every step and the output, so that
`sao replay` can re-render a result and check that nothing changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import __version__
from .audio_io import Audio, atomic_write_text
from .errors import UsageError
from .plan import EditPlan

SIDECAR_VERSION = 1
AUDIO_MAGIC = (b"RIFF", b"RF64", b"fLaC", b"OggS", b"FORM", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")  # WAV, FLAC, Ogg, AIFF, MP3


def sidecar_path(output: str | os.PathLike) -> Path:
    """`take.wav` -> `take.wav.sao.json`."""
    return Path(f"{output}.sao.json")


def step_record(plan: EditPlan, seed: int | None = None, model: dict | None = None, settings: dict | None = None) -> dict:
    return {"instruction": plan.instruction, "plan": plan.to_dict(), "seed": seed, "model": model, "settings": settings}


def make_sidecar(input_path: str, source: Audio, steps: list[dict], output_path: str, output_sha256: str, output_format: dict,
                 warnings: list[str] | None = None) -> dict:
    """`output_format` (sample_rate, channels, bits, clip) lets replay write the same file; `warnings`
    (what the edit decided on the user's behalf: a short file's loudness, limited peaks) are kept beside."""
    sidecar = {
        "version": SIDECAR_VERSION,
        "sao_version": __version__,
        "input": {
            "path": input_path if input_path == "-" else os.path.abspath(input_path),
            "sha256": source.sha256,
            "sample_rate": source.sample_rate,
            "channels": source.channels,
            "frames": source.frames,
        },
        "steps": steps,
        "output": {"path": output_path if output_path == "-" else os.path.abspath(output_path), "sha256": output_sha256, **output_format},
    }
    if warnings:
        sidecar["warnings"] = list(warnings)
    return sidecar


def write_sidecar(path: str | os.PathLike, data: dict) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def read_sidecar(path: str | os.PathLike) -> dict:
    """Load and check a sidecar; a usage error (exit 2) if it is not one."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such sidecar") from None
    except OSError as e:
        raise UsageError(f"{path}: not a readable sidecar ({e.strerror})") from None
    if raw.startswith(AUDIO_MAGIC):
        side = sidecar_path(path)
        raise UsageError(f"{path}: is an audio file, not a sidecar",
                         f"Its sidecar: sao replay {side}" if side.exists() else "Give the OUT.sao.json written beside an edit's output.")
    try:
        data = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: not a sidecar (not JSON: {e})") from None
    if not isinstance(data, dict) or not {"input", "steps", "output"} <= set(data):
        raise UsageError(f"{path}: not a sao sidecar (needs input, steps and output)")
    if data.get("version") != SIDECAR_VERSION:
        raise UsageError(f"{path}: sidecar version {data.get('version')} is not supported")
    for step in data["steps"]:
        EditPlan.from_dict(step.get("plan") or {})
    return data
