"""Space: reverb and echo (pedalboard's Freeverb and delay line).

Both keep the file's length, so a tail that would ring past the end is cut off
there: `pad` the end first to keep it.
"""

from __future__ import annotations

import numpy as np
import pedalboard

from .registry import Param, operation, plugin_stream

# Freeverb settings per preset: (room_size, damping, width). Damping darkens the
# tail (cave, studio); a low damping keeps it bright (plate).
REVERB_PRESETS = {
    "small_room": (0.25, 0.6, 0.7),
    "studio": (0.35, 0.7, 0.8),
    "room": (0.45, 0.5, 1.0),
    "chamber": (0.6, 0.45, 1.0),
    "plate": (0.7, 0.15, 1.0),
    "hall": (0.82, 0.35, 1.0),
    "cave": (0.9, 0.7, 1.0),
    "cathedral": (0.95, 0.25, 1.0),
}
# pedalboard.Reverb doubles dry_level, so 0.5 passes the input unchanged; the wet
# level is put on the same scale.
_UNITY = 0.5


def _reverb(sample_rate: int, preset: str, size: float | None, wet: float) -> pedalboard.Reverb:
    room_size, damping, width = REVERB_PRESETS[preset]
    return pedalboard.Reverb(
        room_size=room_size if size is None else size,
        damping=damping,
        width=width,
        dry_level=_UNITY * np.cos(np.pi / 2 * wet),
        wet_level=_UNITY * np.sin(np.pi / 2 * wet),
    )


@operation(
    "reverb",
    category="space",
    params=(
        Param("preset", str, "room", "kind of space", choices=tuple(REVERB_PRESETS)),
        Param("size", float, None, "room size from 0 (tiny) to 1 (huge); empty: the preset's", 0.0, 1.0, optional=True),
        Param("wet", float, 0.25, "share of reverberated sound, 0 (dry) to 1 (only reverb)", 0.0, 1.0),
    ),
    stream=plugin_stream(_reverb),
)
def reverb(samples: np.ndarray, sample_rate: int, preset: str, size: float | None, wet: float) -> np.ndarray:
    """Put the sound in a space: small_room, studio, room, chamber, plate, hall, cave, cathedral.

    `size` overrides the preset's room size (longer decay); `wet` is an
    equal-power dry/wet balance, so the level stays about the same. Mono input
    gets a mono reverb; the length is kept, cutting the tail at the end.
    """
    return _reverb(sample_rate, preset, size, wet)(samples, sample_rate)


def _echo(sample_rate: int, delay_s: float, feedback: float, mix: float) -> pedalboard.Delay:
    return pedalboard.Delay(delay_seconds=delay_s, feedback=feedback, mix=mix)


@operation(
    "echo",
    category="space",
    params=(
        Param("delay_s", float, 0.3, "time between repeats, in seconds", 0.001, 5.0),
        Param("feedback", float, 0.35, "how much of each repeat comes back, 0 to 0.95", 0.0, 0.95),
        Param("mix", float, 0.3, "share of the echoes in the output, 0 to 1", 0.0, 1.0),
    ),
    stream=plugin_stream(_echo),
)
def echo(samples: np.ndarray, sample_rate: int, delay_s: float, feedback: float, mix: float) -> np.ndarray:
    """Repeat the sound every `delay_s` seconds, each repeat `feedback` times the last.

    Short delays (under ~50 ms) sound like doubling or a metallic slap rather than
    distinct echoes. The length is kept: pad first to hear the last repeats.
    """
    return _echo(sample_rate, delay_s, feedback, mix)(samples, sample_rate)
