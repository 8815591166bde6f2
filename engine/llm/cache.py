"""The planner's answers on disk, so the same words give the same plan without asking again.

One JSON file per answer under $SAO_CACHE/planner/, named by the hash of
(words, endpoint, model, prompt version, registry version): a new model, prompt
or operation set asks afresh. Only validated steps are kept, and never the key
or the endpoint (a URL may carry a token). Deleting the folder clears the cache;
an unreadable entry counts as absent.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import SaoError
from ..plan import Step
from .prompt import PROMPT_VERSION, registry_version


def folder() -> Path:
    from ..neural.sources import cache_dir  # (imports no torch)

    return cache_dir() / "planner"


def key(words: str, url: str, model: str) -> str:
    parts = [words, url, model, PROMPT_VERSION, registry_version()]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def load(entry: str) -> list[Step] | None:
    try:
        data = json.loads((folder() / f"{entry}.json").read_text())
        return [Step.from_dict(s) for s in data["steps"]]
    except (OSError, ValueError, KeyError, TypeError, SaoError):  # missing, torn or hand-edited: ask again
        return None


def store(entry: str, words: str, model: str, steps: list[Step]) -> None:
    """Written atomically; a cache that cannot be written only means asking again next time."""
    from ..audio_io import atomic_write_text

    data = {"words": words, "model": model, "prompt_version": PROMPT_VERSION, "steps": [s.to_dict() for s in steps]}
    try:
        atomic_write_text(folder() / f"{entry}.json", json.dumps(data, indent=1) + "\n")
    except OSError:
        pass
