"""Cutting audio into the model's windows and joining the edits back (numpy only).

The DiT attends over one window of at most `sample_size` latent frames (about
47.5 s in Stable Audio Open). Longer audio is edited in overlapping windows of
equal length (so they can share a model batch), evenly spaced, and joined with
crossfades centred in each overlap. Each window is edited on its own, so its
two neighbours disagree a little in the overlap; the crossfade hides the change.

A region edit ("remove the cough at 0:12") edits the region plus some context
either side, so the model hears what surrounds it, and splices only the
region back, crossfading inside its edges: outside the region the samples are
the input's, bit for bit.

`seam_ratios` measures what a seam would show: a jump between neighbouring
samples, or a sudden change of spectrum, at the joins compared with elsewhere.
"""

from __future__ import annotations

import numpy as np

from ..regions import fade_curve, crossfade_edges

OVERLAP_FRACTION = 0.125  # of the window; the crossfade spans this much, centred in each overlap
REGION_CONTEXT_S = 2.0  # audio either side of a region that the model hears with it
REGION_FADE_S = 0.05  # crossfade inside the region's edges when splicing an edit back
SEAM_BLOCK = 2048  # seam statistics are per block of this many samples (46 ms at 44.1 kHz)


def window_starts(frames: int, window: int, fade: int) -> list[int]:
    """Start frames of equal windows of `window` frames covering `frames`, neighbours overlapping by at least `fade`.

    One window (start 0) when the audio fits; the caller then sizes it to the audio.
    """
    if frames <= window:
        return [0]
    if not 0 <= fade < window // 2:
        raise ValueError("the crossfade must be shorter than half a window")
    count = -(-(frames - fade) // (window - fade))
    count = max(count, 2)
    return [round(i * (frames - window) / (count - 1)) for i in range(count)]


def fade_zones(starts: list[int], window: int, fade: int) -> list[int]:
    """Where each crossfade begins: `fade` frames centred in the overlap of neighbours."""
    return [(nxt + (start + window)) // 2 - fade // 2 for start, nxt in zip(starts, starts[1:])]


def join(pieces: list[np.ndarray], starts: list[int], frames: int, fade: int) -> np.ndarray:
    """Join edited windows (each (channels, window)) into `frames` frames with equal-gain crossfades."""
    if len(pieces) == 1:
        return pieces[0][:, :frames]
    window = pieces[0].shape[1]
    out = np.empty((pieces[0].shape[0], frames), dtype=np.float32)
    zones = fade_zones(starts, window, fade)
    ramp = fade_curve(fade)
    cut = 0  # frames before `cut` are final
    for i, (piece, start) in enumerate(zip(pieces, starts)):
        end = zones[i] if i < len(zones) else frames
        out[:, cut:end] = piece[:, cut - start : end - start]
        if i < len(zones):
            nxt = pieces[i + 1][:, end - starts[i + 1] : end - starts[i + 1] + fade]
            out[:, end : end + fade] = piece[:, end - start : end - start + fade] * (1 - ramp) + nxt * ramp
            cut = end + fade
    return out


def region_span(start: int, end: int, frames: int, context: int) -> tuple[int, int]:
    """The stretch the model edits for region [start, end): the region with `context` frames either side."""
    return max(0, start - context), min(frames, end + context)


def splice(original: np.ndarray, edited_span: np.ndarray, span: tuple[int, int], region: tuple[int, int],
           fade: int) -> np.ndarray:
    """Put the region of an edited span back into the original; outside the region nothing changes."""
    (lo, _), (start, end) = span, region
    out = original.copy()
    joined = crossfade_edges(original[:, start:end], edited_span[:, start - lo : end - lo], fade,
                             head=start > 0, tail=end < original.shape[1])
    out[:, start:end] = joined
    return out


def seam_ratios(samples: np.ndarray, joins: list[tuple[int, int]], block: int = SEAM_BLOCK) -> tuple[float, float]:
    """(sample-jump ratio, spectral-flux ratio) at the joins, each relative to its median elsewhere.

    Per block of `block` samples: the largest jump between neighbouring samples,
    and the spectral flux from the previous block (the summed magnitude change of
    a Hann-windowed FFT, relative to the magnitudes). A join is a [start, end)
    stretch (a crossfade zone, or one sample for a hard cut); its blocks are
    those touching it and the one after. Each ratio is the largest value in a join block over the
    median of the other blocks: 1 means the joins look like anywhere else.
    """
    x = samples.astype(np.float64)
    count = x.shape[1] // block
    blocks = x[:, : count * block].reshape(x.shape[0], count, block)
    jumps = np.abs(np.diff(blocks, axis=2)).max(axis=(0, 2))
    spectra = np.abs(np.fft.rfft(blocks * np.hanning(block), axis=2))
    change = np.abs(np.diff(spectra, axis=1)).sum(axis=(0, 2))
    level = (spectra[:, 1:] + spectra[:, :-1]).sum(axis=(0, 2)) / 2
    flux = np.concatenate([[0.0], change / np.maximum(level, 1e-12)])
    at_join = np.zeros(count, dtype=bool)
    for start, end in joins:
        at_join[start // block : (max(end, start + 1) - 1) // block + 2] = True  # and the next block's flux
    at_join[0] = False  # the first block has no flux
    if not at_join.any() or at_join[1:].all():
        raise ValueError("seam_ratios needs joins inside the audio and blocks away from them")
    elsewhere = ~at_join
    elsewhere[0] = False
    return (float(jumps[at_join].max() / np.median(jumps[elsewhere])),
            float(flux[at_join].max() / np.median(flux[elsewhere])))
