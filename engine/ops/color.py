"""Colour: distortion, bitcrush, chorus, phaser, tremolo."""

from __future__ import annotations

import numpy as np
import pedalboard

from .registry import Param, Processor, operation, plugin_stream

RATE = Param("rate_hz", float, 1.0, "speed of the sweep, in Hz", 0.01, 20.0)
MIX = Param("mix", float, 0.5, "share of the effect in the output, 0 to 1", 0.0, 1.0)


def _match_rms(out: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scale `out` to the RMS level of `reference` (silence stays silence)."""
    out_rms, ref_rms = np.sqrt(np.mean(np.square(out, dtype=np.float64))), np.sqrt(np.mean(np.square(reference, dtype=np.float64)))
    return out if out_rms == 0 else out * np.float32(ref_rms / out_rms)


@operation("distortion", category="color", params=(Param("drive_db", float, 20.0, "how hard the signal is driven, in dB", 0.0, 60.0),))
def distortion(samples: np.ndarray, sample_rate: int, drive_db: float) -> np.ndarray:
    """Overdrive: soft-clip (tanh) the signal driven up by `drive_db`, adding harmonics.

    pedalboard's Distortion also raises the level by the drive; the result is
    brought back to the input's RMS level so only the tone changes, not loudness
    (roughly: clipped sound has a lower crest factor, so it can seem a bit louder).
    """
    return _match_rms(pedalboard.Distortion(drive_db=drive_db)(samples, sample_rate), samples)


def _bitcrusher(sample_rate: int, bits: float) -> pedalboard.Bitcrush:
    return pedalboard.Bitcrush(bit_depth=bits)


def _bitcrush_stream(sample_rate: int, channels: int, frames: int, bits: float, downsample_ratio: float) -> Processor | None:
    """Only the bit reduction streams: with sample-and-hold, a held sample can lie in the block before."""
    return plugin_stream(_bitcrusher)(sample_rate, channels, frames, bits=bits) if downsample_ratio == 1 else None


@operation(
    "bitcrush",
    category="color",
    params=(
        Param("bits", float, 8.0, "bit depth to reduce to (fewer is grittier)", 1.0, 24.0),
        Param("downsample_ratio", float, 1.0, "hold every sample this many times (aliasing, lo-fi)", 1.0, 64.0),
    ),
    stream=_bitcrush_stream,
)
def bitcrush(samples: np.ndarray, sample_rate: int, bits: float, downsample_ratio: float) -> np.ndarray:
    """Lo-fi: quantise to `bits` bits (pedalboard) and sample-and-hold by `downsample_ratio`.

    The sample-and-hold is done without an anti-alias filter on purpose: the
    aliasing is the sound of old samplers and game consoles.
    """
    out = _bitcrusher(sample_rate, bits)(samples, sample_rate)
    if downsample_ratio > 1:
        held = (np.floor(np.arange(out.shape[1]) / downsample_ratio) * downsample_ratio).astype(np.int64)
        out = out[:, held]
    return out


def _chorus(sample_rate: int, rate_hz: float, depth: float, mix: float) -> pedalboard.Chorus:
    return pedalboard.Chorus(rate_hz=rate_hz, depth=depth, mix=mix)


@operation(
    "chorus",
    category="color",
    params=(RATE, Param("depth", float, 0.25, "how far the delay is swept, 0 to 1", 0.0, 1.0), MIX),
    stream=plugin_stream(_chorus),
)
def chorus(samples: np.ndarray, sample_rate: int, rate_hz: float, depth: float, mix: float) -> np.ndarray:
    """Thicken the sound with a copy whose short delay (~7 ms) is swept, as if several played.

    The swept copy detunes slightly against the original; with `mix` near 1 the
    original is mostly gone and what is left wobbles in pitch (vibrato).
    """
    return _chorus(sample_rate, rate_hz, depth, mix)(samples, sample_rate)


def _phaser(sample_rate: int, rate_hz: float, depth: float, mix: float) -> pedalboard.Phaser:
    return pedalboard.Phaser(rate_hz=rate_hz, depth=depth, mix=mix)


@operation(
    "phaser",
    category="color",
    params=(RATE, Param("depth", float, 0.5, "how far the notches sweep, 0 to 1", 0.0, 1.0), MIX),
    stream=plugin_stream(_phaser),
)
def phaser(samples: np.ndarray, sample_rate: int, rate_hz: float, depth: float, mix: float) -> np.ndarray:
    """Sweep notches up and down the spectrum (around 1.3 kHz): the swirling 70s sound.

    The notches come from mixing the original with a phase-shifted copy, so
    `mix` 0.5 gives the deepest effect; on a pure tone there is little to hear.
    """
    return _phaser(sample_rate, rate_hz, depth, mix)(samples, sample_rate)


def _tremolo_stream(sample_rate: int, channels: int, frames: int, rate_hz: float, depth: float) -> Processor:
    """The tremolo's gain, computed for each block's stretch of the file."""
    done = 0

    def process(block: np.ndarray) -> np.ndarray:
        nonlocal done
        t = np.arange(done, done + block.shape[1]) / sample_rate
        done += block.shape[1]
        return block * (1 - depth * (0.5 - 0.5 * np.cos(2 * np.pi * rate_hz * t))).astype(np.float32)

    return process


@operation(
    "tremolo",
    category="color",
    params=(
        Param("rate_hz", float, 5.0, "wobbles per second, in Hz", 0.1, 40.0),
        Param("depth", float, 0.5, "how deep the level dips, 0 (none) to 1 (to silence)", 0.0, 1.0),
    ),
    stream=_tremolo_stream,
)
def tremolo(samples: np.ndarray, sample_rate: int, rate_hz: float, depth: float) -> np.ndarray:
    """Wobble the level with a sine: the gain swings between 1 and 1 - depth.

    It starts at full level, so a tremolo limited to a region joins it smoothly.
    """
    channels, frames = samples.shape
    return _tremolo_stream(sample_rate, channels, frames, rate_hz, depth)(samples)
