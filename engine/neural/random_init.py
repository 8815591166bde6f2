"""`sao models init-random`: a model folder with random weights and no downloads.

tiny: the real network shapes scaled down (configs._TINY), for tests and trying
the pipeline; a 2 s edit runs in well under a second on a CPU.
full: the real architecture (1.06 B DiT parameters for sao-instruct, a t5-base
sized encoder), for speed and memory measurements. Its tokenizer is the offline
byte tokenizer, so its outputs mean nothing, only its costs do.
"""

from __future__ import annotations

from pathlib import Path

from engine.errors import OutputRefused

from . import configs
from .folder import LOCAL_TEXT_ENCODER, write_model_folder
from .tokenizer import byte_tokenizer


def init_random(dest: Path, size: str = "tiny", fmt: str = "sao-instruct", seed: int = 0, force: bool = False) -> Path:
    """Build, randomly initialise (seeded: same seed, same bytes) and write a model folder."""
    import torch
    from diffusers import AutoencoderOobleck, StableAudioDiTModel
    from diffusers.pipelines.stable_audio.modeling_stable_audio import StableAudioProjectionModel
    from transformers import T5Config, T5EncoderModel

    from .loader import quiet

    if size not in configs.SIZES:
        raise ValueError(f"size must be one of {configs.SIZES}")
    dest = Path(dest)
    if dest.exists() and not force and (not dest.is_dir() or any(dest.iterdir())):
        raise OutputRefused(f"{dest} exists; pass --force to replace it")  # before minutes of work at full size
    cfg = configs.build_config(fmt, size, text_encoder=LOCAL_TEXT_ENCODER)
    torch.manual_seed(seed)
    with quiet():
        weights = {
            "dit": StableAudioDiTModel(**cfg["dit"]).state_dict(),
            "vae": AutoencoderOobleck(**cfg["vae"]).state_dict(),
            "projection": StableAudioProjectionModel(**cfg["projection"]).state_dict(),
        }
        text_encoder = T5EncoderModel(T5Config(**configs.t5_config(size)))
        tokenizer = byte_tokenizer(cfg["text_encoder"]["max_length"])
        return write_model_folder(dest, cfg, weights, text_encoder=text_encoder, tokenizer=tokenizer, force=force)
