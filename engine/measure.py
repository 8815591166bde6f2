"""Measurements of audio: level, loudness, pitch, band energy.

Used by `sao info`, by the clipping guard when writing, and by tests and `sao eval`
to check that an edit did what it said. scipy.signal and pyloudnorm are imported
inside the functions that need them: each takes about a second to import, which
an edit that only changes the gain should not pay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

SILENCE_DB = -120.0
TRUE_PEAK_BLOCK = 1 << 20  # frames per true-peak window; the windows fix the result to the last bit
TRUE_PEAK_PAD = 64  # frames of context either side of a window, for the interpolation filter


def db(x: float) -> float:
    return float(20 * np.log10(max(float(x), 1e-6)))


def sample_peak(samples: np.ndarray) -> float:
    """The largest absolute sample value (0.0 for no samples), without an |x| copy of the array."""
    return max(float(np.max(samples)), -float(np.min(samples))) if samples.size else 0.0


def peak_db(samples: np.ndarray) -> float:
    return db(sample_peak(samples)) if samples.size else SILENCE_DB


def rms_db(samples: np.ndarray) -> float:
    """RMS over all channels together, in dBFS."""
    if not samples.size:
        return SILENCE_DB
    return db(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def true_peak(samples: np.ndarray, sample_rate: int, block: int = TRUE_PEAK_BLOCK) -> float:
    """ITU-R BS.1770-4 true peak: the peak of the 4x oversampled signal, in dBFS.

    Works block by block (with overlap for the filter) so an hour-long file needs
    little extra memory.
    """
    return true_peak_of(samples[..., lo:hi] for lo, hi in true_peak_windows(samples.shape[-1], block))


def true_peak_windows(frames: int, block: int = TRUE_PEAK_BLOCK) -> Iterator[tuple[int, int]]:
    """The [lo, hi) frame ranges `true_peak` oversamples: blocks plus TRUE_PEAK_PAD frames of context.

    A file read back window by window (engine.stream) gives the very same value as
    the samples in memory, because the windows are the same.
    """
    for start in range(0, frames, block):
        yield max(0, start - TRUE_PEAK_PAD), min(frames, start + block + TRUE_PEAK_PAD)


def true_peak_of(windows: Iterable[np.ndarray]) -> float:
    """The true peak, in dBFS, of audio given as the windows of `true_peak_windows`, each (channels, frames)."""
    from scipy.signal import resample_poly

    peak = 0.0
    for window in windows:
        up = resample_poly(window, 4, 1, axis=-1)
        peak = max(peak, sample_peak(up))
    return db(peak) if peak > 0 else SILENCE_DB


def true_peak_envelope(samples: np.ndarray, block: int = TRUE_PEAK_BLOCK) -> np.ndarray:
    """Each frame's true peak (linear): the largest |value| over every channel of the 4x
    oversampled signal from that frame up to the next, as `true_peak` measures it.

    What a limiter needs to hold the true peak, not just the sample peak, under a ceiling.
    """
    from scipy.signal import resample_poly

    frames = samples.shape[-1]
    out = np.empty(frames)
    for start in range(0, frames, block):
        lo, hi = max(0, start - TRUE_PEAK_PAD), min(frames, start + block + TRUE_PEAK_PAD)
        up = np.abs(resample_poly(samples[:, lo:hi], 4, 1, axis=-1)).max(axis=0)
        stop = min(frames, start + block)
        part = up[4 * (start - lo) : 4 * (stop - lo)].reshape(-1, 4).max(axis=1)
        out[start:stop] = np.maximum(part, np.abs(samples[:, start:stop]).max(axis=0))
    return out


GATE_BLOCK_S = 0.4  # BS.1770's gating block; a file shorter than one has no integrated loudness
GATE_STEP = 0.25  # blocks start every quarter block (75 % overlap)
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LOUDNESS_CHUNK = 1 << 20  # frames filtered at a time, so a long file needs little extra memory


def _k_weighting(sample_rate: int) -> list:
    """The two K-weighting biquads (pyloudnorm's, so values match its meter), as pyloudnorm IIRfilters."""
    from pyloudnorm import IIRfilter

    return [IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sample_rate, "high_shelf"), IIRfilter(0.0, 0.5, 38.0, sample_rate, "high_pass")]


def _energy_at(samples: np.ndarray, sample_rate: int, bounds: np.ndarray) -> np.ndarray:
    """Cumulative energy of the K-weighted samples at each frame index in `bounds` (sorted), per channel: (channels, len(bounds)).

    Filtered a chunk at a time with the filters' state carried over, in float64.
    """
    from scipy.signal import lfilter

    filters = _k_weighting(sample_rate)
    state = [np.zeros((samples.shape[0], 2)) for _ in filters]
    out = np.zeros((samples.shape[0], len(bounds)))
    total = np.zeros(samples.shape[0])
    frames = samples.shape[-1]
    for lo in range(0, max(frames, 1), LOUDNESS_CHUNK):
        x = samples[:, lo : lo + LOUDNESS_CHUNK].astype(np.float64)
        for k, f in enumerate(filters):
            x, state[k] = lfilter(f.b, f.a, x, axis=-1, zi=state[k])
            x *= f.passband_gain
        cum = np.concatenate([total[:, None], total[:, None] + np.cumsum(np.square(x), axis=-1)], axis=-1)
        inside = (bounds >= lo) & (bounds <= lo + x.shape[-1])
        out[:, inside] = cum[:, bounds[inside] - lo]
        total = cum[:, -1]
    return out


def _weights(layout: tuple[str, ...] | None, channels: int) -> np.ndarray:
    from . import layout as layouts

    return layouts.loudness_weights(layouts.fit(layout, channels))


def _to_lufs(weighted_mean_square: float) -> float:
    with np.errstate(divide="ignore"):
        return float(-0.691 + 10 * np.log10(weighted_mean_square))


def lufs(samples: np.ndarray, sample_rate: int, layout: tuple[str, ...] | None = None) -> float:
    """Integrated loudness (ITU-R BS.1770-4), for any number of channels; -inf for silence or < 0.4 s.

    Each channel is weighted for where it plays (engine.layout: surrounds +1.5 dB,
    the LFE left out); `layout` defaults to the usual order for the channel count.
    Gating as BS.1770 (and pyloudnorm, whose K-weighting filters it uses): 400 ms
    blocks every 100 ms, an absolute gate at -70 LUFS, a relative one 10 LU below.
    """
    samples = samples.reshape(1, -1) if samples.ndim == 1 else samples
    frames = samples.shape[-1]
    block = GATE_BLOCK_S * sample_rate
    if frames < int(block):
        return float("-inf")
    blocks = int(np.round((frames / sample_rate - GATE_BLOCK_S) / (GATE_BLOCK_S * GATE_STEP))) + 1
    bounds = np.minimum((GATE_BLOCK_S * (np.arange(blocks + 4) * GATE_STEP) * sample_rate).astype(np.int64), frames)
    energy = _energy_at(samples, sample_rate, bounds)
    z = (energy[:, 4:] - energy[:, :-4]) / block  # (channels, blocks): each block's mean square
    weights = _weights(layout, samples.shape[0])
    block_lufs = np.array([_to_lufs(v) for v in weights @ z])
    kept = block_lufs >= ABSOLUTE_GATE_LUFS
    if not kept.any():
        return float("-inf")
    relative = _to_lufs(weights @ z[:, kept].mean(axis=1)) + RELATIVE_GATE_LU
    kept = (block_lufs > relative) & (block_lufs > ABSOLUTE_GATE_LUFS)
    return _to_lufs(weights @ z[:, kept].mean(axis=1)) if kept.any() else float("-inf")


def short_lufs(samples: np.ndarray, sample_rate: int, layout: tuple[str, ...] | None = None) -> float:
    """The loudness of a sound shorter than one 400 ms gating block: BS.1770's K-weighted,
    channel-weighted mean square over all of it, as one block, with the absolute gate
    (-inf below -70 LUFS). Not integrated loudness, which is undefined so short; the
    nearest honest stand-in. Silence before or after the sound lowers it.
    """
    samples = samples.reshape(1, -1) if samples.ndim == 1 else samples
    frames = samples.shape[-1]
    if not frames:
        return float("-inf")
    energy = _energy_at(samples, sample_rate, np.array([0, frames]))
    value = _to_lufs(_weights(layout, samples.shape[0]) @ (energy[:, 1] - energy[:, 0]) / frames)
    return value if value >= ABSOLUTE_GATE_LUFS else float("-inf")


def loudness(samples: np.ndarray, sample_rate: int, layout: tuple[str, ...] | None = None) -> tuple[float, bool]:
    """(LUFS, short): integrated loudness, or for audio shorter than 0.4 s `short_lufs` and short=True."""
    if samples.shape[-1] < int(GATE_BLOCK_S * sample_rate):
        return short_lufs(samples, sample_rate, layout), True
    return lufs(samples, sample_rate, layout), False


def band_energy_db(samples: np.ndarray, sample_rate: int, lo_hz: float, hi_hz: float) -> float:
    """Energy between lo_hz and hi_hz (Welch PSD, channels summed), in dB."""
    from scipy.signal import welch

    x = np.mean(samples, axis=0) if samples.ndim == 2 else samples
    f, p = welch(x, sample_rate, nperseg=min(8192, len(x)))
    sel = (f >= lo_hz) & (f < hi_hz)
    return float(10 * np.log10(np.sum(p[sel]) + 1e-20))


def dominant_hz(samples: np.ndarray, sample_rate: int) -> float:
    """Frequency of the strongest spectral peak, refined by parabolic interpolation."""
    x = np.mean(samples, axis=0) if samples.ndim == 2 else samples
    n = len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(n)))
    k = int(np.argmax(spec[1:])) + 1
    if 1 <= k < len(spec) - 1:
        a, b, c = np.log(spec[k - 1 : k + 2] + 1e-12)
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return float(k * sample_rate / n)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally long signals (flattened)."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    den = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / den) if den > 0 else 0.0
