"""`sao play` against a real audio server: a PulseAudio null sink started here.

sounddevice -> PortAudio -> ALSA's default device, which the pulse plugin
(libasound2-plugins) routes to PulseAudio while a server runs. The sink's monitor
is recorded with parecord, so the tests measure the samples that arrived.
"""

from __future__ import annotations

import contextlib
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from conftest import FREEDESKTOP, SR, tone, write
from engine.measure import correlation, dominant_hz, rms_db

pytestmark = [pytest.mark.playback, pytest.mark.timeout(90)]

SINK = "saotest"


def _base_env(root: Path) -> dict:
    """A private runtime folder and HOME, so the test never meets the user's own server."""
    run = root / "run"
    run.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER", "ALSA_CONFIG_PATH")}
    env.update(HOME=str(root), XDG_RUNTIME_DIR=str(run), XDG_CONFIG_HOME=str(root / ".config"),
               PULSE_RUNTIME_PATH=str(run / "pulse"), HF_HUB_OFFLINE="1", NO_COLOR="1")
    return env


@pytest.fixture
def pulse(tmp_path):
    """Start a PulseAudio server with one null sink; yield the environment that reaches it."""
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed (CI installs it)")
    root = tmp_path / "pulse"
    root.mkdir()
    env = _base_env(root)
    log = open(root / "pulseaudio.log", "wb")
    server = subprocess.Popen(
        ["pulseaudio", "-n", "--daemonize=no", "--system=false", "--exit-idle-time=-1", "--disallow-exit",
         "--use-pid-file=false", "--log-target=stderr",
         f"--load=module-null-sink sink_name={SINK} rate={SR} channels=2", "--load=module-native-protocol-unix"],
        env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pulseaudio did not start:\n" + (root / "pulseaudio.log").read_text(errors="replace"))
            time.sleep(0.1)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextlib.contextmanager
def recording(env: dict, path: Path):
    """Record the sink's monitor (float32 stereo) while the body runs."""
    rec = subprocess.Popen(["parecord", "--raw", f"--device={SINK}.monitor", "--format=float32le", f"--rate={SR}",
                            "--channels=2", "--latency-msec=20", str(path)], env=env)
    deadline = time.monotonic() + 10
    while not subprocess.run(["pactl", "list", "short", "source-outputs"], env=env, capture_output=True).stdout.strip():
        assert rec.poll() is None and time.monotonic() < deadline, "parecord did not start"
        time.sleep(0.05)
    try:
        yield
        time.sleep(0.5)  # the tail still in the server's buffers
    finally:
        rec.terminate()
        rec.wait(10)


def read_recording(path: Path) -> np.ndarray:
    data = np.fromfile(path, dtype="<f4")
    return data[: data.size // 2 * 2].reshape(-1, 2).T  # a recording in progress may end mid-frame


def sao(*args, env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sao_cli", *map(str, args)], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, **kw)


def wait_for_sound(path: Path, timeout: float = 30) -> None:
    """Block until the recording holds sound: a stream may take a moment to start."""
    deadline = time.monotonic() + timeout
    while not (path.stat().st_size >= 8 and np.abs(read_recording(path)).max() > 0.02):
        assert time.monotonic() < deadline, "no sound arrived"
        time.sleep(0.05)


def onset(recorded: np.ndarray, threshold: float = 0.02) -> int:
    loud = np.flatnonzero(np.abs(recorded).max(axis=0) > threshold)
    assert loud.size, "the recording is silent"
    return int(loud[0])


def test_play_sends_the_file_to_the_sound_server(pulse, tmp_path):
    path = FREEDESKTOP / "phone-incoming-call.oga"  # a real recording, 44.1 kHz stereo (the sink's rate)
    if not path.exists():
        pytest.skip(f"{path} missing: install sound-theme-freedesktop")
    source, sr = sf.read(str(path), dtype="float32", always_2d=True)
    source = source.T
    assert sr == SR
    with recording(pulse, tmp_path / "rec.raw"):
        result = sao("play", path, env=pulse)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert path.name in result.stderr  # the progress line is on stderr
    recorded = read_recording(tmp_path / "rec.raw")
    lag = int(np.argmax(signal.correlate(recorded.mean(axis=0), source.mean(axis=0), mode="valid", method="fft")))
    arrived = recorded[:, lag : lag + source.shape[1]]
    assert arrived.shape == source.shape, "the recording stopped before the whole file arrived"
    for ch in range(2):
        assert correlation(arrived[ch], source[ch]) > 0.9
    assert abs(rms_db(arrived) - rms_db(source)) < 0.5  # played at unity gain


def test_ab_alternates_between_an_edit_and_the_original_its_sidecar_names(pulse, tmp_path):
    original = write(tmp_path / "take.wav", tone(440.0, seconds=4.0))
    edited = tmp_path / "take.up.wav"
    made = sao("edit", original, "pitch it up 7 semitones", "-o", edited, env=pulse)
    assert made.returncode == 0, made.stderr
    with recording(pulse, tmp_path / "rec.raw"):
        result = sao("play", edited, "--ab", "--switch-every", "1", env=pulse)
    assert result.returncode == 0, result.stderr
    recorded = read_recording(tmp_path / "rec.raw")
    start = onset(recorded)
    heard = []
    for k in range(4):  # the middle of each 1 s stretch, away from the crossfades
        lo = start + int((k + 0.2) * SR)
        heard.append(dominant_hz(recorded[:, lo : lo + int(0.6 * SR)], SR))
    fifth = 440 * 2 ** (7 / 12)
    assert np.allclose(heard, [440, fifth, 440, fifth], atol=3), heard
    assert result.stderr.count(f"B {edited}") == 2  # one progress line per switch to B


def test_ab_takes_match_rate_channels_and_length(tmp_path):
    """An edit at another rate, with more channels and shorter, still lines up with its original."""
    from engine.audio_io import read_audio
    from engine.playback import ab_takes

    original = read_audio(write(tmp_path / "a.wav", tone(440.0, seconds=1.0, channels=1)))
    edit = read_audio(write(tmp_path / "b.wav", tone(1000.0, seconds=0.5, sr=48000), sr=48000))
    (a, b), sr = ab_takes(original, edit)
    assert sr == SR and a.shape == b.shape == (2, SR)
    assert dominant_hz(b[:, : SR // 2], SR) == pytest.approx(1000, abs=2)  # resampled, pitch kept
    assert rms_db(b[:, int(0.55 * SR) :]) < -100  # padded with silence
    assert correlation(a[0], a[1]) > 0.999  # mono copied to both channels


def test_ab_switches_on_a_key_press_in_a_terminal(pulse, tmp_path):
    a = write(tmp_path / "a.wav", tone(440.0, seconds=8.0))
    b = write(tmp_path / "b.wav", tone(660.0, seconds=8.0))
    leader, follower = pty.openpty()
    with recording(pulse, tmp_path / "rec.raw"):
        proc = subprocess.Popen([sys.executable, "-m", "sao_cli", "play", str(a), str(b), "--ab"], env=pulse,
                                stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(follower)
        wait_for_sound(tmp_path / "rec.raw")
        time.sleep(1.0)
        os.write(leader, b" ")
        time.sleep(1.0)
        os.write(leader, b"q")
        proc.wait(30)
    os.close(leader)
    assert proc.returncode == 0, proc.stderr.read()
    recorded = read_recording(tmp_path / "rec.raw")
    start = onset(recorded)
    sound = np.flatnonzero(np.abs(recorded).max(axis=0) > 0.02)
    stop = int(sound[-1])
    assert (stop - start) / SR < 5.0, "q did not stop playback"  # 8 s files
    assert dominant_hz(recorded[:, start : start + int(0.5 * SR)], SR) == pytest.approx(440, abs=3)
    assert dominant_hz(recorded[:, stop - int(0.5 * SR) : stop], SR) == pytest.approx(660, abs=3)


def _no_device_env(tmp_path) -> dict:
    """No server to reach, and an ALSA configuration whose one device is a card that does not exist.

    (An empty ALSA configuration would crash PortAudio 19.6 on an assertion.)
    """
    root = tmp_path / "nodev"
    root.mkdir()
    env = _base_env(root)
    conf = root / "asound.conf"
    conf.write_text("pcm.!default { type hw card 99 device 0 }\nctl.!default { type hw card 99 }\n")
    env.update(ALSA_CONFIG_PATH=str(conf), PULSE_SERVER=f"unix:{root / 'no-such-socket'}")
    return env


def test_no_output_device_exits_7_with_one_line(tmp_path, wav):
    result = sao("play", wav, env=_no_device_env(tmp_path))
    assert result.returncode == 7
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no audio output device" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_missing_portaudio_exits_7(tmp_path, wav):
    """sounddevice cannot load (no libportaudio): the same exit code, and a line that names the cause."""
    code = "import sys; sys.modules['sounddevice'] = None; sys.argv = ['sao', 'play', sys.argv[1]]; from sao_cli.app import main; main()"
    result = subprocess.run([sys.executable, "-c", code, str(wav)], env=_no_device_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 7
    assert len(result.stderr.strip().splitlines()) == 1 and "PortAudio" in result.stderr, result.stderr
