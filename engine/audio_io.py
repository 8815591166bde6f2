"""Reading and writing audio files, safely.

Samples inside sao are float32 arrays shaped (channels, frames), as pedalboard
uses them. Files are read with soundfile (WAV, FLAC, OGG/Vorbis, AIFF, MP3) and
written atomically: a temp file in the target folder, then a rename, so no
half-written file ever sits under a final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import numpy as np
import soundfile as sf

from .errors import BadAudio, OutputRefused, UsageError

READABLE = {"WAV", "FLAC", "OGG", "AIFF", "MP3", "WAVEX", "RF64", "W64", "CAF"}
READABLE_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3"}
WRITABLE = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".aiff": "AIFF", ".aif": "AIFF"}
_BITS_TO_SUBTYPE = {8: "PCM_U8", 16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
_SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64}
TRUE_PEAK_CEILING_DB = -0.1


@dataclass
class Audio:
    """Samples plus what is needed to write them back the way they came."""

    samples: np.ndarray  # float32, (channels, frames)
    sample_rate: int
    format: str = "WAV"  # soundfile major format of the source
    subtype: str = "PCM_16"  # soundfile subtype of the source
    sha256: str = ""  # of the source file's bytes, for sidecars and replay

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def frames(self) -> int:
        return self.samples.shape[1]

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


def _check_path(name: str) -> Path:
    p = Path(name)
    if not p.exists():
        raise BadAudio(f"{name}: no such file")
    if p.is_dir():
        raise BadAudio(f"{name}: is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise BadAudio(f"{name}: the file is empty")
    return p


def open_audio(source: str | os.PathLike | io.BytesIO, name: str | None = None) -> sf.SoundFile:
    """Open for reading (whole or in blocks), with one-line BadAudio errors (exit 3)."""
    name = name or str(source)
    if not isinstance(source, io.BytesIO):
        _check_path(name)
    try:
        f = sf.SoundFile(source)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        reason = str(e).split(":")[-1].strip() or "unreadable"
        raise BadAudio(f"{name}: not a readable audio file ({reason})") from None
    if f.format not in READABLE:
        f.close()
        raise BadAudio(f"{name}: {f.format} files are not supported (use WAV, FLAC, OGG, AIFF or MP3)")
    if f.frames == 0:
        f.close()
        raise BadAudio(f"{name}: the audio has no samples (zero length)")
    return f


def read_audio(path: str | os.PathLike) -> Audio:
    """Read a file (or '-' for stdin) and validate it; raises BadAudio with one clear line."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise BadAudio("stdin is empty: pipe an audio file into '-'")
        source: object = io.BytesIO(data)
        digest = hashlib.sha256(data).hexdigest()
        name = "stdin"
    else:
        source = name
        digest = file_sha256(_check_path(name))
    with open_audio(source, name) as f:
        try:
            samples = f.read(dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            raise BadAudio(f"{name}: the audio data is corrupt ({e})") from None
        audio = Audio(np.ascontiguousarray(samples.T), int(f.samplerate), f.format, f.subtype, digest)
    if audio.frames == 0:
        raise BadAudio(f"{name}: the audio has no samples (zero length)")
    if not np.isfinite(audio.samples).all():
        raise BadAudio(f"{name}: the audio contains NaN or infinite samples")
    return audio


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_output_path(input_path: str | os.PathLike) -> Path:
    """`<stem>.edited.<ext>` beside the input; `.wav` where the format can't be written (MP3)."""
    p = Path(input_path)
    ext = p.suffix.lower() if p.suffix.lower() in WRITABLE else ".wav"
    return p.with_name(f"{p.stem}.edited{ext}")


def check_output(out: str | os.PathLike, inputs: list[str], force: bool) -> None:
    """Refuse (exit 4) an output that exists or is one of the inputs, unless forced."""
    if str(out) == "-":
        return
    o = Path(out)
    if o.suffix.lower() not in WRITABLE:
        raise UsageError(f"{out}: cannot write '{o.suffix or 'no extension'}' files (use .wav, .flac, .ogg or .aiff)")
    if o.is_dir():
        raise OutputRefused(f"{out}: is a folder; give a file name")
    if not o.parent.exists():
        raise OutputRefused(f"{out}: the folder {o.parent} does not exist")
    same = any(i != "-" and Path(i).exists() and o.exists() and o.resolve() == Path(i).resolve() for i in inputs)
    if same and not force:
        raise OutputRefused(f"{out}: is the input file; pass --force to overwrite it")
    if o.exists() and not force:
        raise OutputRefused(f"{out}: already exists; pass --force to overwrite it")
    if not os.access(o.parent, os.W_OK):
        raise OutputRefused(f"{out}: the folder is not writable")


def output_subtype(fmt: str, source_subtype: str, bits: int | None) -> str:
    """The subtype to write: `--bits` if given, else the source's where the format allows it."""
    if fmt == "OGG":
        return "VORBIS"
    if bits is not None:
        if bits not in _BITS_TO_SUBTYPE:
            raise UsageError(f"--bits must be one of 8, 16, 24, 32 (got {bits})")
        subtype = _BITS_TO_SUBTYPE[bits]
        if fmt == "FLAC" and bits == 32:
            raise UsageError("FLAC cannot hold 32-bit float; use --bits 24 or a WAV output")
        if fmt == "FLAC" and bits == 8:
            return "PCM_S8"
        return subtype
    if source_subtype in _SUBTYPE_BITS and sf.check_format(fmt, source_subtype):
        return source_subtype
    return "PCM_24" if _SUBTYPE_BITS.get(source_subtype, 16) > 16 else "PCM_16"


def is_integer_subtype(subtype: str) -> bool:
    return subtype.startswith("PCM") or subtype == "VORBIS"


def bits_of(subtype: str) -> int:
    return _SUBTYPE_BITS.get(subtype, 16)


def tpdf_dither(samples: np.ndarray, bits: int, seed: int = 0) -> np.ndarray:
    """Add triangular (TPDF) dither of ±1 LSB before quantising to `bits`.

    Deterministic (fixed seed), so the same edit gives the same file.
    """
    lsb = 2.0 ** -(bits - 1)
    rng = np.random.default_rng(seed)
    noise = (rng.random(samples.shape, dtype=np.float32) - rng.random(samples.shape, dtype=np.float32)) * lsb
    return samples + noise


def prepare_for_write(samples: np.ndarray, sample_rate: int, subtype: str, source_bits: int | None, clip: str = "limit") -> tuple[np.ndarray, list[str]]:
    """Apply the clipping policy and dither for an integer target; returns samples and warnings."""
    warnings: list[str] = []
    if is_integer_subtype(subtype):
        from .measure import true_peak

        tp = true_peak(samples, sample_rate)
        if tp > TRUE_PEAK_CEILING_DB:
            if clip == "error":
                raise OutputRefused(f"the result would clip (true peak {tp:+.1f} dBFS); lower the level or use --clip limit")
            if clip == "limit":
                reduction = tp - TRUE_PEAK_CEILING_DB
                samples = samples * np.float32(10 ** (-reduction / 20))
                warnings.append(f"the result would clip (true peak {tp:+.1f} dBFS): lowered by {reduction:.1f} dB to {TRUE_PEAK_CEILING_DB} dBFS true peak")
        if subtype != "VORBIS":
            target_bits = bits_of(subtype)
            if source_bits is not None and target_bits < source_bits:
                samples = tpdf_dither(samples, target_bits)
            samples = quantize(samples, target_bits)
    return samples, warnings


def quantize(samples: np.ndarray, bits: int) -> np.ndarray:
    """Round to the integer grid ourselves: libsndfile truncates floats toward -inf,
    which would add half a step of bias and a full step of error."""
    scale = 2.0 ** (bits - 1)
    grid = np.clip(np.round(samples.astype(np.float64) * scale), -scale, scale - 1)
    return (grid / scale).astype(np.float32)


def write_audio(out: str | os.PathLike, samples: np.ndarray, sample_rate: int, subtype: str, fmt: str | None = None) -> None:
    """Write atomically: temp file in the same folder, fsync, rename. '-' writes WAV to stdout."""
    data = np.ascontiguousarray(samples.T)
    if str(out) == "-":
        buf = io.BytesIO()
        sf.write(buf, data, sample_rate, subtype=subtype if sf.check_format("WAV", subtype) else "PCM_16", format="WAV")
        sys.stdout.buffer.write(buf.getvalue())
        sys.stdout.buffer.flush()
        return
    o = Path(out)
    with atomic_file(o) as fh:
        sf.write(fh, data, sample_rate, subtype=subtype, format=fmt or WRITABLE[o.suffix.lower()])


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Yield a temp file beside `path`; on success fsync and rename it to `path`, on failure remove it."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a small text file (a sidecar) with the same temp-then-rename guarantee."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w") as fh:
        fh.write(text)
