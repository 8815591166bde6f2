"""A training run: the run folder, the Lightning Trainer, checkpoints, resume, logs and validation edits.

    RUN_DIR/
      run.json           the run's settings; `--resume` reads them back
      checkpoints/       step-000001000.ckpt every --checkpoint-every steps (the newest --keep-checkpoints),
                         and last.ckpt: the newest state, also written when the run ends; nothing else
      skipped.jsonl      the pairs the run skipped: bad manifest lines, and files that failed when read
      logs/tensorboard/  TensorBoard events (`tensorboard --logdir RUN_DIR/logs`)
      logs/csv/version_N/metrics.csv   train/loss and train/lr per logged step; each (re)start adds a version
      latents/<model>/   the latent cache (--cache-latents), per base model
      validation/        input.wav, target.wav, instruction.txt and step-000001000.wav: the
                         validation input edited with the EMA weights every --validate-every steps

Devices are Lightning's: `--devices 1` is one GPU, `--devices 8` DDP on eight,
and several machines work unchanged when launched by torchrun (`torchrun
--nnodes N --nproc-per-node G -m sao_cli train ... --num-nodes N --devices G`)
or by srun under Slurm, whose environment Lightning reads.

Exact resume: every batch and every random draw is a function of (seed,
micro-batch, rank) (data.py, objective.py), Lightning's checkpoint restores the
weights, EMA, optimiser, schedule and step, and the DataLoader restarts at the
restored step. On the CPU a resumed run's losses are bitwise those of an
uninterrupted one. Pitfall: a killed run's metrics.csv keeps the rows logged after
its last checkpoint; the resumed run logs those steps again in its own version.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Checkpoint, TQDMProgressBar

from engine.audio_io import atomic_write_text, write_audio
from engine.errors import BadAudio, OutputRefused, UsageError

from .data import (
    AudioFailed,
    Geometry,
    LatentCache,
    StepBatches,
    StepSampler,
    build_cache,
    load_audio,
    parse_data_spec,
    read_catalog,
    skip_record,
    validation_pair,
)
from .init import load_for_training
from .module import Hyper, InstructTraining

RUN_FILE = "run.json"
CHECKPOINTS = "checkpoints"
LAST = "last.ckpt"
PERIODIC = re.compile(r"step-(\d{9})\.ckpt")
SKIPPED = "skipped.jsonl"
PRECISIONS = {"bf16": "bf16-mixed", "fp16": "16-mixed", "fp32": "32-true"}
RUN_PARTS = (RUN_FILE, CHECKPOINTS, "logs", "validation", SKIPPED)  # what --force clears (the latent cache stays: it is keyed)
STRICT_HINT = ("Replace or remove the file (or its manifest line), then continue with --resume; "
               "without --strict such pairs are replaced by others and listed in RUN/skipped.jsonl.")

Say = Callable[[str], None]


@dataclass
class RunSettings:
    """Everything `sao train` takes. The first group fixes what the run learns and cannot change on --resume."""

    data: list[str]
    base: str
    seconds: float = 10.0
    batch_size: int = 8
    accumulate: int = 1
    precision: str = "bf16"
    seed: int = 0
    cache_latents: bool = False
    strict: bool = False
    hyper: Hyper = field(default_factory=Hyper)
    # how the run is carried out; free to change on --resume
    max_steps: int = 100_000
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    validate_every: int = 1000
    log_every: int = 50
    workers: int = 2
    accelerator: str = "auto"
    devices: str = "auto"
    num_nodes: int = 1
    progress: bool = True

    FIXED = ("data", "base", "seconds", "batch_size", "accumulate", "precision", "seed", "cache_latents", "strict", "hyper")

    def check(self) -> None:
        problems = [
            (bool(self.data), "give at least one --data DATASET"),
            (bool(self.base), "--base is needed: a Stable Audio (or SAO-Instruct) model name, folder or checkpoint"),
            (self.seconds > 0, f"--seconds must be positive (got {self.seconds:g})"),
            (self.batch_size >= 1 and self.accumulate >= 1, "--batch-size and --accumulate must be at least 1"),
            (self.precision in PRECISIONS, f"--precision must be one of {', '.join(PRECISIONS)} (got {self.precision!r})"),
            (self.max_steps >= 1, f"--max-steps must be at least 1 (got {self.max_steps})"),
            (self.checkpoint_every >= 1 and self.keep_checkpoints >= 1, "--checkpoint-every and --keep-checkpoints must be at least 1"),
            (self.validate_every >= 0 and self.log_every >= 1 and self.workers >= 0, "--validate-every, --log-every and --workers must not be negative"),
            (self.hyper.lr > 0 and 0 <= self.hyper.cfg_dropout < 1, "--lr must be positive and --cfg-dropout in [0, 1)"),
            (self.seed >= 0, "--seed must be 0 or more"),
        ]
        for ok, message in problems:
            if not ok:
                raise UsageError(message)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "RunSettings":
        d = dict(d)
        d["hyper"] = Hyper(**d.get("hyper", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def settings_for(run_dir: Path, given: dict, resume: bool) -> RunSettings:
    """The settings of a new run (`given`), or of the run being resumed with `given`'s changes.

    On --resume, options that change what the run learns must be absent or equal
    to the stored ones, else the resumed run would not continue the same training.
    """
    if not resume:
        hyper = Hyper(**given.pop("hyper", {}))
        settings = RunSettings(**given, hyper=hyper)
        settings.check()
        return settings
    path = Path(run_dir) / RUN_FILE
    if not path.is_file():
        raise UsageError(f"--resume: {run_dir} holds no run (no {RUN_FILE})")
    stored = RunSettings.from_json(json.loads(path.read_text()))
    for key, value in given.items():
        old = getattr(stored, key)
        if key == "hyper":
            new = dataclasses.replace(old, **value)
            if new != old:
                raise UsageError(f"--resume: the run was made with {old}; a resumed run keeps its optimiser settings")
            continue
        if key in RunSettings.FIXED and value != old:
            raise UsageError(f"--resume: --{key.replace('_', '-')} was {old!r} in this run and cannot change",
                             hint="Start a new run (another --out) to train with other settings.")
        setattr(stored, key, value)
    stored.check()
    return stored


def check_run_dir(run_dir: Path, resume: bool, force: bool) -> None:
    """Refuse (exit 4) an --out that is a file, or that holds a run, without --resume or --force."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise OutputRefused(f"--out {run_dir} exists and is not a folder")
    if (run_dir / RUN_FILE).exists() and not resume and not force:
        raise OutputRefused(f"{run_dir} already holds a run; pass --resume to continue it or --force to start over")


def prepare_run_dir(run_dir: Path, settings: RunSettings, resume: bool, force: bool) -> None:
    """Write run.json, after clearing an old run's checkpoints, logs and validation edits under --force."""
    run_dir = Path(run_dir)
    check_run_dir(run_dir, resume, force)
    if (run_dir / RUN_FILE).exists() and not resume:
        for part in RUN_PARTS:
            target = run_dir / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / RUN_FILE, json.dumps(settings.to_json(), indent=2) + "\n")


def last_checkpoint(run_dir: Path) -> Path | None:
    """The newest state: last.ckpt, or a checkpoint Lightning saved when Slurm preempted the job (hpc_ckpt_N.ckpt)."""
    run_dir = Path(run_dir)
    found = [p for p in [run_dir / CHECKPOINTS / LAST, *run_dir.glob("hpc_ckpt_*.ckpt")] if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime_ns, default=None)


# ---------------------------------------------------------------- skipped pairs


class SkipLog:
    """RUN_DIR/skipped.jsonl: each pair the run skipped, once, with a warning when it is found.

    Lines are data.skip_record dicts; `step` is null for the manifest scan
    before training, else the optimiser steps taken when the pair failed to
    read. Every DDP rank appends what it finds (one write per line, so lines
    never interleave); a pair two ranks both find is listed by both, and
    counted once (failed_reads).
    """

    def __init__(self, run_dir: Path, warn: Say):
        self.path, self.warn = Path(run_dir) / SKIPPED, warn
        self.seen: set | None = None  # read at the first add, after --force may have cleared the run folder

    @staticmethod
    def key(record: dict) -> tuple:
        return record["line"], record["file"], record["reason"], record["step"] is None

    def add(self, record: dict) -> None:
        if self.seen is None:
            self.seen = {self.key(r) for r in read_skipped(self.path.parent)}
        if self.key(record) in self.seen:
            return
        self.seen.add(self.key(record))
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        if record["step"] is not None:
            self.warn(f"pair {record['id']} ({record['line']}) skipped at step {record['step']}: {record['file']}: "
                      f"{record['reason']}; another pair is drawn in its place (listed in {self.path})")


def read_skipped(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / SKIPPED
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def failed_reads(run_dir: Path) -> Counter:
    """Reason -> distinct pairs that failed when read during training (over every start of the run)."""
    distinct = {(r["line"], r["reason"]) for r in read_skipped(run_dir) if r["step"] is not None}
    return Counter(reason for _, reason in distinct)


def stop_at(record: dict) -> BadAudio:
    """The --strict error for a pair that failed when read."""
    return BadAudio(f"{record['file']}: {record['reason']} (pair {record['id']}, {record['line']}; "
                    f"found at step {record['step']})", hint=STRICT_HINT)


class SkippedItems(L.Callback):
    """Logs the pairs a batch's worker found failing (StepBatches "skipped") before the step trains; --strict stops there."""

    def __init__(self, skips: SkipLog, strict: bool):
        self.skips, self.strict = skips, strict

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        for record in batch.pop("skipped", []):
            record = {**record, "step": trainer.global_step, "rank": trainer.global_rank}
            if self.strict:
                raise stop_at(record)
            self.skips.add(record)


# ---------------------------------------------------------------- data


class PairData(L.LightningDataModule):
    """The training DataLoader: this rank's micro-batches from the restored step on, after filling the cache."""

    def __init__(self, catalog, geometry: Geometry, settings: RunSettings, cache_root: Path | None, say: Say,
                 skips: SkipLog):
        super().__init__()
        self.catalog, self.geometry, self.settings, self.cache_root, self.say = catalog, geometry, settings, cache_root, say
        self.skips = skips

    def train_dataloader(self):
        # Called after the checkpoint is restored (global_step is the resumed one)
        # and after the model is on its device (on_fit_start), on every rank.
        trainer, s = self.trainer, self.settings
        cache, known = None, {}
        if self.cache_root is not None:
            cache = LatentCache(self.cache_root)
            bundle = trainer.lightning_module.bundle

            def encode(audio: np.ndarray) -> torch.Tensor:
                return bundle.vae_encode(torch.from_numpy(audio)[None])[0].float().cpu()

            def failed(pair, e: AudioFailed) -> None:
                record = skip_record(pair.line, pair.id, e.path, e.reason, trainer.global_step, trainer.global_rank)
                if s.strict:
                    raise stop_at(record)
                self.skips.add(record)

            todo = len(cache.missing(self.catalog, trainer.global_rank, trainer.world_size))
            if todo and trainer.is_global_zero:
                self.say(f"encoding {len(cache.missing(self.catalog))} pairs into the latent cache {cache.root}")
            build_cache(cache, self.catalog, self.geometry, encode, trainer.global_rank, trainer.world_size, on_failure=failed)
            trainer.strategy.barrier("latent-cache")
            # Pairs with no entry failed when a rank encoded them (and were logged there): drawn, they are replaced.
            known = {i: AudioFailed(cache.path(p), "not in the latent cache") for i, p in enumerate(self.catalog.pairs)
                     if not cache.path(p).exists()}
        dataset = StepBatches(self.catalog, self.geometry, s.seed, trainer.global_rank, s.batch_size, cache, known)
        sampler = StepSampler(trainer.global_step * s.accumulate, s.max_steps * s.accumulate)
        return torch.utils.data.DataLoader(dataset, batch_size=None, sampler=sampler, num_workers=s.workers,
                                           pin_memory=torch.cuda.is_available())


# ---------------------------------------------------------------- callbacks


class ProgressBar(TQDMProgressBar):
    """Lightning's bar on stderr (Lightning's own writes to stdout, which is for data), without the logger version."""

    def init_train_tqdm(self):
        from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

        return Tqdm(desc=self.train_description, position=2 * self.process_position, disable=self.is_disabled, leave=True,
                    dynamic_ncols=True, file=sys.stderr, smoothing=0, bar_format=self.BAR_FORMAT)

    def get_metrics(self, trainer, pl_module) -> dict:
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics


class Checkpoints(Checkpoint):
    """checkpoints/step-NNNNNNNNN.ckpt every `every` steps, the newest `keep` of them, and last.ckpt: nothing else.

    last.ckpt is the newest state: a hard link to the periodic checkpoint of the
    same step (no second copy on disk), else its own file, written when the run
    ends between periodic steps. Each save then prunes by looking at the folder,
    not at state carried in checkpoints, so it holds after a resume from another
    working directory or a moved run folder, and also clears what Slurm
    preemption (hpc_ckpt_N.ckpt) or older versions (Lightning's last-vN.ckpt)
    left. Lightning's ModelCheckpoint is not used: whenever a run stopped off its
    cadence it added a last-vN.ckpt, one more at each resume, and never pruned
    them (17 GB each at full size).
    """

    def __init__(self, run_dir: Path, every: int, keep: int):
        self.run_dir, self.every, self.keep = Path(run_dir), every, keep
        self.folder = self.run_dir / CHECKPOINTS
        self._saved = -1  # the step whose state is on disk

    def on_train_start(self, trainer, module) -> None:
        self._saved = trainer.global_step  # 0, or the step resumed from

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = trainer.global_step
        if step % self.every == 0 and step != self._saved:
            path = self.folder / f"step-{step:09d}.ckpt"
            trainer.save_checkpoint(path, weights_only=False)
            if trainer.is_global_zero:
                _link_or_copy(path, self.folder / LAST)
                self._prune()
            self._saved = step

    def on_train_end(self, trainer, module) -> None:
        if trainer.global_step != self._saved:
            trainer.save_checkpoint(self.folder / LAST, weights_only=False)
            if trainer.is_global_zero:
                self._prune()
            self._saved = trainer.global_step

    def _prune(self) -> None:
        periodic = sorted((int(m.group(1)), p) for p in self.folder.iterdir() if (m := PERIODIC.fullmatch(p.name)))
        stale = [p for _, p in periodic[: -self.keep]]
        stale += [*self.folder.glob("last-v*.ckpt"), *self.run_dir.glob("hpc_ckpt_*.ckpt")]
        for path in stale:
            path.unlink(missing_ok=True)


def _link_or_copy(source: Path, dest: Path) -> None:
    """Replace `dest` atomically by a hard link to `source` (a copy where the file system has no hard links)."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


class ValidationEdits(L.Callback):
    """Rank 0 edits the validation input with the EMA weights into validation/step-NNNNNNNNN.wav.

    At the start of a new run (the base model's behaviour) and every `every`
    optimiser steps, with the model's default steps, cfg and strength and seed 0,
    so the files of one run differ only by training. A validation pair that
    cannot be read turns the edits off with a warning (under --strict, stops the run).
    """

    def __init__(self, folder: Path, pair, geometry: Geometry, every: int, say: Say, warn: Say, strict: bool):
        self.folder, self.pair, self.geometry, self.every, self.say = Path(folder), pair, geometry, every, say
        self.warn, self.strict = warn, strict
        self._done = -1

    def on_train_start(self, trainer, module) -> None:
        if trainer.is_global_zero:
            g = self.geometry
            try:
                self.audio = load_audio(self.pair.input, g.sample_rate, g.channels)[:, : g.frames * g.hop]
                target = load_audio(self.pair.output, g.sample_rate, g.channels)[:, : g.frames * g.hop]
            except AudioFailed as e:
                if self.strict:
                    raise BadAudio(f"{e.message} (the validation pair, {self.pair.line})", hint=STRICT_HINT) from None
                self.warn(f"no validation edits: the validation pair ({self.pair.line}) cannot be read: {e.message}")
                self.every, self._done = 0, trainer.global_step
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            write_audio(self.folder / "input.wav", self.audio, g.sample_rate, "FLOAT", "WAV")
            write_audio(self.folder / "target.wav", target, g.sample_rate, "FLOAT", "WAV")
            atomic_write_text(self.folder / "instruction.txt", self.pair.instruction + "\n")
            if trainer.global_step == 0:
                self.render(trainer, module)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = trainer.global_step
        if trainer.is_global_zero and self.every and step % self.every == 0 and step != self._done:
            self.render(trainer, module)

    def render(self, trainer, module) -> None:
        from engine.neural.editor import NeuralSettings, SaoInstructEditor
        from engine.plan import Step

        step = trainer.global_step
        self._done = step
        defaults = module.bundle.config.get("defaults", {})
        settings = NeuralSettings(steps=int(defaults.get("steps", 100)), cfg=float(defaults.get("cfg", 5.0)),
                                  strength=float(defaults.get("strength", 4.0)), seed=0, device=module.device.type)
        editor = SaoInstructEditor(module.ema_bundle(), settings)
        text = self.pair.instruction
        edited = editor.edit(self.audio, self.geometry.sample_rate, Step("instruct", {"instruction": text}, None, "neural", text))
        write_audio(self.folder / f"step-{step:09d}.wav", edited, self.geometry.sample_rate, "FLOAT", "WAV")


# ---------------------------------------------------------------- the run


@dataclass
class RunResult:
    run_dir: Path
    steps: int
    resumed_from: Path | None
    skipped: dict  # manifest lines skipped by the scan before training, by reason
    failed_reads: Counter = field(default_factory=Counter)  # pairs that failed when read (whole run), by reason
    rank: int = 0  # the process's global rank: only rank 0 should report


def train(run_dir: Path, settings: RunSettings, resume: bool = False, force: bool = False,
          say: Say = lambda message: None, callbacks: tuple = (), catalog=None,
          warn: Say = lambda message: None) -> RunResult:
    """Train (or resume) the run in `run_dir`. Every process of a multi-GPU run calls this.

    Only global rank 0 writes run.json and talks (`say`); every rank warns
    (`warn`) about the pairs it finds unreadable. Lightning's launcher or
    torchrun start the other ranks, which read the same settings. `catalog`:
    the data already read with read_catalog (the CLI reads it first, to fail fast).
    """
    from lightning.pytorch.utilities import rank_zero_only

    run_dir = Path(run_dir)
    rank = rank_zero_only.rank
    is_zero = rank == 0
    say = say if is_zero else (lambda message: None)
    if is_zero:
        check_run_dir(run_dir, resume, force)
    specs = [parse_data_spec(d) for d in settings.data]
    catalog = catalog or read_catalog(specs, strict=settings.strict)
    if catalog.skipped:
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(catalog.skipped.items()))
        say(f"skipped {sum(catalog.skipped.values())} manifest lines ({detail}); training on {len(catalog.pairs)} pairs")
    bundle = load_for_training(settings.base)
    frames = min(math.ceil(settings.seconds * bundle.sample_rate / bundle.hop_length), int(bundle.config["dit"].get("sample_size", 1024)))
    geometry = Geometry(bundle.sample_rate, bundle.audio_channels, bundle.hop_length, frames)
    cache_root = run_dir / "latents" / bundle.sha256[:16] if settings.cache_latents else None
    module = InstructTraining(bundle, settings.hyper, settings.seed)
    skips = SkipLog(run_dir, warn)
    data = PairData(catalog, geometry, settings, cache_root, say, skips)

    validation = (ValidationEdits(run_dir / "validation", validation_pair(specs, catalog), geometry,
                                  settings.validate_every, say, warn, settings.strict),) if settings.validate_every else ()
    trainer = make_trainer(run_dir, settings, (*validation, SkippedItems(skips, settings.strict), *callbacks))
    if is_zero:  # only once the data, the base and the devices are known to be usable
        prepare_run_dir(run_dir, settings, resume, force)
        for record in catalog.bad:
            skips.add(record)
    checkpoint = last_checkpoint(run_dir) if resume else None
    if resume and checkpoint is None:
        say(f"{run_dir}: no checkpoint yet; starting from step 0")
    with warnings.catch_warnings():
        # Resuming mid-"epoch" is the normal case here (one epoch is the whole run) and the
        # DataLoader restarts at the restored step itself; a resumed run reuses its checkpoint folder.
        warnings.filterwarnings("ignore", message=".*resuming from a checkpoint that ended before the epoch ended.*")
        warnings.filterwarnings("ignore", message=".*exists and is not empty.*")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode.*")  # the frozen VAE, T5 and projection
        warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\)` is deprecated.*")
        try:
            trainer.fit(module, datamodule=data, ckpt_path=checkpoint, weights_only=True)
        except SystemExit:
            if trainer.interrupted:  # Lightning turns Ctrl-C into exit 1 after shutting down cleanly
                raise KeyboardInterrupt from None
            raise
        except torch.OutOfMemoryError:
            from engine.neural.editor import DeviceOutOfMemory

            raise DeviceOutOfMemory(f"the device ran out of memory training on {settings.batch_size} x {settings.seconds:g} s",
                                    hint="Use a smaller --batch-size (and --accumulate to keep the effective batch), "
                                         "a shorter --seconds, or --precision bf16.") from None
    return RunResult(run_dir, trainer.global_step, checkpoint, dict(catalog.skipped), failed_reads(run_dir), rank)


def make_trainer(run_dir: Path, settings: RunSettings, callbacks: tuple = ()) -> L.Trainer:
    """The Trainer of a run: devices, precision, checkpoints, loggers and progress bar.

    Device options Lightning cannot honour (a GPU on a machine without one) are usage errors.
    """
    from lightning.fabric.utilities.exceptions import MisconfigurationException
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    bar = [ProgressBar()] if settings.progress else []
    try:
        return L.Trainer(
            default_root_dir=run_dir,  # where Lightning saves a checkpoint when Slurm preempts the job
            accelerator=settings.accelerator,
            devices=int(settings.devices) if str(settings.devices).isdigit() else settings.devices,
            num_nodes=settings.num_nodes,
            precision=PRECISIONS[settings.precision],
            max_steps=settings.max_steps,
            max_epochs=-1,
            accumulate_grad_batches=settings.accumulate,
            logger=[TensorBoardLogger(run_dir / "logs", name="tensorboard", version=""),
                    CSVLogger(run_dir / "logs", name="csv")],  # version_N: Lightning would delete a reused metrics.csv
            callbacks=[*bar, *callbacks, Checkpoints(run_dir, settings.checkpoint_every, settings.keep_checkpoints)],
            log_every_n_steps=settings.log_every,
            enable_progress_bar=settings.progress,
            enable_model_summary=False,
            use_distributed_sampler=False,
            limit_val_batches=0,
            num_sanity_val_steps=0,
        )
    except (MisconfigurationException, ValueError, RuntimeError) as e:
        raise UsageError(f"--accelerator/--devices/--num-nodes: {str(e).strip().splitlines()[0]}") from None
