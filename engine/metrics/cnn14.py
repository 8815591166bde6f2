"""PANNs CNN14 (Kong et al. 2020, "PANNs: Large-Scale Pretrained Audio Neural Networks"), in torch.

Written from the paper's description so that the released AudioSet checkpoints
(`Cnn14_mAP=0.431.pth` at 32 kHz, `Cnn14_16k_mAP=0.438.pth` at 16 kHz; the
weights under the key "model") load by key, every weight present. The module and
parameter names therefore mirror that state dict: `spectrogram_extractor.stft.
conv_real/conv_imag` hold the windowed DFT as 1-D convolution kernels and
`logmel_extractor.melW` the mel filterbank, both stored in the checkpoint.

Inference only: no SpecAugment, no mixup, dropout off under eval().
Imports torch at module level: import this module only where torch is wanted
(engine.metrics.embeddings does so lazily).
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .spectral import mel_filterbank


@dataclass(frozen=True)
class Cnn14Config:
    """The front end and widths. The defaults are the 32 kHz AudioSet checkpoint's."""

    sample_rate: int = 32000
    n_fft: int = 1024
    hop: int = 320
    mel_bins: int = 64
    fmin: float = 50.0
    fmax: float = 14000.0
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048)
    classes: int = 527

    def to_dict(self) -> dict:
        return {**asdict(self), "widths": list(self.widths)}

    @classmethod
    def from_dict(cls, d: dict) -> Cnn14Config:
        return cls(**{**d, "widths": tuple(d["widths"])})


# The two released checkpoints differ only in the front end; it is inferred from the FFT size.
FRONT_ENDS = {1024: dict(sample_rate=32000, hop=320, fmax=14000.0), 512: dict(sample_rate=16000, hop=160, fmax=8000.0)}


class _DFT(nn.Module):
    """The STFT as two 1-D convolutions with Hann-windowed cosine and sine kernels."""

    def __init__(self, n_fft: int):
        super().__init__()
        bins = n_fft // 2 + 1
        window = np.hanning(n_fft + 1)[:-1]
        phase = 2 * np.pi * np.outer(np.arange(bins), np.arange(n_fft)) / n_fft
        self.conv_real = nn.Conv1d(1, bins, n_fft, bias=False)
        self.conv_imag = nn.Conv1d(1, bins, n_fft, bias=False)
        self.conv_real.weight.data = torch.tensor(np.cos(phase) * window, dtype=torch.float32)[:, None, :]
        self.conv_imag.weight.data = torch.tensor(-np.sin(phase) * window, dtype=torch.float32)[:, None, :]


class PowerSpectrogram(nn.Module):
    """|STFT|², centred with reflect padding; (batch, samples) -> (batch, 1, frames, bins)."""

    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.stft = _DFT(n_fft)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x[:, None, :], (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        real = F.conv1d(x, self.stft.conv_real.weight, stride=self.hop)
        imag = F.conv1d(x, self.stft.conv_imag.weight, stride=self.hop)
        return (real**2 + imag**2).transpose(1, 2)[:, None]


class LogMel(nn.Module):
    """Power spectrogram -> log-mel in dB (10·log10, floor 1e-10, no top-dB clipping)."""

    def __init__(self, cfg: Cnn14Config):
        super().__init__()
        fb = mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.mel_bins, cfg.fmin, cfg.fmax)
        self.melW = nn.Parameter(torch.tensor(fb.T, dtype=torch.float32), requires_grad=False)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        return 10.0 * torch.log10(torch.clamp(power @ self.melW, min=1e-10))


class ConvBlock(nn.Module):
    """Two 3×3 convolutions with batch norm and ReLU, then average pooling."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor, pool: tuple[int, int]) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return F.avg_pool2d(x, pool)


class Cnn14(nn.Module):
    """CNN14: log-mel front end, six conv blocks, global pooling, an embedding layer and class logits.

    forward(waveform (batch, samples) at cfg.sample_rate) -> (embedding, logits):
    the embedding is the ReLU of fc1 (2048-d at full size), the vector AudioLDM's
    FD uses; sigmoid(logits) are the AudioSet class probabilities.
    """

    def __init__(self, cfg: Cnn14Config = Cnn14Config()):
        super().__init__()
        self.cfg = cfg
        self.spectrogram_extractor = PowerSpectrogram(cfg.n_fft, cfg.hop)
        self.logmel_extractor = LogMel(cfg)
        self.bn0 = nn.BatchNorm2d(cfg.mel_bins)
        widths = (1, *cfg.widths)
        for i in range(6):
            setattr(self, f"conv_block{i + 1}", ConvBlock(widths[i], widths[i + 1]))
        self.fc1 = nn.Linear(cfg.widths[-1], cfg.widths[-1])
        self.fc_audioset = nn.Linear(cfg.widths[-1], cfg.classes)
        self._init_random()

    def _init_random(self) -> None:
        """He initialisation, so that a random model (tests, benchmarks) passes signal through all
        twelve convolutions; torch's default shrinks it about 3x per layer, leaving embeddings that
        are just fc1's bias. A checkpoint overwrites all of this."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and not isinstance(m, nn.Conv1d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.logmel_extractor(self.spectrogram_extractor(waveform))  # (batch, 1, frames, mels)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)  # normalise each mel band
        for i in range(1, 7):
            x = getattr(self, f"conv_block{i}")(x, (2, 2) if i < 6 else (1, 1))
        x = x.mean(dim=3)  # over frequency
        x = x.max(dim=2).values + x.mean(dim=2)  # over time: max plus mean
        embedding = F.relu(self.fc1(x))
        return embedding, self.fc_audioset(embedding)

    @property
    def min_samples(self) -> int:
        """Shortest input the five 2×2 poolings accept: 32 frames."""
        return 31 * self.cfg.hop + 1

    def checkpoint(self) -> dict:
        """The released checkpoints' layout, plus our config so a non-standard size reloads."""
        return {"model": self.state_dict(), "sao_config": self.cfg.to_dict()}


def config_from_state(state: dict, stored: dict | None = None) -> Cnn14Config:
    """The config a state dict was made with: stored by sao, else inferred from its shapes."""
    if stored:
        return Cnn14Config.from_dict(stored)
    n_fft = state["spectrogram_extractor.stft.conv_real.weight"].shape[-1]
    if n_fft not in FRONT_ENDS:
        raise ValueError(f"an FFT size of {n_fft} matches no released CNN14 checkpoint (1024 at 32 kHz, 512 at 16 kHz)")
    widths = tuple(state[f"conv_block{i}.conv1.weight"].shape[0] for i in range(1, 7))
    return Cnn14Config(n_fft=n_fft, mel_bins=state["bn0.weight"].shape[0], widths=widths,
                       classes=state["fc_audioset.weight"].shape[0], **FRONT_ENDS[n_fft])


def _load(path: str) -> dict:
    """Weights only where possible; a training checkpoint that also pickled other state
    (sampler, statistics) is refused by weights_only, and is then read in full: the user named it."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        return torch.load(path, map_location="cpu", weights_only=False)


def load_cnn14(path: str) -> Cnn14:
    """A CNN14 from a checkpoint file (weights under "model"), in eval mode on the CPU.

    Raises ValueError with a one-line reason for a file that is not such a checkpoint.
    """
    try:
        ckpt = _load(path)
    except Exception as e:  # pickle, zip and torch errors all mean "not a checkpoint we can read"
        raise ValueError(f"not a readable torch checkpoint ({type(e).__name__})") from None
    state = ckpt.get("model", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or "fc_audioset.weight" not in state:
        raise ValueError("not a PANNs CNN14 checkpoint (no CNN14 weights under 'model')")
    model = Cnn14(config_from_state(state, ckpt.get("sao_config")))
    missing, _unexpected = model.load_state_dict(state, strict=False)  # extra keys (training state) are fine
    if missing:
        raise ValueError(f"not a CNN14 checkpoint: {len(missing)} weights missing, e.g. {missing[0]}")
    return model.eval()
