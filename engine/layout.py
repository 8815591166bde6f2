"""Channel layouts: which speaker each channel of a file feeds, and what follows from it.

A layout is a tuple of speaker names, one per channel, in the names of the WAV
channel mask (WAVEFORMATEXTENSIBLE dwChannelMask, bit 0 = FL, 1 = FR, 2 = FC,
3 = LFE, ...). A WAV file that gives a mask has its channels in mask-bit order;
any other file gets the default order for its channel count, as ffmpeg and
Microsoft use them (6 channels = FL FR FC LFE BL BR, i.e. L R C LFE Ls Rs).

Two uses:
- loudness (ITU-R BS.1770-4): each channel's mean square is weighted before the
  sum: 1.0 for the front, 1.41 (+1.5 dB) for the surrounds (side and back), 0 for
  the LFE, which BS.1770 leaves out;
- the downmix to stereo (ITU-R BS.775, Table 2): Lo = L + 0.707 C + 0.707 Ls,
  Ro = R + 0.707 C + 0.707 Rs, LFE left out. Its coefficients are the standard's,
  not scaled down: a loud 5.1 mix can exceed full scale once folded, which the
  file writer's clipping guard then handles (see `--clip`).
"""

from __future__ import annotations

import numpy as np

SPEAKERS = ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR", "TC", "TFL", "TFC", "TFR", "TBL", "TBC", "TBR")
"""Speaker names by channel-mask bit (bit 0 first), as in the WAVEFORMATEXTENSIBLE specification."""

DEFAULTS = {
    1: ("FC",),
    2: ("FL", "FR"),
    3: ("FL", "FR", "FC"),
    4: ("FL", "FR", "BL", "BR"),
    5: ("FL", "FR", "FC", "BL", "BR"),
    6: ("FL", "FR", "FC", "LFE", "BL", "BR"),
    7: ("FL", "FR", "FC", "LFE", "BC", "SL", "SR"),
    8: ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}
"""The layout of a file that does not give one: the usual one for its channel count."""

UNKNOWN = "?"  # a channel beyond the mask's speakers, or beyond the default layouts (9 or more channels)

_SURROUND = {"BL", "BR", "BC", "SL", "SR", "TBL", "TBC", "TBR"}  # weighted 1.41, as ffmpeg's ebur128 does
_R = 0.7071  # -3 dB
_TO_STEREO = {  # (to left, to right), ITU-R BS.775 where it says, else placed by the speaker's side
    "FL": (1.0, 0.0), "FR": (0.0, 1.0), "FC": (_R, _R), "LFE": (0.0, 0.0),
    "BL": (_R, 0.0), "BR": (0.0, _R), "SL": (_R, 0.0), "SR": (0.0, _R),
    "FLC": (1.0, 0.0), "FRC": (0.0, 1.0), "BC": (0.5, 0.5),
    "TC": (0.5, 0.5), "TFL": (_R, 0.0), "TFC": (0.5, 0.5), "TFR": (0.0, _R), "TBL": (_R, 0.0), "TBC": (0.5, 0.5), "TBR": (0.0, _R),
    UNKNOWN: (0.5, 0.5),
}


def from_mask(mask: int | None, channels: int) -> tuple[str, ...]:
    """The layout of a file with `channels` channels and channel mask `mask` (None or 0: no mask given).

    Channels beyond the speakers the mask names are UNKNOWN; a mask naming more
    speakers than there are channels is cut to the first ones, as players do.
    """
    if not mask:
        return default(channels)
    named = [name for bit, name in enumerate(SPEAKERS) if mask >> bit & 1]
    return tuple((named + [UNKNOWN] * channels)[:channels])


def default(channels: int) -> tuple[str, ...]:
    return DEFAULTS.get(channels, (UNKNOWN,) * channels)


def fit(layout: tuple[str, ...] | None, channels: int) -> tuple[str, ...]:
    """`layout` when it has `channels` channels (an edit may have changed the count since), else the default."""
    return layout if layout is not None and len(layout) == channels else default(channels)


def describe(layout: tuple[str, ...]) -> str:
    """A short name: "mono", "stereo", "5.1", else the speakers ("FL FR FC BC")."""
    names = {("FC",): "mono", ("FL", "FR"): "stereo", DEFAULTS[6]: "5.1", ("FL", "FR", "FC", "LFE", "SL", "SR"): "5.1(side)", DEFAULTS[8]: "7.1"}
    return names.get(tuple(layout), " ".join(layout))


def loudness_weights(layout: tuple[str, ...]) -> np.ndarray:
    """BS.1770-4 channel weights G_i: 1.0 front, 1.41 surround, 0 LFE."""
    return np.array([0.0 if s == "LFE" else 1.41 if s in _SURROUND else 1.0 for s in layout])


def stereo_matrix(layout: tuple[str, ...]) -> np.ndarray:
    """The (2, channels) matrix that folds `layout` down to stereo (ITU-R BS.775).

    Mono goes to both sides at full level, and stereo through unchanged.
    """
    if tuple(layout) == ("FC",):
        return np.ones((2, 1))
    return np.array([_TO_STEREO.get(s, _TO_STEREO[UNKNOWN]) for s in layout]).T


def downmix(samples: np.ndarray, layout: tuple[str, ...], channels: int = 2) -> np.ndarray:
    """Fold (len(layout), frames) samples down to `channels` (1 or 2): BS.775 to stereo, and mono as the mean of that pair."""
    stereo = (stereo_matrix(layout).astype(np.float32) @ samples).astype(np.float32, copy=False)
    return stereo.mean(axis=0, keepdims=True) if channels == 1 else stereo


def convert(samples: np.ndarray, layout: tuple[str, ...], channels: int) -> np.ndarray:
    """`samples` (laid out as `layout`) with `channels` channels instead, as `--channels` asks.

    Fewer: to stereo or mono, the BS.775 downmix; to 3 or more, the first
    `channels` are kept and the others folded into the front pair the same way.
    More: mono goes to the front pair, stereo stays there; the new channels are silent.
    """
    n = samples.shape[0]
    if channels == n:
        return samples
    if channels < n:
        if channels <= 2:
            return downmix(samples, layout, channels)
        out = samples[:channels].copy()
        out[:2] += stereo_matrix(layout[channels:]).astype(np.float32) @ samples[channels:]
        return out
    out = np.zeros((channels, samples.shape[1]), np.float32)
    out[: max(n, 2)] = samples  # mono fills both front channels
    return out
