"""Which models made a sample: `base_model` and `clap` in its manifest line, each {"name", "sha256"}.

The base model's identity is the one sidecars record (the folder name and
engine.neural.folder.weights_sha256 of its DiT, VAE and projection weights).
CLAP's is the name or folder it was loaded from and the SHA-256 of its weight
files (`*.safetensors`, else `*.bin`, read in name order as one stream), from
the folder or the hub cache's snapshot. The manual pipeline uses neither: null.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def model_identity(bundle) -> dict:
    """{"name", "sha256"} of a ModelBundle, as sidecars record it."""
    return {"name": bundle.name, "sha256": bundle.sha256}


def clap_identity(clap) -> dict:
    """{"name", "sha256"} of a ClapEmbedder's checkpoint (transformers keeps the name it was loaded from)."""
    name = str(clap.model.name_or_path)
    return {"name": name, "sha256": weights_sha256(_folder(name))}


def _folder(name: str) -> Path:
    if Path(name).is_dir():
        return Path(name)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(name, local_files_only=True))  # ClapEmbedder.load found it there


def weights_sha256(folder: Path) -> str:
    files = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    if not files:
        raise FileNotFoundError(f"{folder}: no *.safetensors or *.bin weights")
    digest = hashlib.sha256()
    for path in files:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 24):
                digest.update(chunk)
    return digest.hexdigest()
