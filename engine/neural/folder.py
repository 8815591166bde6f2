"""Reading and writing the model folder (docs/models.md).

    MODEL_DIR/sao_model.json, dit.safetensors, vae.safetensors, projection.safetensors,
              text_encoder/ and tokenizer/ (when the config's text encoder path is "text_encoder")

Writing is atomic: everything goes into a hidden sibling folder that is renamed
into place last, so an interrupted write or conversion never leaves a folder that
looks complete. The config records `weights_sha256` (see `weights_sha256`), which
sidecars quote as the model's identity without hashing gigabytes on every load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Mapping

from engine.errors import OutputRefused, UsageError

from .configs import check_config

CONFIG_FILE = "sao_model.json"
WEIGHT_FILES = {"dit": "dit.safetensors", "vae": "vae.safetensors", "projection": "projection.safetensors"}
LOCAL_TEXT_ENCODER = "text_encoder"


def is_model_folder(path: Path) -> bool:
    return (Path(path) / CONFIG_FILE).is_file()


def read_config(folder: Path) -> dict:
    """The folder's checked config. UsageError (exit 2) names the first problem."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    try:
        cfg = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"{folder}: not a sao model folder (no {CONFIG_FILE})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: unreadable: {e}") from None
    if not isinstance(cfg, dict):
        raise UsageError(f"{path}: expected a JSON object")
    problems = check_config(cfg)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise UsageError(f"{path}: {problems[0]}{more}")
    missing = [name for name in WEIGHT_FILES.values() if not (folder / name).is_file()]
    if cfg["text_encoder"]["path"] == LOCAL_TEXT_ENCODER:
        missing += [d + "/" for d in (LOCAL_TEXT_ENCODER, "tokenizer") if not (folder / d).is_dir()]
    if missing:
        raise UsageError(f"{folder}: incomplete model folder, missing {', '.join(missing)}")
    return cfg


def weights_sha256(folder: Path) -> str:
    """SHA-256 of dit, vae and projection .safetensors, read in that order as one stream."""
    digest = hashlib.sha256()
    for name in WEIGHT_FILES.values():
        with open(Path(folder) / name, "rb") as f:
            while chunk := f.read(1 << 24):
                digest.update(chunk)
    return digest.hexdigest()


def write_model_folder(
    dest: Path,
    cfg: dict,
    weights: Mapping[str, Mapping[str, "object"]],
    text_encoder=None,
    tokenizer=None,
    force: bool = False,
) -> Path:
    """Write a complete model folder at `dest`, atomically.

    weights: {"dit": state dict, "vae": .., "projection": ..} of torch tensors.
    text_encoder / tokenizer: objects with `save_pretrained`, or folders to copy;
    needed when cfg's text encoder path is "text_encoder".
    Refuses (exit 4) an existing non-empty `dest` unless `force`.
    """
    from safetensors.torch import save_file

    dest = Path(dest)
    if dest.exists() and not force and (not dest.is_dir() or any(dest.iterdir())):
        raise OutputRefused(f"{dest} exists; pass --force to replace it")
    problems = check_config(cfg)
    if problems:
        raise UsageError(f"model config: {problems[0]}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for part, name in WEIGHT_FILES.items():
            tensors = {k: v.detach().to("cpu").contiguous() for k, v in weights[part].items()}
            save_file(tensors, str(tmp / name), metadata={"format": "pt"})
            os.chmod(tmp / name, 0o644)  # safetensors writes 0600; a model folder is meant to be shared
        for sub, obj in ((LOCAL_TEXT_ENCODER, text_encoder), ("tokenizer", tokenizer)):
            if isinstance(obj, (str, os.PathLike)):
                shutil.copytree(obj, tmp / sub)
            elif obj is not None:
                obj.save_pretrained(str(tmp / sub))
        cfg = dict(cfg, weights_sha256=weights_sha256(tmp))
        (tmp / CONFIG_FILE).write_text(json.dumps(cfg, indent=2) + "\n")
        read_config(tmp)  # the folder must read back before it takes dest's place
        _move_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def folder_size(path: Path) -> int:
    """Bytes under `path`, following links (the hub cache links snapshots to blobs)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _move_into_place(tmp: Path, dest: Path) -> None:
    if not dest.exists():
        tmp.rename(dest)
        return
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    if dest.is_dir():
        dest.rename(old)
    else:
        dest.replace(old)
    tmp.rename(dest)
    if old.is_dir():
        shutil.rmtree(old)
    else:
        old.unlink()
