"""`--shard i/N`: split work across machines by a stable hash of each item's key.

The hash is SHA-1 of the key (not Python's salted hash()), so every machine and
every run agrees on which shard owns which item.
"""

from __future__ import annotations

import hashlib

from .errors import UsageError


def parse_shard(text: str | None) -> tuple[int, int]:
    """'2/8' -> (2, 8); None -> (0, 1). Shards count from 0."""
    if text is None:
        return 0, 1
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard must look like i/N, e.g. 0/4 (got {text!r})") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"--shard {text}: need 0 <= i < N")
    return i, n


def stable_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big")


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    i, n = shard
    return stable_hash(key) % n == i
