"""Scale-invariant signal-to-distortion and signal-to-noise ratios, in dB (higher is better)."""

from __future__ import annotations

import numpy as np

from .signals import paired

EPS = 1e-12


def si_sdr(ref: np.ndarray, est: np.ndarray, zero_mean: bool = False) -> float:
    """SI-SDR in dB, per channel then averaged.

    Follows Le Roux et al. 2019, "SDR – half-baked or well done?": the estimate
    is projected on the reference, target = a·ref with a = <est, ref> / ||ref||²,
    and SI-SDR = 10·log10(||target||² / ||est − target||²). Rescaling the
    estimate does not change it. Identical signals give a very large value
    (bounded only by EPS, about +200 dB); a silent reference or estimate gives
    a very negative one rather than NaN.
    """
    r, e = paired(ref, est)
    if zero_mean:
        r = r - r.mean(axis=1, keepdims=True)
        e = e - e.mean(axis=1, keepdims=True)
    scale = np.sum(e * r, axis=1, keepdims=True) / (np.sum(r * r, axis=1, keepdims=True) + EPS)
    target = scale * r
    noise = e - target
    ratio = (np.sum(target**2, axis=1) + EPS) / (np.sum(noise**2, axis=1) + EPS)
    return float(np.mean(10 * np.log10(ratio)))


def si_snr(ref: np.ndarray, est: np.ndarray) -> float:
    """SI-SNR in dB: SI-SDR after removing each signal's mean.

    Follows Luo & Mesgarani 2019 (Conv-TasNet), which defines it on zero-mean
    signals; torchmetrics' scale_invariant_signal_noise_ratio does the same.
    """
    return si_sdr(ref, est, zero_mean=True)
