"""Stereo: mono, pan, swap channels, stereo width, and the downmix of surround files.

Pan, swap and width work on the first two channels; any further channels
(surround files) pass through untouched. Mono input to `pan` and `width` comes
out as stereo. `downmix` folds every channel into two (or one) by where each plays.
"""

from __future__ import annotations

import numpy as np

from .. import layout
from .registry import BLOCKWISE, Context, Param, Processor, operation

HAAS_DELAY_S = 0.012  # delay of the side signal made from a mono input: wide, without a heard echo
HAAS_LEVEL = 0.3  # level of that side signal at ratio 1


def _with_front_pair(samples: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Replace channels 0 and 1, keeping any others."""
    return np.concatenate([left[None], right[None], samples[2:]], axis=0).astype(np.float32)


@operation("mono", category="stereo", stream=BLOCKWISE)
def mono(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mix all channels down to one (their mean, so the level of the sum never clips).

    Sounds that differ between left and right (out of phase) can partly cancel.
    """
    return samples.mean(axis=0, keepdims=True)


@operation("downmix", category="stereo", params=(Param("channels", int, 2, "channels to fold down to: 2 (stereo) or 1 (mono)", 1, 2),),
           stream=BLOCKWISE, context=True)
def downmix(samples: np.ndarray, sample_rate: int, channels: int, context: Context) -> np.ndarray:
    """Fold a surround file (5.1, 7.1, quad...) down to stereo, or mono, by ITU-R BS.775.

    Lo = L + 0.707 C + 0.707 Ls, Ro = R + 0.707 C + 0.707 Rs; the LFE is left out
    (its content is meant to double what the other speakers carry). Which channel
    is which comes from the WAV file's channel mask when it has one, else from the
    usual order (6 channels: L R C LFE Ls Rs). Audio with `channels` channels or
    fewer comes back as it is. Pitfall: the coefficients are the standard's, not
    scaled down, so a loud mix can pass full scale; the writer's clipping guard
    then lowers it (see `--clip`).
    """
    if samples.shape[0] <= channels:
        return samples
    return layout.downmix(samples, context.layout_for(samples.shape[0]), channels)


@operation("pan", category="stereo", params=(Param("position", float, 0.0, "-1 full left, 0 centre, +1 full right", -1.0, 1.0),), stream=BLOCKWISE)
def pan(samples: np.ndarray, sample_rate: int, position: float) -> np.ndarray:
    """Place the sound between left (-1) and right (+1).

    Mono input is panned with the constant-power law (-3 dB each side at the
    centre), so it sounds equally loud anywhere. Stereo input is balanced: the
    far side is turned down on the same law and the near side stays at full level,
    so 0 leaves it unchanged.
    """
    # sin of both angles (not cos and sin of one) gives exactly 0 at the extremes
    left, right = np.sin((1 - position) * np.pi / 4), np.sin((1 + position) * np.pi / 4)
    if samples.shape[0] == 1:
        return np.concatenate([samples * np.float32(left), samples * np.float32(right)])
    left, right = min(1.0, np.sqrt(2) * left), min(1.0, np.sqrt(2) * right)
    return _with_front_pair(samples, samples[0] * left, samples[1] * right)


@operation("swap_channels", category="stereo", stream=BLOCKWISE)
def swap_channels(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Swap left and right: fixes cables crossed at recording time.

    A mono file is returned as it is; further channels stay where they are.
    """
    if samples.shape[0] < 2:
        return samples
    return _with_front_pair(samples, samples[1], samples[0])


def _width_stream(sample_rate: int, channels: int, frames: int, ratio: float) -> Processor | None:
    """Stereo input is mid/side frame by frame; a mono input's delayed copy would reach back into the block before."""
    return (lambda block: width(block, sample_rate, ratio)) if channels > 1 else None


@operation("width", category="stereo", params=(Param("ratio", float, 1.5, "stereo width: 0 mono, 1 unchanged, 2 twice as wide", 0.0, 4.0),), stream=_width_stream)
def width(samples: np.ndarray, sample_rate: int, ratio: float) -> np.ndarray:
    """Make the stereo image narrower or wider by scaling the side (L - R) signal.

    The mid (L + R) is never touched, so the mono sum stays exactly the same. A
    mono input has no side signal; it gets one from a 12 ms delayed copy (the
    Haas effect), which sounds wide but can colour the left and right channels
    heard alone. Wide settings can push peaks up.
    """
    if samples.shape[0] == 1:
        delay = round(HAAS_DELAY_S * sample_rate)
        mid = samples[0]
        side = HAAS_LEVEL * ratio * np.concatenate([np.zeros(delay, np.float32), mid])[: len(mid)]
    else:
        mid, side = (samples[0] + samples[1]) / 2, ratio * (samples[0] - samples[1]) / 2
    return _with_front_pair(samples, mid + side, mid - side)
