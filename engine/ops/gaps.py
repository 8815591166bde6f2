"""Filling short gaps in audio from the samples around them (used by declick and declip).

Least-squares autoregressive interpolation (Janssen, Veldhuis and Vries 1986;
Godsill and Rayner, "Digital Audio Restoration", 1998): fit a linear predictor
to the sound either side of the gap, then choose the missing samples that the
predictor finds least surprising. Tones and voices continue through the gap with
their own timbre, which a straight line or a spline cannot do beyond a few samples.
"""

from __future__ import annotations

import numpy as np

MIN_ORDER, MAX_ORDER = 32, 256  # the predictor looks back 3x the gap's length, within these bounds
CONTEXT_S = 0.02  # at least this much sound either side fits the predictor (speech is steady for ~20 ms)


def autocorrelation(x: np.ndarray, order: int) -> np.ndarray:
    """Lags 0..order of the Hann-windowed signal (biased, so the predictor is always stable)."""
    if len(x) <= order:
        return np.zeros(order + 1)
    w = x * np.hanning(len(x))
    spectrum = np.fft.rfft(w, 2 * len(w))
    return np.fft.irfft(spectrum * np.conj(spectrum))[: order + 1]


def predictor(r: np.ndarray) -> np.ndarray | None:
    """The prediction-error filter [1, a1, ..., ap] for autocorrelation r (Yule-Walker, by Levinson); None for silence."""
    from scipy.linalg import solve_toeplitz

    if r[0] <= 0:
        return None
    order = len(r) - 1
    r = r.copy()
    r[0] *= 1 + 1e-6  # a whisper of white noise keeps pure tones solvable
    return np.concatenate([[1.0], solve_toeplitz(r[:order], -r[1:])])


def fill_gap(x: np.ndarray, lo: int, hi: int, sample_rate: int) -> bool:
    """Replace x[lo:hi] (float64, one channel, in place) by its AR interpolation; False where it cannot.

    A gap needs at least two samples either side (not at the very start or end of
    the file); a gap in digital silence is filled with silence.
    """
    from scipy.linalg import solve_toeplitz

    m = hi - lo
    order = int(min(max(3 * m, MIN_ORDER), MAX_ORDER, lo, len(x) - hi))
    if order < 2:
        return False
    context = max(4 * order, round(CONTEXT_S * sample_rate))
    b = predictor(autocorrelation(x[max(0, lo - context) : lo], order) + autocorrelation(x[hi : hi + context], order))
    if b is None:
        x[lo:hi] = 0.0
        return True
    # Minimise the prediction error e = A x over the missing samples u: (A_u' A_u) u = -A_u' (A_k x_k).
    # A_u' A_u is the Toeplitz matrix of b's autocorrelation, A_k x_k the error with the gap at zero.
    segment = x[lo - order : hi + order].copy()
    segment[order : order + m] = 0.0
    known_error = np.convolve(segment, b)[order : m + 2 * order]
    rhs = np.correlate(known_error, b, "valid")
    column = np.zeros(m)
    lags = np.correlate(b, b, "full")[order:]
    column[: min(m, order + 1)] = lags[: min(m, order + 1)]
    x[lo:hi] = solve_toeplitz(column, -rhs)
    return True
