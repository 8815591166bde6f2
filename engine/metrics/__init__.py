"""Metrics for judging edits, as the SAO-Instruct paper and AudioLDM's evaluation define them.

One module per family: `spectral` (LSD, STFT, multi-resolution STFT and mel
distances), `sisdr` (SI-SDR, SI-SNR), `frechet` (FD on embeddings),
`classifier` (KL, IS on class logits), `embeddings` (PANNs CNN14 and CLAP, the
only part that imports torch, lazily). `folders` pairs and scores folders of
files for `sao eval`; `datagen.eval_suite` uses `signal_metrics` for the
deterministic-task benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sisdr import si_sdr, si_snr
from .spectral import lsd, mr_mel_distance, mr_stft_distance, stft_distance


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool


METRICS = {
    m.key: m
    for m in (
        Metric("lsd", "LSD", False),
        Metric("stft", "STFT", False),
        Metric("mr_stft", "MR-STFT", False),
        Metric("mr_mel", "MR-MEL", False),
        Metric("si_sdr", "SI-SDR (dB)", True),
        Metric("si_snr", "SI-SNR (dB)", True),
        Metric("fd_panns", "FD (PANNs)", False),
        Metric("fd_clap", "FD (CLAP)", False),
        Metric("kl_softmax", "KL (softmax)", False),
        Metric("kl_sigmoid", "KL (sigmoid)", False),
        Metric("is", "IS", True),
        Metric("clap_score", "CLAP score", True),
    )
}
SIGNAL_METRICS = ("lsd", "stft", "mr_stft", "mr_mel", "si_sdr", "si_snr")


def signal_metrics(ref: np.ndarray, est: np.ndarray, sample_rate: int, keys: tuple[str, ...] = SIGNAL_METRICS) -> dict[str, float]:
    """The paired signal metrics of `est` against `ref` (same sample rate), by key."""
    functions = {
        "lsd": lambda: lsd(ref, est),
        "stft": lambda: stft_distance(ref, est),
        "mr_stft": lambda: mr_stft_distance(ref, est),
        "mr_mel": lambda: mr_mel_distance(ref, est, sample_rate),
        "si_sdr": lambda: si_sdr(ref, est),
        "si_snr": lambda: si_snr(ref, est),
    }
    return {k: functions[k]() for k in keys}


__all__ = [
    "METRICS",
    "SIGNAL_METRICS",
    "Metric",
    "lsd",
    "mr_mel_distance",
    "mr_stft_distance",
    "si_sdr",
    "si_snr",
    "signal_metrics",
    "stft_distance",
]
