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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import soundfile as sf

from .errors import BadAudio, OutputRefused, UsageError
from .headers import Header, read_header
from .measure import sample_peak, true_peak

READABLE = {"WAV", "FLAC", "OGG", "AIFF", "MP3", "WAVEX", "RF64", "W64", "CAF"}
READABLE_EXTENSIONS = {".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3"}
WRITABLE = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".aiff": "AIFF", ".aif": "AIFF"}
_BITS_TO_SUBTYPE = {8: "PCM_U8", 16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
_SUBTYPE_BITS = {"PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32, "DOUBLE": 64, "ULAW": 8, "ALAW": 8}
_COMPANDED = {"ulaw": ("ULAW", "mu-law"), "alaw": ("ALAW", "A-law")}  # 8-bit telephone codecs: WAV and AIFF only
TRUE_PEAK_CEILING_DB = -0.1
SFC_SET_ADD_PEAK_CHUNK = 0x1050  # libsndfile's command number (sndfile.h)
BLOCK_FRAMES = 1 << 16  # frames per block when writing or streaming: big enough for speed, small for memory


@dataclass
class Audio:
    """Samples plus what is needed to write them back the way they came."""

    samples: np.ndarray  # float32, (channels, frames)
    sample_rate: int
    format: str = "WAV"  # soundfile major format of the source
    subtype: str = "PCM_16"  # soundfile subtype of the source
    sha256: str = ""  # of the source file's bytes, for sidecars and replay
    layout: tuple[str, ...] | None = None  # the speaker of each channel (engine.layout), from a WAV channel mask; None: the default order
    truncated: tuple[int, int] | None = None  # (frames the header promised, frames found) of a truncated file read anyway

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


class Truncated(BadAudio):
    """The file holds fewer frames than its header promises (a copy or download cut short)."""

    def __init__(self, name: str, declared: int, found: int, detail: str = ""):
        super().__init__(f"{name}: the file is truncated: its header says {declared} frames, found {found}{detail}",
                         hint="`sao edit`, `chain` and `batch` take --allow-truncated to use the frames that are there." if found else None)
        self.declared, self.found = declared, found


def header_of(source: str | os.PathLike | io.BytesIO) -> Header:
    """What the file's header says beyond soundfile (engine.headers): promised length, channel mask."""
    if isinstance(source, io.BytesIO):
        return read_header(source)
    try:
        with open(source, "rb") as fh:
            return read_header(fh)
    except OSError:
        return Header()


def open_audio(source: str | os.PathLike | io.BytesIO, name: str | None = None, allow_truncated: bool = False) -> sf.SoundFile:
    """Open for reading (whole or in blocks), with one-line BadAudio errors (exit 3).

    A WAV or AIFF file whose data stops before its header says is refused
    (Truncated) unless `allow_truncated`; libsndfile alone would read the frames
    that are there without a word. A file with no frames at all is always refused.
    """
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
    promised = header_of(source).frames
    if promised is not None and promised > f.frames and (not allow_truncated or f.frames == 0):
        f.close()
        raise Truncated(name, promised, f.frames)
    if f.frames == 0:
        f.close()
        raise BadAudio(f"{name}: the audio has no samples (zero length)")
    return f


def read_audio(path: str | os.PathLike, allow_truncated: bool = False) -> Audio:
    """Read a file (or '-' for stdin) and validate it; raises BadAudio with one clear line.

    A truncated file (see open_audio) is refused unless `allow_truncated`; then the
    frames that are there are returned and `Audio.truncated` says what was missing.
    """
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
    header = header_of(source)
    with open_audio(source, name, allow_truncated) as f:
        samples = np.empty((f.channels, f.frames), np.float32)
        filled = 0
        for block in read_blocks(f, name, allow_truncated=allow_truncated):
            samples[:, filled : filled + block.shape[1]] = block
            filled += block.shape[1]
        promised = max(f.frames, header.frames or 0)
        audio = Audio(np.ascontiguousarray(samples[:, :filled]), int(f.samplerate), f.format, f.subtype, digest,
                      layout_of(header, f.channels), (promised, filled) if filled < promised else None)
    if audio.frames == 0:
        raise BadAudio(f"{name}: the audio has no samples (zero length)")
    return audio


def layout_of(header: Header, channels: int) -> tuple[str, ...] | None:
    """The channel layout a header's mask gives (engine.layout); None without a mask (the default order)."""
    if not header.channel_mask:
        return None
    from .layout import from_mask

    return from_mask(header.channel_mask, channels)


# Integer files are read as integers and scaled here: the same float32 values libsndfile
# would make (x / 2^15 or x / 2^31, exact), with the transpose done in the same pass.
_READ_AS = {"PCM_S8": np.int16, "PCM_U8": np.int16, "PCM_16": np.int16, "PCM_24": np.int32, "PCM_32": np.int32}


def read_blocks(f: sf.SoundFile, name: str, block: int = BLOCK_FRAMES, allow_truncated: bool = False) -> Iterator[np.ndarray]:
    """A just-opened file's samples as float32 (channels, frames) blocks, checked as they come.

    Raises BadAudio (exit 3) for corrupt data or NaN/infinite samples, wherever in
    the file they are (integer files cannot hold those). Stops at the length the
    header gives; a file that ends (or breaks off, as a cut FLAC file does) before
    that raises Truncated, or with `allow_truncated` just stops there.
    """
    dtype = _READ_AS.get(f.subtype, np.float32)
    scale = np.float32(2.0 ** -(8 * np.dtype(dtype).itemsize - 1)) if dtype is not np.float32 else None
    buffer = np.empty((block, f.channels), dtype)
    done = 0
    while (wanted := min(block, f.frames - done)) > 0:
        try:
            chunk = f.read(wanted, dtype=buffer.dtype.name, always_2d=True, out=buffer)
        except (sf.LibsndfileError, RuntimeError) as e:
            if not done:
                raise BadAudio(f"{name}: the audio data is corrupt or cut short (its header says {f.frames} frames; {str(e).strip()})") from None
            if allow_truncated:
                return
            raise Truncated(name, f.frames, done, f" before the data broke off ({str(e).strip()})") from None
        if scale is not None:
            samples = np.multiply(chunk.T, scale, dtype=np.float32, order="C")
        elif np.isfinite(chunk).all():
            samples = np.ascontiguousarray(chunk.T)
        else:
            raise BadAudio(f"{name}: the audio contains NaN or infinite samples")
        done += len(chunk)
        if len(chunk) < wanted and not allow_truncated and not _fuzzy_length(f, f.frames - done):
            raise Truncated(name, f.frames, done)
        if len(chunk):
            yield samples
        if len(chunk) < wanted:
            return


def _fuzzy_length(f: sf.SoundFile, missing: int) -> bool:
    """Whether `missing` frames are within what the format's length can be off by: an MP3's
    frame count is an estimate unless an encoder wrote it down; allow two MPEG frames."""
    return f.format == "MP3" and missing <= 2 * 1152


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


def output_subtype(fmt: str, source_subtype: str, bits: int | None, encoding: str | None = None) -> str:
    """The subtype to write: `--bits` (and an encoding from the plan: pcm, float, ulaw, alaw) if given,
    else the source's where the format allows it."""
    if fmt == "OGG":
        if encoding is not None:
            raise UsageError(f"an .ogg file is Vorbis: it cannot be {encoding}; write a .wav instead")
        return "VORBIS"
    if encoding in _COMPANDED:
        subtype, name = _COMPANDED[encoding]
        if bits not in (None, 8):
            raise UsageError(f"{name} is 8-bit, not {bits}-bit")
        if not sf.check_format(fmt, subtype):
            raise UsageError(f"{name} needs a .wav or .aiff output, not {fmt}")
        return subtype
    if encoding == "float" and bits not in (None, 32):
        raise UsageError(f"float output is 32-bit, not {bits}-bit")
    if encoding == "pcm" and bits in (None, 32):
        if bits is None:  # integers at the source's depth
            keep = source_subtype.startswith("PCM") and sf.check_format(fmt, source_subtype)
            return source_subtype if keep else "PCM_24" if bits_of(source_subtype) > 16 else "PCM_16"
        if not sf.check_format(fmt, "PCM_32"):
            raise UsageError(f"{fmt} cannot hold 32-bit integers; use a WAV output")
        return "PCM_32"
    if encoding == "float":
        bits = 32
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
    """Whether the file clips at full scale (everything but float)."""
    return subtype.startswith("PCM") or subtype in ("VORBIS", "ULAW", "ALAW")


def bits_of(subtype: str) -> int:
    return _SUBTYPE_BITS.get(subtype, 16)


def needs_dither(subtype: str, source_bits: int | None) -> bool:
    """Dither only when the output has fewer bits than the input, so unedited samples stay bit-identical."""
    return subtype.startswith("PCM") and source_bits is not None and bits_of(subtype) < source_bits


def tpdf_noise(channels: int, frames: int, start: int, stop: int, bits: int, seed: int = 0) -> np.ndarray:
    """Frames [start, stop) of the TPDF (triangular, ±1 LSB) dither noise for a (channels, frames) result.

    The noise is fixed by the seed and the result's shape, so the same edit gives the
    same file; any stretch of it can be made on its own (the generator jumps ahead),
    so a file written in blocks gets exactly the noise it would get written whole:
    the difference of two uniform draws of channels x frames float32 values each,
    in C order. Pitfall: numpy makes two float32 values from each 64-bit draw.
    """

    def uniform(first: int) -> np.ndarray:
        bit_generator = np.random.PCG64(seed)  # what np.random.default_rng(seed) uses
        bit_generator.advance(first // 2)
        rng = np.random.Generator(bit_generator)
        if first % 2:
            rng.random(1, dtype=np.float32)  # the low half of a draw that the range starts after
        return rng.random(stop - start, dtype=np.float32)

    noise = np.empty((channels, stop - start), np.float32)
    size = channels * frames
    for c in range(channels):
        noise[c] = uniform(c * frames + start) - uniform(size + c * frames + start)
    return noise * np.float32(2.0 ** -(bits - 1))


def clip_gain(peak: float, true_peak_db: Callable[[], float], clip: str) -> tuple[np.float32 | None, list[str]]:
    """The clipping policy for an integer file: the gain to put on the result (None: none) and its warning.

    Only a result that would clip (a sample at or beyond full scale) is touched,
    so `true_peak_db` (4x oversampling, slow) is called only then; `limit` lowers
    the whole result so its true peak sits at TRUE_PEAK_CEILING_DB, `error`
    refuses (exit 4), `allow` lets the file clip.
    """
    if peak < 1.0 or clip == "allow":
        return None, []
    if clip == "error":
        raise OutputRefused(f"the result would clip (peak {20 * np.log10(peak):+.1f} dBFS); lower the level or use --clip limit")
    tp = true_peak_db()
    reduction = tp - TRUE_PEAK_CEILING_DB
    warning = f"the result would clip (true peak {tp:+.1f} dBFS): lowered by {reduction:.1f} dB to {TRUE_PEAK_CEILING_DB} dBFS true peak"
    return np.float32(10 ** (-reduction / 20)), [warning]


def prepare_for_write(samples: np.ndarray, sample_rate: int, subtype: str, source_bits: int | None, clip: str = "limit") -> tuple[np.ndarray, list[str]]:
    """Apply the clipping policy and dither for an integer target; returns samples (on the grid) and warnings."""
    if not is_integer_subtype(subtype):
        return samples, []
    gain, warnings = clip_gain(sample_peak(samples), lambda: true_peak(samples, sample_rate), clip)
    if not subtype.startswith("PCM"):  # Vorbis, mu-law, A-law: the codec quantises
        return (samples if gain is None else samples * gain), warnings
    encoder = Encoder(subtype, *samples.shape, dither=needs_dither(subtype, source_bits), gain=gain)
    return quantize(encoder.prepare(samples), bits_of(subtype)), warnings


def _grid(samples: np.ndarray, bits: int) -> np.ndarray:
    """Samples rounded to the `bits`-bit integer grid, as integer-valued floats.

    Rounded by sao: libsndfile truncates floats toward -inf, which would add half a
    step of bias and a full step of error. float32 is exact up to 24 bits (the scale
    is a power of two and the integers fit its mantissa); 32 bits needs float64.
    """
    dtype = np.float32 if bits <= 24 else np.float64
    scale = dtype(2.0 ** (bits - 1))
    grid = np.multiply(samples, scale, dtype=dtype)
    np.rint(grid, out=grid)
    return np.clip(grid, -scale, scale - 1, out=grid)


def quantize(samples: np.ndarray, bits: int) -> np.ndarray:
    """Round to the `bits`-bit grid; returns float32 values on that grid."""
    grid = _grid(samples, bits)
    return np.multiply(grid, 2.0 ** -(bits - 1), dtype=np.float32)


def pcm_frames(samples: np.ndarray, bits: int) -> np.ndarray:
    """(channels, frames) floats -> (frames, channels) integers on the `bits` grid, left-justified.

    int16 for up to 16 bits, int32 above: libsndfile then stores the integers as
    they are (dropping the zero low bits), with no float conversion of its own.
    """
    container = 16 if bits <= 16 else 32
    grid = _grid(samples, bits)
    if container > bits:
        grid *= grid.dtype.type(2 ** (container - bits))  # exact: a power of two
    out = np.empty(grid.shape[::-1], np.int16 if container == 16 else np.int32)
    np.copyto(out.T, grid, casting="unsafe")  # transpose and convert in one pass
    return out


@dataclass
class Encoder:
    """Turns (channels, frames) float blocks, in order, into what soundfile writes for `subtype`.

    PCM: the clip gain, dither when bits drop, then integers on the grid; float and
    Vorbis: float32 (frames, channels). `frames` is the whole result's length, which
    fixes the dither noise, so a file written block by block is byte-identical to
    the same result written at once.
    """

    subtype: str
    channels: int
    frames: int
    dither: bool = False
    gain: np.float32 | None = None  # from clip_gain
    position: int = 0  # frames encoded so far

    def prepare(self, block: np.ndarray) -> np.ndarray:
        """The gain and the dither for the next block, still as floats."""
        start, self.position = self.position, self.position + block.shape[1]
        if self.gain is not None:
            block = block * self.gain
        if self.dither:
            block = block + tpdf_noise(self.channels, self.frames, start, self.position, bits_of(self.subtype))
        return block

    def __call__(self, block: np.ndarray) -> np.ndarray:
        block = self.prepare(block)
        if self.subtype.startswith("PCM"):
            return pcm_frames(block, bits_of(self.subtype))
        return np.ascontiguousarray(block.T, dtype=np.float32)


@contextlib.contextmanager
def open_output(out: str | os.PathLike, sample_rate: int, channels: int, subtype: str, fmt: str | None = None) -> Iterator[sf.SoundFile]:
    """A SoundFile to write into, block by block: atomically for a path (temp file, then
    rename; nothing is left on failure), buffered and sent on success for '-' (WAV on stdout)."""
    if str(out) == "-":
        buf = io.BytesIO()
        with sf.SoundFile(buf, "w", sample_rate, channels, subtype if sf.check_format("WAV", subtype) else "PCM_16", format="WAV") as f:
            yield f
        sys.stdout.buffer.write(buf.getvalue())
        sys.stdout.buffer.flush()
        return
    o = Path(out)
    with atomic_file(o) as fh, sf.SoundFile(fh, "w", sample_rate, channels, subtype, format=fmt or WRITABLE[o.suffix.lower()]) as f:
        _no_peak_chunk(f)
        yield f


def _no_peak_chunk(f: sf.SoundFile) -> None:
    """libsndfile stamps the time into the PEAK chunk of float WAV/AIFF files, so two
    identical edits would differ in bytes; leave that optional chunk out (determinism).

    soundfile has no public call for it: this uses its libsndfile binding, and does
    nothing if that ever changes."""
    snd, ffi = getattr(sf, "_snd", None), getattr(sf, "_ffi", None)
    if snd is not None and ffi is not None and f.subtype in ("FLOAT", "DOUBLE"):
        snd.sf_command(f._file, SFC_SET_ADD_PEAK_CHUNK, ffi.NULL, 0)


def write_blocks(f: sf.SoundFile, samples: np.ndarray, encoder: Encoder, block: int = BLOCK_FRAMES) -> None:
    """Write (channels, frames) samples through `encoder` a block at a time: the converted copy stays small."""
    for start in range(0, samples.shape[1], block):
        f.write(encoder(samples[:, start : start + block]))


def write_audio(out: str | os.PathLike, samples: np.ndarray, sample_rate: int, subtype: str, fmt: str | None = None) -> None:
    """Write atomically: temp file in the same folder, fsync, rename. '-' writes WAV to stdout.

    Integer subtypes are rounded to the grid (see quantize); pass samples from
    prepare_for_write to get the clipping policy and dither first.
    """
    with open_output(out, sample_rate, samples.shape[0], subtype, fmt) as f:
        write_blocks(f, samples, Encoder(f.subtype, *samples.shape))


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Yield a temp file beside `path`; on success fsync and rename it to `path`, on failure remove it."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a result gets the user's usual mode
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a small text file (a sidecar) with the same temp-then-rename guarantee."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w") as fh:
        fh.write(text)
