"""Training data: dataset folders mixed with weights, crops to the training length, the latent cache.

A run reads one or more dataset folders (`DATASET[:WEIGHT]`): each folder's
`train.jsonl` when `sao gen-data split` made one, else its `manifest.jsonl`.
WEIGHT multiplies how often each of that folder's pairs is drawn. With the
default of 1 the folders mix in proportion to their sizes; `big:0.5 small:2`
evens out a 4:1 pair of folders.

Every micro-batch is a pure function of (seed, micro-batch index, rank): which
pairs it holds and where each is cropped. Resuming at optimizer step s needs
nothing but s, so no sampler or RNG state travels in checkpoints, and DDP ranks
draw different pairs from one seed.

Crops are made in whole latent frames (2048 audio samples), at one offset shared
by input and output; shorter clips are padded with silence (zeros in audio, the
VAE's latent of silence in the cache). The conditioning follows
stable-audio-tools' PadCrop: seconds_start is where the crop starts and
seconds_total the whole input's length, in seconds. Unlike PadCrop, they are not
rounded to whole seconds: the edit loop conditions on exact lengths.

Bad lines are counted and skipped (a large dataset always has a few): a line
that is not a JSON object with id, input, output and instruction, a missing
audio file, a file soundfile cannot open, a file with no samples. `strict`
makes the first of them an error instead.
Only the file headers are read up front. A file that fails when it is read
(NaN samples under a valid header, data cut short) fails that pair, not the
run: the pair is replaced by another draw, from a generator seeded by (seed,
micro-batch, rank, slot, try), and reported once (`Batch "skipped"`). Whether
a pair fails is a property of its files, so a batch stays a function of (seed,
micro-batch, rank), and a resumed run draws the same substitutes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from safetensors import SafetensorError

from engine.errors import BadAudio, UsageError
from engine.pipeline import OutputSpec, conform

MANIFESTS = ("train.jsonl", "manifest.jsonl")  # the first that exists is read
VAL_MANIFEST = "val.jsonl"
REQUIRED_KEYS = ("id", "input", "output", "instruction")
SILENCE_FRAMES = 64  # latent frames of silence encoded to find the latent of silence (its middle frame)
MAX_TRIES = 100  # draws for one batch slot before deciding that (nearly) every pair is unreadable


@dataclass(frozen=True)
class DataSpec:
    path: Path
    weight: float = 1.0


def parse_data_spec(text: str) -> DataSpec:
    """'DATASET' or 'DATASET:WEIGHT'. A colon followed by something that is not a number belongs to the path."""
    path, weight = text, 1.0
    head, sep, tail = text.rpartition(":")
    if sep and head:
        with contextlib.suppress(ValueError):
            path, weight = head, float(tail)
    if not (math.isfinite(weight) and weight > 0):
        raise UsageError(f"--data {text}: the weight after ':' must be a positive number")
    return DataSpec(Path(path).expanduser(), weight)


@dataclass(frozen=True)
class Pair:
    """One training triplet, as listed in a manifest."""

    key: str  # "<folder index>:<id>", unique across folders
    line: str  # "<manifest path>:<line number>", for messages and skipped.jsonl
    instruction: str
    input: Path
    output: Path
    input_frames: int  # audio frames at the files' own rate
    sample_rate: int  # of the input file
    weight: float
    stamp: str  # sizes and modification times of both files: a changed file gets a new cache entry

    @property
    def id(self) -> str:
        return self.key.split(":", 1)[1]


@dataclass
class Catalog:
    pairs: list[Pair]
    skipped: Counter = field(default_factory=Counter)  # reason -> lines
    manifests: list[Path] = field(default_factory=list)
    bad: list[dict] = field(default_factory=list)  # the skipped lines, as skipped.jsonl records them (skip_record)

    def probabilities(self) -> np.ndarray:
        weights = np.array([p.weight for p in self.pairs], dtype=np.float64)
        return weights / weights.sum()


class _Skip(Exception):
    def __init__(self, reason: str, detail: str, error: type = BadAudio, file: Path | None = None):
        super().__init__(reason)
        self.reason, self.detail, self.error, self.file = reason, detail, error, file


class AudioFailed(BadAudio):
    """A training file that fails when it is read; `reason` is what skipped.jsonl counts."""

    def __init__(self, path: Path, reason: str, detail: str = ""):
        super().__init__(f"{path}: {reason}" + (f" ({detail})" if detail else ""))
        self.path, self.reason = path, reason


def skip_record(line: str, sample_id: str | None, file: Path | None, reason: str, step: int | None = None,
                rank: int = 0) -> dict:
    """A skipped.jsonl line: which manifest line and file, why, and at which step (None: the scan before training)."""
    return {"step": step, "rank": rank, "id": sample_id, "line": line, "file": None if file is None else str(file),
            "reason": reason}


def manifest_of(folder: Path) -> Path:
    folder = Path(folder)
    for name in MANIFESTS:
        if (folder / name).is_file():
            return folder / name
    if not folder.exists():
        raise UsageError(f"--data {folder}: no such folder")
    raise UsageError(f"--data {folder}: not a dataset (no {' or '.join(MANIFESTS)}); make one with `sao gen-data`")


def read_catalog(specs: list[DataSpec], strict: bool = False) -> Catalog:
    """Every usable pair of every folder; bad lines skipped and counted, or an error under `strict`."""
    if not specs:
        raise UsageError("give at least one --data DATASET")
    catalog = Catalog([])
    for index, spec in enumerate(specs):
        manifest = manifest_of(spec.path)
        catalog.manifests.append(manifest)
        for n, line in enumerate(manifest.read_text(encoding="utf-8").split("\n"), 1):
            if not line.strip():
                continue
            try:
                catalog.pairs.append(_pair(line, spec, index, f"{manifest}:{n}"))
            except _Skip as s:
                if strict:
                    raise s.error(f"{manifest}:{n}: {s.reason}: {s.detail}",
                                  hint="Drop --strict to skip such lines and count them.") from None
                catalog.skipped[s.reason] += 1
                catalog.bad.append(skip_record(f"{manifest}:{n}", _line_id(line), s.file, s.reason))
    if not catalog.pairs:
        raise UsageError(f"no usable training pairs in {', '.join(map(str, catalog.manifests))} "
                         f"({sum(catalog.skipped.values())} lines skipped)")
    return catalog


def _line_id(line: str) -> str | None:
    with contextlib.suppress(ValueError):
        row = json.loads(line)
        if isinstance(row, dict) and isinstance(row.get("id"), str):
            return row["id"]
    return None


def _pair(line: str, spec: DataSpec, index: int, where: str) -> Pair:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as e:
        raise _Skip("unreadable manifest line", f"not JSON ({e.msg})", UsageError) from None
    if not isinstance(row, dict) or any(not isinstance(row.get(k), str) or not row[k] for k in REQUIRED_KEYS):
        raise _Skip("unreadable manifest line", f"needs the text fields {', '.join(REQUIRED_KEYS)}", UsageError)
    paths = [spec.path / row["input"], spec.path / row["output"]]
    infos = [_probe(p) for p in paths]
    stamp = "|".join(f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths)
    return Pair(f"{index}:{row['id']}", where, row["instruction"], paths[0], paths[1], infos[0].frames,
                int(infos[0].samplerate), spec.weight, stamp)


def _probe(path: Path):
    if not path.is_file():
        raise _Skip("missing audio file", str(path), file=path)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise _Skip("unreadable audio file", f"{path} ({str(e).strip()[:120]})", file=path) from None
    if info.frames <= 0:
        raise _Skip("empty audio file", str(path), file=path)
    return info


def validation_pair(specs: list[DataSpec], catalog: Catalog) -> Pair:
    """The pair a run renders its validation edits from: the first of the first folder's val.jsonl, else the first training pair."""
    val = Path(specs[0].path) / VAL_MANIFEST
    if val.is_file():
        for n, line in enumerate(val.read_text(encoding="utf-8").split("\n"), 1):
            if line.strip():
                try:
                    return _pair(line, specs[0], 0, f"{val}:{n}")
                except _Skip:
                    continue
    return catalog.pairs[0]


# ---------------------------------------------------------------- audio and crops


@dataclass(frozen=True)
class Geometry:
    """The model's audio format and the training length."""

    sample_rate: int
    channels: int
    hop: int  # audio samples per latent frame
    frames: int  # training length in latent frames

    def input_frames(self, pair: Pair) -> int:
        """The input's length in audio frames at the model's rate."""
        return round(pair.input_frames * self.sample_rate / pair.sample_rate)


def load_audio(path: Path, sample_rate: int, channels: int) -> np.ndarray:
    """float32 (channels, frames) at the model's rate and channel count; AudioFailed when the file cannot be used."""
    try:
        x, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise AudioFailed(path, "unreadable audio file", str(e).strip()[:160]) from None
    if x.shape[0] == 0:
        raise AudioFailed(path, "empty audio file")
    if not np.isfinite(x).all():
        raise AudioFailed(path, "NaN or infinite samples")
    samples, _ = conform(np.ascontiguousarray(x.T), rate, OutputSpec("", sample_rate, channels))
    return samples.astype(np.float32, copy=False)


@dataclass(frozen=True)
class Draw:
    pair: int  # index into Catalog.pairs
    offset: int  # crop start, in latent frames
    seconds_start: float
    seconds_total: float


def draw_batch(catalog: Catalog, probabilities: np.ndarray, geometry: Geometry, seed: int, index: int, rank: int,
               batch_size: int) -> list[Draw]:
    """Micro-batch `index` of DDP rank `rank`: pairs drawn with replacement by weight, and crop offsets."""
    rng = np.random.default_rng([seed, index, rank])
    return [_crop_draw(catalog, geometry, int(k), rng) for k in rng.choice(len(catalog.pairs), size=batch_size, p=probabilities)]


def substitute(catalog: Catalog, probabilities: np.ndarray, geometry: Geometry, seed: int, index: int, rank: int,
               slot: int, attempt: int) -> Draw:
    """The draw that replaces slot `slot` of micro-batch `index` after `attempt` (1, 2, ...) failed pairs."""
    rng = np.random.default_rng([seed, index, rank, slot, attempt])
    return _crop_draw(catalog, geometry, int(rng.choice(len(catalog.pairs), p=probabilities)), rng)


def _crop_draw(catalog: Catalog, geometry: Geometry, k: int, rng: np.random.Generator) -> Draw:
    frames = geometry.input_frames(catalog.pairs[k])
    latent = -(-frames // geometry.hop)
    offset = int(rng.integers(0, max(0, latent - geometry.frames) + 1))
    return Draw(k, offset, offset * geometry.hop / geometry.sample_rate, frames / geometry.sample_rate)


def crop_audio(x: np.ndarray, start: int, length: int) -> np.ndarray:
    """x[:, start:start + length], zero-padded at the end to `length`."""
    part = x[:, start:start + length]
    return np.pad(part, ((0, 0), (0, length - part.shape[1])))


def crop_latent(z: torch.Tensor, start: int, length: int, silence: torch.Tensor) -> torch.Tensor:
    """z[:, start:start + length], padded at the end with the latent of silence."""
    part = z[:, start:start + length]
    pad = length - part.shape[1]
    return part if pad == 0 else torch.cat([part, silence[:, None].expand(-1, pad).to(part.dtype)], dim=1)


# ---------------------------------------------------------------- the latent cache


class LatentCache:
    """RUN_DIR/latents/: each pair's full-length input and output latents, and the latent of silence.

    Files are keyed by the audio files' paths, sizes and modification times, and
    written atomically, so a killed run or several DDP ranks never leave a half file.
    """

    SILENCE = "silence.safetensors"

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, pair: Pair) -> Path:
        return self.root / (hashlib.sha1(pair.stamp.encode()).hexdigest() + ".safetensors")

    def missing(self, catalog: Catalog, rank: int = 0, world: int = 1) -> list[Pair]:
        """This rank's share of the pairs not cached yet (pairs are shared out by position)."""
        return [p for i, p in enumerate(catalog.pairs) if i % world == rank and not self.path(p).exists()]

    def write(self, path: Path, tensors: dict[str, torch.Tensor]) -> None:
        from safetensors.torch import save_file

        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        save_file({k: v.detach().float().cpu().contiguous() for k, v in tensors.items()}, str(tmp))
        os.replace(tmp, path)

    def load(self, path: Path) -> dict[str, torch.Tensor]:
        from safetensors.torch import load_file

        return load_file(str(path))

    def silence(self) -> torch.Tensor:
        return self.load(self.root / self.SILENCE)["silence"]


def encode_silence(encode, geometry: Geometry) -> torch.Tensor:
    """The latent of digital silence, (latent channels,): the middle frame of a long silent clip's latent.

    The middle frame is far from the clip's edges, so it is what the VAE gives
    for silence inside a clip, which is what padding in audio would give.
    """
    z = encode(np.zeros((geometry.channels, SILENCE_FRAMES * geometry.hop), dtype=np.float32))
    return z[:, SILENCE_FRAMES // 2]


def build_cache(cache: LatentCache, catalog: Catalog, geometry: Geometry, encode, rank: int = 0, world: int = 1,
                progress=None, on_failure=None) -> int:
    """Encode this rank's share of the uncached pairs (and, on rank 0, silence); returns how many were encoded.

    encode: float32 (channels, frames) array -> (latent channels, latent frames) tensor.
    A pair whose audio fails when read gets no entry: on_failure(pair, AudioFailed)
    is called, or without it the error propagates (--strict).
    """
    if rank == 0 and not (cache.root / cache.SILENCE).exists():
        cache.write(cache.root / cache.SILENCE, {"silence": encode_silence(encode, geometry)})
    todo = cache.missing(catalog, rank, world)
    for n, pair in enumerate(todo, 1):
        try:
            latents = {role: encode(load_audio(path, geometry.sample_rate, geometry.channels))
                       for role, path in (("input", pair.input), ("output", pair.output))}
        except AudioFailed as e:
            if on_failure is None:
                raise
            on_failure(pair, e)
            continue
        cache.write(cache.path(pair), latents)
        if progress is not None:
            progress(n, len(todo))
    return len(todo)


# ---------------------------------------------------------------- what the DataLoader serves


class StepBatches(torch.utils.data.Dataset):
    """Item i is this rank's micro-batch i (see draw_batch), ready for the model.

    With a cache it holds cropped latents ("input_latent", "output_latent",
    (B, latent, frames)); without, cropped audio ("input_audio", "output_audio",
    (B, channels, frames x hop)) that the training step encodes on its device.
    A drawn pair whose files fail when read is replaced by `substitute` draws
    until one reads; "skipped" lists the pairs this worker found failing for
    the first time (skip_record dicts), which the run logs (or stops at, under
    --strict). `known`: pairs known to fail already (not in the latent cache),
    replaced without being reported again.
    """

    def __init__(self, catalog: Catalog, geometry: Geometry, seed: int, rank: int, batch_size: int,
                 cache: LatentCache | None = None, known: dict[int, AudioFailed] | None = None):
        self.catalog, self.geometry, self.seed, self.rank, self.batch_size = catalog, geometry, seed, rank, batch_size
        self.cache = cache
        self.probabilities = catalog.probabilities()
        self._silence = cache.silence() if cache is not None else None
        self.failed: dict[int, AudioFailed] = dict(known or {})  # pair index -> why it cannot be read

    def __getitem__(self, index: int) -> dict:
        draws = draw_batch(self.catalog, self.probabilities, self.geometry, self.seed, index, self.rank, self.batch_size)
        found, read = [], []
        for slot, draw in enumerate(draws):
            for attempt in range(1, MAX_TRIES + 1):
                try:
                    read.append((draw, self._read(draw)))
                    break
                except AudioFailed as e:
                    if draw.pair not in self.failed:
                        self.failed[draw.pair] = e
                        pair = self.catalog.pairs[draw.pair]
                        found.append(skip_record(pair.line, pair.id, e.path, e.reason, rank=self.rank))
                    draw = substitute(self.catalog, self.probabilities, self.geometry, self.seed, index, self.rank, slot, attempt)
            else:
                raise UsageError(f"{MAX_TRIES} pairs drawn in a row failed when read ({len(self.failed)} of "
                                 f"{len(self.catalog.pairs)} known to fail); is the dataset's audio readable?")
        batch = {
            "index": index,
            "instruction": [self.catalog.pairs[d.pair].instruction for d, _ in read],
            "seconds_start": torch.tensor([d.seconds_start for d, _ in read]),
            "seconds_total": torch.tensor([d.seconds_total for d, _ in read]),
            "skipped": found,
        }
        kind = "latent" if self.cache is not None else "audio"
        for k, role in enumerate(("input", "output")):
            batch[f"{role}_{kind}"] = torch.stack([torch.as_tensor(x[k]) for _, x in read])
        return batch

    def _read(self, d: Draw) -> tuple:
        """(input, output) of a draw, cropped: latents from the cache, or audio. AudioFailed when they cannot be read."""
        if d.pair in self.failed:
            raise self.failed[d.pair]
        g, pair = self.geometry, self.catalog.pairs[d.pair]
        if self.cache is None:
            return tuple(crop_audio(load_audio(path, g.sample_rate, g.channels), d.offset * g.hop, g.frames * g.hop)
                         for path in (pair.input, pair.output))
        path = self.cache.path(pair)
        try:
            latents = self.cache.load(path)
        except (OSError, SafetensorError) as e:
            raise AudioFailed(path, "unreadable latent cache entry", str(e)[:160]) from None
        return tuple(crop_latent(latents[role], d.offset, g.frames, self._silence) for role in ("input", "output"))


class StepSampler(torch.utils.data.Sampler):
    """Micro-batch numbers `start` .. `total` - 1.

    Its length is the whole run's, not what is left: Lightning restores how many
    batches it has seen from the checkpoint and adds what this yields.
    """

    def __init__(self, start: int, total: int):
        self.start, self.total = start, total

    def __len__(self) -> int:
        return self.total

    def __iter__(self):
        return iter(range(self.start, self.total))
