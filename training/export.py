"""`sao train export`: a run's checkpoint -> the model folder that `sao edit --model` loads.

A checkpoint holds the trained DiT and its EMA (module.py leaves the frozen
parts out). The VAE, the seconds embedders and the text encoder come from the
base model the run names in run.json (or `--base`), and must be the very
weights the run was trained with: their SHA-256 is recorded in every checkpoint
and checked here, so a base that changed on disk is refused rather than
silently paired with a DiT trained against another VAE.

`--format stable-audio-tools` writes `config.json` + `model.safetensors`
instead (sat_format.py), for stable-audio-tools' own scripts.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.errors import UsageError

from .run import CHECKPOINTS, LAST, RUN_FILE

FORMATS = ("folder", "stable-audio-tools")


def find_checkpoint(source: Path) -> tuple[Path, Path | None]:
    """(checkpoint file, run folder or None) for a run folder or a .ckpt file inside one."""
    source = Path(source)
    if source.is_file():
        run = source.parent.parent
        return source, run if (run / RUN_FILE).is_file() else None
    if not source.is_dir():
        raise UsageError(f"{source}: no such run folder or checkpoint")
    if not (source / RUN_FILE).is_file():
        raise UsageError(f"{source}: not a training run (no {RUN_FILE})")
    checkpoint = source / CHECKPOINTS / LAST
    if not checkpoint.is_file():
        raise UsageError(f"{source}: the run has no checkpoint yet ({CHECKPOINTS}/{LAST})")
    return checkpoint, source


def load_checkpoint(path: Path) -> dict:
    """The checkpoint's contents, read with weights_only=True (a pickle needing code is refused, never run)."""
    import torch

    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # corrupt, truncated or foreign files raise many types
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise UsageError(f"{path}: unreadable checkpoint: {reason}") from None
    if not isinstance(ckpt, dict) or "sao_model_config" not in ckpt or "state_dict" not in ckpt:
        raise UsageError(f"{path}: not a `sao train` checkpoint")
    return ckpt


def dit_weights(ckpt: dict, ema: bool) -> dict:
    """The DiT's state dict: the trained weights, or their EMA."""
    prefix = "ema.module." if ema else "dit."
    weights = {k[len(prefix):]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)}
    if not weights:
        raise UsageError(f"the checkpoint holds no {'EMA ' if ema else ''}DiT weights")
    return weights


def base_folder(ckpt: dict, run: Path | None, base: str | None) -> Path:
    """The base model folder, checked to hold the weights the run was trained with."""
    from engine.neural.folder import read_config, weights_sha256
    from engine.neural.sources import resolve_model

    if base is None:
        if run is None:
            raise UsageError("this checkpoint is not inside a run folder; name its base model with --base")
        base = json.loads((run / RUN_FILE).read_text())["base"]
    folder = resolve_model(base)
    sha = read_config(folder).get("weights_sha256") or weights_sha256(folder)
    if sha != ckpt.get("sao_base_sha256"):
        raise UsageError(f"{base} is not the base model this run was trained from (its weights differ)",
                         hint="Pass the run's base model with --base.")
    return folder


def export(source: Path, dest: Path, ema: bool = False, fmt: str = "folder", base: str | None = None,
           force: bool = False) -> Path:
    """Write the model in `source` (a run folder or one of its checkpoints) to `dest`."""
    from safetensors.torch import load_file

    from engine.errors import OutputRefused
    from engine.neural.folder import (
        LOCAL_TEXT_ENCODER,
        WEIGHT_FILES,
        write_model_folder,
    )

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    dest = Path(dest)
    if dest.exists() and not force and (not dest.is_dir() or any(dest.iterdir())):
        raise OutputRefused(f"{dest} exists; pass --force to replace it")
    path, run = find_checkpoint(source)
    ckpt = load_checkpoint(path)
    folder = base_folder(ckpt, run, base)
    cfg = {k: v for k, v in ckpt["sao_model_config"].items() if k != "weights_sha256"}
    weights = {part: load_file(str(folder / WEIGHT_FILES[part])) for part in ("vae", "projection")}
    weights["dit"] = dit_weights(ckpt, ema)
    if fmt == "stable-audio-tools":
        from .sat_format import write_sat_checkpoint

        return write_sat_checkpoint(dest, cfg, weights, force=force)
    local = cfg["text_encoder"]["path"] == LOCAL_TEXT_ENCODER
    return write_model_folder(dest, cfg, weights, text_encoder=folder / LOCAL_TEXT_ENCODER if local else None,
                              tokenizer=folder / "tokenizer" if local else None, force=force)
