"""Audio I/O: formats, atomic writes, refusals, bad input, clipping and dither, measured."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, real_sound, tone, write
from engine.audio_io import (
    Audio,
    check_output,
    default_output_path,
    output_subtype,
    prepare_for_write,
    read_audio,
    write_audio,
)
from engine.errors import BadAudio, OutputRefused, UsageError
from engine.measure import correlation, true_peak


@pytest.mark.parametrize(
    "ext,fmt,subtype",
    [(".wav", "WAV", "PCM_16"), (".wav", "WAV", "PCM_24"), (".wav", "WAV", "FLOAT"), (".flac", "FLAC", "PCM_24"),
     (".ogg", "OGG", "VORBIS"), (".aiff", "AIFF", "PCM_16"), (".mp3", "MP3", "MPEG_LAYER_III")],
)
def test_reads_every_format_with_its_properties(tmp_path, ext, fmt, subtype):
    x = tone(330.0, 1.0, channels=2)
    path = tmp_path / f"a{ext}"
    sf.write(str(path), x.T, SR, format=fmt, subtype=subtype)
    audio = read_audio(path)
    assert (audio.sample_rate, audio.channels, audio.format, audio.subtype) == (SR, 2, fmt, subtype)
    lossy = fmt in ("OGG", "MP3")
    n = min(audio.frames, x.shape[1])
    if lossy:  # codecs add delay: compare spectra-level similarity through correlation at the best lag
        lag = int(np.argmax(np.correlate(audio.samples[0, :4096], x[0, :2048], "valid")))
        assert correlation(audio.samples[0, lag : lag + 30000], x[0, : 30000]) > 0.95
    else:
        assert audio.frames == x.shape[1]
        assert np.max(np.abs(audio.samples[:, :n] - x[:, :n])) < 1e-3


def test_reads_a_real_recording():
    x, sr = real_sound("bell")
    assert x.shape[0] >= 1 and sr > 0 and np.isfinite(x).all()


def test_pcm16_round_trip_is_bit_exact(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 0.5))
    audio = read_audio(src)
    write_audio(tmp_path / "out.wav", audio.samples, audio.sample_rate, "PCM_16")
    a, _ = sf.read(str(src), dtype="int16")
    b, _ = sf.read(str(tmp_path / "out.wav"), dtype="int16")
    assert np.array_equal(a, b)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(Exception):
        write_audio(tmp_path / "out.flac", tone(), SR, "FLOAT")  # FLAC cannot hold float
    assert list(tmp_path.iterdir()) == []


def test_output_refusals(tmp_path, wav):
    check_output(tmp_path / "new.wav", [str(wav)], force=False)
    with pytest.raises(OutputRefused, match="already exists"):
        check_output(wav.with_name("tone.wav"), ["other.wav"], force=False)
    with pytest.raises(OutputRefused, match="is the input"):
        check_output(wav, [str(wav)], force=False)
    check_output(wav, [str(wav)], force=True)
    with pytest.raises(OutputRefused, match="does not exist"):
        check_output(tmp_path / "nope" / "x.wav", [str(wav)], force=False)
    with pytest.raises(UsageError, match="cannot write"):
        check_output(tmp_path / "x.mp3", [str(wav)], force=False)


def test_default_output_path():
    assert str(default_output_path("a/take.flac")) == "a/take.edited.flac"
    assert str(default_output_path("a/song.mp3")) == "a/song.edited.wav"


def _nan_wav(path):
    x = tone(440.0, 0.2)
    x[0, 100] = np.nan
    sf.write(str(path), x.T, SR, subtype="FLOAT")


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("hello, I am not audio\n" * 20), "not a readable audio file"),
        (lambda p: sf.write(str(p), np.zeros((0, 2)), SR), "zero length|no samples|not a readable"),
        (_nan_wav, "NaN"),
        (lambda p: p.write_bytes(open(write(p.with_name("full.wav"), tone()), "rb").read()[:30]), "not a readable"),
    ],
    ids=["empty", "text", "zero-length", "nan", "truncated"],
)
def test_bad_inputs_raise_bad_audio(tmp_path, make, match):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(BadAudio, match=match):
        read_audio(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(BadAudio, match="no such file"):
        read_audio(tmp_path / "missing.wav")
    with pytest.raises(BadAudio, match="folder"):
        read_audio(tmp_path)


def test_clip_limit_brings_true_peak_to_ceiling():
    x = tone(997.0, 1.0, amp=1.6)
    y, warnings = prepare_for_write(x, SR, "PCM_16", 16, "limit")
    assert warnings and "clip" in warnings[0]
    assert true_peak(y, SR) <= -0.1 + 0.01
    assert correlation(x, y) > 0.999  # a level change, not distortion


def test_clip_error_and_allow():
    x = tone(997.0, 0.5, amp=1.6)
    with pytest.raises(OutputRefused):
        prepare_for_write(x, SR, "PCM_16", 16, "error")
    y, warnings = prepare_for_write(x, SR, "PCM_16", 16, "allow")
    assert not warnings and np.max(np.abs(y)) >= 0.999  # clipped hard at full scale, as asked
    z, warnings = prepare_for_write(x, SR, "FLOAT", 32, "limit")  # float keeps overs
    assert not warnings and np.max(np.abs(z)) > 1.5


def test_reducing_bit_depth_dithers(tmp_path):
    lsb = 2.0 ** -15
    x = np.full((1, SR), 0.3 * lsb, np.float32)  # below one 16-bit step
    plain, _ = prepare_for_write(x, SR, "PCM_16", 16, "limit")  # same depth: no dither
    dithered, _ = prepare_for_write(x, SR, "PCM_16", 24, "limit")
    write_audio(tmp_path / "p.wav", plain, SR, "PCM_16")
    write_audio(tmp_path / "d.wav", dithered, SR, "PCM_16")
    p, _ = sf.read(str(tmp_path / "p.wav"))
    d, _ = sf.read(str(tmp_path / "d.wav"))
    assert np.all(p == 0)  # undithered quantisation loses the signal
    assert abs(np.mean(d) - 0.3 * lsb) < 0.05 * lsb  # TPDF keeps it on average
    assert 0.3 * lsb < np.std(d) < 1.2 * lsb


def test_output_subtype_rules():
    assert output_subtype("WAV", "PCM_24", None) == "PCM_24"
    assert output_subtype("FLAC", "FLOAT", None) == "PCM_24"
    assert output_subtype("WAV", "MPEG_LAYER_III", None) == "PCM_16"
    assert output_subtype("OGG", "PCM_16", 24) == "VORBIS"
    assert output_subtype("WAV", "PCM_16", 24) == "PCM_24"
    with pytest.raises(UsageError):
        output_subtype("WAV", "PCM_16", 12)


def test_audio_properties():
    a = Audio(tone(seconds=1.5, channels=3), SR)
    assert (a.channels, a.frames, a.duration_s) == (3, int(1.5 * SR), 1.5)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
