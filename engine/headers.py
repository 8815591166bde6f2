"""What soundfile does not say about a file: the frame count its header promises,
and a WAV file's channel mask.

libsndfile quietly trims a WAV or AIFF file whose data stops early to the frames
that are there, so a 2 s file cut to 60 bytes reads as 4 frames and no error.
Comparing with the header's own count is what catches it (see
audio_io.open_audio). The channel mask (WAVEFORMATEXTENSIBLE's dwChannelMask)
says which speaker each channel feeds (engine.layout); libsndfile reads it but
gives no way to ask for it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # what streaming writers put in a size they could not know yet
_PCM_TAGS = {0x0001, 0x0003, 0x0006, 0x0007}  # PCM, IEEE float, A-law, mu-law: one block = one frame
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class Header:
    frames: int | None = None  # the frame count the header promises; None where it does not say
    channel_mask: int | None = None  # dwChannelMask of a WAVEFORMATEXTENSIBLE file; None (or 0) where none is given


def read_header(fh: BinaryIO) -> Header:
    """Parse a WAV (RIFF, RF64, BW64) or AIFF/AIFC header from the start of `fh`; Header() for anything else.

    Reads only the header chunks (it seeks past the rest), and leaves `fh` where
    it found it. Never raises: a header too damaged to parse says nothing.
    """
    start = fh.tell()
    try:
        magic = fh.read(12)
        if magic[:4] in (b"RIFF", b"RF64", b"BW64") and magic[8:12] == b"WAVE":
            return _wav(fh)
        if magic[:4] == b"FORM" and magic[8:12] in (b"AIFF", b"AIFC"):
            return _aiff(fh)
        return Header()
    except (struct.error, OSError, ValueError):
        return Header()
    finally:
        fh.seek(start)


def _chunks(fh: BinaryIO, endian: str):
    """(id, size, offset of its data) for each chunk, seeking past each one's data."""
    while len(head := fh.read(8)) == 8:
        cid, size = head[:4], struct.unpack(f"{endian}I", head[4:])[0]
        offset = fh.tell()
        yield cid, size, offset
        fh.seek(offset + size + (size & 1))  # chunks are padded to an even length


def _wav(fh: BinaryIO) -> Header:
    block_align = tag = mask = None
    data_size64 = None
    for cid, size, offset in _chunks(fh, "<"):
        if cid == b"ds64":  # RF64: the real sizes, 64-bit
            data_size64 = struct.unpack("<QQ", fh.read(16))[1]
        elif cid == b"fmt ":
            fmt = fh.read(min(size, 40))
            tag, _, _, _, block_align = struct.unpack("<HHIIH", fmt[:14])
            if tag == _EXTENSIBLE and len(fmt) >= 40:
                mask = struct.unpack("<I", fmt[20:24])[0]
                tag = struct.unpack("<H", fmt[24:26])[0]  # the sub-format GUID starts with the plain tag
        elif cid == b"data":
            if size == 0xFFFFFFFF and data_size64 is not None:
                size = data_size64
            elif size in UNKNOWN_SIZES:
                size = None
            frames = size // block_align if size is not None and block_align and tag in _PCM_TAGS else None
            return Header(frames, mask)
    return Header(None, mask)


def _aiff(fh: BinaryIO) -> Header:
    for cid, _size, _offset in _chunks(fh, ">"):
        if cid == b"COMM":
            _channels, frames = struct.unpack(">hI", fh.read(6))
            return Header(frames, None)
    return Header()
