"""Play audio through PortAudio (sounddevice), and switch between two takes (A/B).

Pitfalls:
- `import sounddevice` starts PortAudio, which asks ALSA for every device; ALSA
  may print "ALSA lib ..." lines on the way. They are silenced here, so a machine
  without sound gives one clear line (NoAudioDevice, exit 7), not a page of noise.
- A missing libportaudio shows up as an OSError at import time, not as a missing
  device; both end in NoAudioDevice.
- A sound server buffers what it is given: a stream stopped right after its last
  block loses the 50-100 ms still in the server (the end of every file), and the
  first blocks written while a stream starts can be lost too. So playback sends
  silence around the sound (PAD_S, or twice the stream's latency if more) and
  stops only once that has gone through: the whole file arrives.
- A/B takes must have the same shape. `ab_takes` makes them so: the edit is
  resampled to the original's rate, channels are matched, the shorter is padded
  with silence. Switching happens on a block boundary (BLOCK frames, about 23 ms
  at 44.1 kHz) and crossfades over that block, so it does not click.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Callable

import numpy as np

from .audio_io import Audio, read_audio
from .errors import NoAudioDevice

BLOCK = 1024  # frames per PortAudio callback; also the A/B crossfade length
PAD_S = 0.15  # silence before the first sample and after the last (see the pitfalls above)
_NO_DEVICE = "cannot play: no audio output device was found (start a sound server such as PulseAudio, or connect one)"


@contextlib.contextmanager
def _quiet_stderr():
    """Send C-level writes to fd 2 (ALSA's chatter) to /dev/null for a moment."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _sounddevice():
    """The sounddevice module; NoAudioDevice if PortAudio (libportaudio2) is missing."""
    try:
        with _quiet_stderr():
            import sounddevice
    except (OSError, ImportError):
        raise NoAudioDevice("cannot play: the PortAudio library is missing (Debian/Ubuntu: apt install libportaudio2)") from None
    return sounddevice


def output_device(device: int | str | None = None) -> dict:
    """The output device to play on (sounddevice's device dict).

    `device` is a PortAudio device number, part of a device name, or None for the
    default. Raises NoAudioDevice (exit 7) when there is no such output device.
    """
    sd = _sounddevice()
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    try:
        info = sd.query_devices(device, kind="output" if device is None else None)
    except (sd.PortAudioError, ValueError):
        if device is None:
            raise NoAudioDevice(_NO_DEVICE) from None
        raise NoAudioDevice(f"cannot play: no output device '{device}' (output devices: {_output_names(sd)})") from None
    if info["max_output_channels"] < 1:
        raise NoAudioDevice(f"cannot play: '{info['name']}' has no outputs (output devices: {_output_names(sd)})")
    return info


def _output_names(sd) -> str:
    names = [f"{d['index']} {d['name']}" for d in sd.query_devices() if d["max_output_channels"] > 0]
    return ", ".join(names) or "none"


def fit_channels(samples: np.ndarray, channels: int) -> np.ndarray:
    """Match a channel count: mono is copied to every channel; otherwise the mix is."""
    if samples.shape[0] == channels:
        return samples
    mix = samples if samples.shape[0] == 1 else samples.mean(axis=0, keepdims=True)
    return np.repeat(mix, channels, axis=0)


def _resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    from .ops import get_operation

    return get_operation("resample").apply(samples, from_hz, {"hz": to_hz})


def ab_takes(original: Audio, edit: Audio) -> tuple[list[np.ndarray], int]:
    """Two takes of the same shape at the original's rate, for `Player`."""
    sr = original.sample_rate
    b = edit.samples if edit.sample_rate == sr else _resample(edit.samples, edit.sample_rate, sr)
    channels = max(original.channels, edit.channels)
    takes = [fit_channels(original.samples, channels), fit_channels(b, channels)]
    frames = max(t.shape[1] for t in takes)
    return [np.pad(t, ((0, 0), (0, frames - t.shape[1]))) for t in takes], sr


class Player:
    """Plays one take, or two of equal shape with switching between them (A/B).

    With `switch_every_s` the takes alternate at that interval of playback time;
    without it, `toggle()` (from a key press, say) switches. Either way the
    position runs on, so the listener compares the same moment of both.
    """

    def __init__(self, takes: list[np.ndarray], sample_rate: int, switch_every_s: float | None = None):
        if len({t.shape for t in takes}) != 1:
            raise ValueError("takes must have the same shape; see ab_takes()")
        self._takes = [np.asarray(t, dtype=np.float32) for t in takes]  # (channels, frames), not copied
        self.sample_rate = sample_rate
        self._switch_frames = int(switch_every_s * sample_rate) if switch_every_s and len(takes) > 1 else None
        self.choice = 0  # the take being played (or asked for)
        self._heard = 0  # the take of the last block, to crossfade from
        self.position = 0  # frames sent to the device
        self._lead = self._tail = 0  # frames of silence still to send before the first and after the last sample
        self._stop = False
        self._sd = None  # the sounddevice module, once run() has loaded it

    @property
    def frames(self) -> int:
        return self._takes[0].shape[1]

    @property
    def channels(self) -> int:
        return self._takes[0].shape[0]

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def position_s(self) -> float:
        return self.position / self.sample_rate

    def toggle(self) -> None:
        if len(self._takes) > 1 and self._switch_frames is None:
            self.choice = (self.choice + 1) % len(self._takes)

    def stop(self) -> None:
        """End playback early (from on_tick, say); run() returns soon after."""
        self._stop = True

    def _callback(self, outdata, frames, time, status) -> None:
        if self._stop:
            raise self._sd.CallbackAbort
        if self._lead > 0 or self.position >= self.frames:  # the silence around the sound
            outdata[:] = 0
            if self._lead > 0:
                self._lead -= frames
                return
            self._tail -= frames
            if self._tail <= 0:
                raise self._sd.CallbackStop
            return
        start = self.position
        n = min(frames, self.frames - start)
        if self._switch_frames:
            self.choice = (start // self._switch_frames) % len(self._takes)
        block = self._takes[self.choice][:, start : start + n]
        if self.choice != self._heard:
            ramp = np.linspace(0.0, 1.0, n, endpoint=False, dtype=np.float32)
            block = self._takes[self._heard][:, start : start + n] * (1 - ramp) + block * ramp
            self._heard = self.choice
        outdata[:n] = block.T
        outdata[n:] = 0
        self.position = start + n
        self._tail -= frames - n

    def _fit_device(self, sd, info: dict) -> None:
        """Downmix for a device with fewer outputs; resample for one that refuses the rate."""
        if self.channels > info["max_output_channels"]:
            out_channels = min(2, info["max_output_channels"])
            self._takes = [fit_channels(t, out_channels) for t in self._takes]
        try:
            sd.check_output_settings(info["index"], self.channels, "float32", samplerate=self.sample_rate)
        except sd.PortAudioError:
            rate = int(info["default_samplerate"])
            self._takes = [_resample(t, self.sample_rate, rate) for t in self._takes]
            if self._switch_frames:
                self._switch_frames = self._switch_frames * rate // self.sample_rate
            self.sample_rate = rate

    def run(self, device: int | str | None = None, on_tick: Callable[["Player"], None] | None = None, tick_s: float = 0.1) -> None:
        """Play to the end, calling `on_tick(self)` every `tick_s` from this thread.

        Ctrl-C stops the sound at once (the stream is aborted, not drained) and
        re-raises KeyboardInterrupt.
        """
        sd = self._sd = _sounddevice()
        info = output_device(device)
        self._fit_device(sd, info)
        done = threading.Event()
        try:
            stream = sd.OutputStream(
                samplerate=self.sample_rate,
                channels=self.channels,
                dtype="float32",
                device=info["index"],
                blocksize=BLOCK,
                callback=self._callback,
                finished_callback=done.set,
            )
        except sd.PortAudioError as e:
            raise NoAudioDevice(f"cannot play on '{info['name']}': {e}") from None
        self._lead = self._tail = round(max(PAD_S, 2 * stream.latency) * self.sample_rate)
        with stream:
            try:
                while not done.wait(tick_s):
                    if on_tick:
                        on_tick(self)
            except KeyboardInterrupt:
                stream.abort()
                raise
        if on_tick:
            on_tick(self)


def play(samples: np.ndarray, sample_rate: int, on_tick: Callable[[Player], None] | None = None, device: int | str | None = None) -> None:
    """Play float32 (channels, frames) samples to the end; see Player.run."""
    Player([samples], sample_rate).run(device, on_tick)


def play_file(path: str, on_tick: Callable[[Player], None] | None = None, device: int | str | None = None) -> None:
    """Read and play one file (BadAudio, exit 3, if it cannot be read)."""
    audio = read_audio(path)
    play(audio.samples, audio.sample_rate, on_tick, device)
