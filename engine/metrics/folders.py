"""`sao eval`: pair the files of a reference and a prediction folder, and score the pairs.

Files pair by relative path without the extension (`dog/1.wav` in REF pairs
with `dog/1.flac` in PRED), since an edit may be written in another format.
Every reference needs a prediction and the other way round: a partial set
would quietly bias the set-level metrics (FD, IS), so it is refused.

With an INPUT folder the unedited inputs are scored against the references
too: the "do nothing" baseline an edit has to beat.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from ..audio_io import READABLE_EXTENSIONS, read_audio
from ..errors import BadAudio, UsageError
from . import SIGNAL_METRICS, signal_metrics
from .classifier import inception_score, kl_divergence
from .embeddings import Embedders
from .frechet import frechet_distance


@dataclass
class Pair:
    key: str  # relative path without extension
    ref: Path
    pred: Path
    input: Path | None = None


def list_audio(folder: str | Path, role: str) -> dict[str, Path]:
    """Audio files under `folder` by key; `role` names the folder in errors (e.g. "--ref")."""
    root = Path(folder)
    if not root.is_dir():
        raise BadAudio(f"{role} {folder}: no such folder")
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in READABLE_EXTENSIONS and not path.name.startswith("."):
            key = path.relative_to(root).with_suffix("").as_posix()
            if key in files:
                raise UsageError(f"{role} {folder}: {files[key].name} and {path.name} would pair with the same file; keep one")
            files[key] = path
    if not files:
        raise BadAudio(f"{role} {folder}: no audio files in it")
    return files


def _unmatched(keys: set[str], files: dict[str, Path]) -> str:
    names = sorted(k + files[k].suffix for k in keys)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def find_pairs(ref_dir: str | Path, pred_dir: str | Path, input_dir: str | Path | None = None) -> list[Pair]:
    """Pair the folders' files; raises BadAudio (exit 3) naming files without a partner."""
    refs = list_audio(ref_dir, "--ref")
    others = {"--pred": (pred_dir, list_audio(pred_dir, "--pred"))}
    if input_dir is not None:
        others["--input"] = (input_dir, list_audio(input_dir, "--input"))
    for role, (folder, files) in others.items():
        if missing := set(refs) - set(files):
            raise BadAudio(f"{role} {folder}: no file for {len(missing)} of {len(refs)} references ({_unmatched(missing, refs)})")
        if extra := set(files) - set(refs):
            raise BadAudio(f"{role} {folder}: {len(extra)} file(s) with no reference in {ref_dir} ({_unmatched(extra, files)})")
    inputs = others.get("--input", (None, {}))[1]
    pairs = [Pair(k, refs[k], others["--pred"][1][k], inputs.get(k)) for k in refs]
    for pair in pairs:
        _check_rates(pair)
    return pairs


def _check_rates(pair: Pair) -> None:
    """Refuse a rate mismatch from the file headers, before any scoring or model loading.

    Unreadable headers are left for read_audio, which says what is wrong with the file.
    """
    try:
        rates = {p: sf.info(str(p)).samplerate for p in (pair.ref, pair.pred, pair.input) if p is not None}
    except (sf.LibsndfileError, RuntimeError):
        return
    for path, rate in rates.items():
        if rate != rates[pair.ref]:
            raise BadAudio(f"{path}: {rate} Hz, but its reference {pair.ref} is {rates[pair.ref]} Hz; resample one of them first")


def read_captions(path: str | Path, pairs: list[Pair]) -> dict[str, str]:
    """Captions by key, from CSV with a `file,caption` header or JSON Lines with those keys.

    Every pair needs one (extra rows are fine: a caption list may cover a larger set).
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"--captions {path}: no such file")
    try:
        with p.open(newline="", encoding="utf-8") as f:
            if p.suffix.lower() in (".jsonl", ".json"):
                rows = [json.loads(line) for line in f if line.strip()]
            else:
                rows = list(csv.DictReader(f))
        captions = {Path(r["file"]).with_suffix("").as_posix(): str(r["caption"]) for r in rows}
    except (KeyError, TypeError, ValueError, csv.Error) as e:
        raise UsageError(f"--captions {path}: expected CSV with a 'file,caption' header or JSON Lines with those keys ({e})") from None
    if missing := [p.key for p in pairs if p.key not in captions]:
        raise UsageError(f"--captions {path}: no caption for {len(missing)} file(s) ({', '.join(missing[:3])})")
    return captions


@dataclass
class Evaluation:
    """Per-file and summary metrics for each scored side ("pred", and "input" when given)."""

    count: int
    summary: dict[str, dict[str, float]]
    per_file: list[dict] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"files": self.count, "metrics": self.summary, "per_file": self.per_file, "skipped": self.skipped}


@dataclass
class _Side:
    """What is gathered for one scored side across the pairs."""

    signal: list[dict] = field(default_factory=list)
    panns_emb: list[np.ndarray] = field(default_factory=list)
    logits: list[np.ndarray] = field(default_factory=list)
    clap: list[np.ndarray] = field(default_factory=list)


def evaluate(pairs: list[Pair], embedders: Embedders, captions: dict[str, str] | None = None,
             on_file: Callable[[int, Pair], None] | None = None) -> Evaluation:
    """Score every pair: signal metrics per file, then the model-based metrics over the set.

    `captions` (from read_captions) must cover every pair.
    """
    sides = ["pred"] + (["input"] if pairs and pairs[0].input is not None else [])
    gathered = {s: _Side() for s in sides}
    ref_side = _Side()
    per_file = []
    skipped = dict(embedders.skipped)
    if captions is None and embedders.clap is not None:
        skipped["clap_score"] = "needs the target captions: pass --captions FILE"
    if len(pairs) < 2:
        for key, model in (("fd_panns", embedders.panns), ("fd_clap", embedders.clap)):
            if model is not None:
                skipped[key] = "needs at least 2 files"
    for i, pair in enumerate(pairs, 1):
        if on_file:
            on_file(i, pair)
        row = {"file": pair.key}
        ref = read_audio(pair.ref)
        for side in sides:
            other = read_audio(getattr(pair, side))
            row[side] = signal_metrics(ref.samples, other.samples, ref.sample_rate)
            gathered[side].signal.append(row[side])
            _embed(embedders, other.samples, other.sample_rate, gathered[side])
        _embed(embedders, ref.samples, ref.sample_rate, ref_side)
        per_file.append(row)
    summary = {s: _summarise(gathered[s], ref_side, embedders, [p.key for p in pairs], captions) for s in sides}
    return Evaluation(len(pairs), summary, per_file, skipped)


def _embed(embedders: Embedders, samples: np.ndarray, sample_rate: int, side: _Side) -> None:
    if embedders.panns is not None:
        out = embedders.panns(samples, sample_rate)
        side.panns_emb.append(out.embedding)
        side.logits.append(out.logits)
    if embedders.clap is not None:
        side.clap.append(embedders.clap(samples, sample_rate))


def _summarise(side: _Side, ref: _Side, embedders: Embedders, keys: list[str], captions: dict[str, str] | None) -> dict[str, float]:
    """Means of the signal metrics, and the set metrics against the references' embeddings."""
    out = {k: float(np.mean([row[k] for row in side.signal])) for k in SIGNAL_METRICS}
    enough = len(keys) >= 2  # for a covariance
    if embedders.panns is not None:
        if enough:
            out["fd_panns"] = frechet_distance(np.stack(ref.panns_emb), np.stack(side.panns_emb))
        out.update(kl_divergence(np.stack(ref.logits), np.stack(side.logits)))
        out["is"], out["is_std"] = inception_score(np.stack(side.logits))
    if embedders.clap is not None:
        if enough:
            out["fd_clap"] = frechet_distance(np.stack(ref.clap), np.stack(side.clap))
        if captions is not None:
            text = embedders.clap.text([captions[k] for k in keys])
            out["clap_score"] = float(np.mean(np.sum(np.stack(side.clap) * text, axis=1)))
    return out
