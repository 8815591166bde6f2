"""`sao eval suite`: the paper's deterministic tasks as a benchmark with exact targets.

The ten tasks of SAO-Instruct's Tables 10–11 (DROP, SWAP, LOOP, PITCH, SPEED,
LOW_PASS, HIGH_PASS, INPAINT, SUPER_RES, DENOISE) have one right answer, so an
edit can be scored against it sample by sample. The cases are made by the
manual gen-data pipeline (datagen.manual, one job per task: the same clips
handling, gates, headroom and grammar instructions as training data), and each
case is given to `sao edit` as a separate process, exactly as a user would run
it, with the chosen `--engine` (and `--model`). A case the engine cannot do is
"refused" (exit 6: it needs the model; exit 5: the instruction was not
understood), which is an answer, not a failure: `--engine dsp` refuses the
tasks that only a model can do.

Work folder layout (kept with --keep DIR), ready for `sao eval --ref target
--pred pred --input input`:
    input/<TASK>/<id>.wav   target/<TASK>/<id>.wav   pred/<TASK>/<id>.wav
    datasets/<TASK>/        the manual pipeline's dataset (manifest.jsonl)

It lives in datagen, beside the pipeline that builds its cases, so that the
engine never depends on datagen.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from engine.audio_io import READABLE_EXTENSIONS, read_audio
from engine.errors import BadAudio, UsageError
from engine.metrics import si_sdr, signal_metrics

from .dataset import MANIFEST, read_manifest
from .manual import ManualConfig, ManualJob

TASKS = ("DROP", "SWAP", "LOOP", "PITCH", "SPEED", "LOW_PASS", "HIGH_PASS", "INPAINT", "SUPER_RES", "DENOISE")
SCORES = ("stft", "mr_stft", "mr_mel", "si_sdr", "si_snr")
# SAO-Instruct alone, SI-SDR in dB (the paper's Tables 10–11).
PAPER_SI_SDR = {"LOOP": -11.9, "PITCH": -41.4, "SPEED": -45.1, "LOW_PASS": -2.3, "HIGH_PASS": -28.5, "DENOISE": -3.4,
                "SUPER_RES": -1.7, "INPAINT": -14.0, "DROP": -13.8, "SWAP": -54.2}
PAPER_AVERAGE_SI_SDR = -21.6
FREEDESKTOP = Path("/usr/share/sounds/freedesktop/stereo")
REFUSALS = {6: "needs the model", 5: "instruction not understood"}
MIN_CLIP_S = 1.0


@dataclass
class Case:
    task: str
    id: str
    instruction: str
    input: Path
    target: Path


@dataclass
class CaseResult:
    case: Case
    status: str  # ok | refused | failed
    input_si_sdr: float  # the unedited input against the target: the do-nothing baseline
    scores: dict[str, float] = field(default_factory=dict)
    reason: str = ""  # why it was refused or failed, in a few words
    message: str = ""  # and what `sao edit` said

    def to_dict(self) -> dict:
        return {"task": self.case.task, "id": self.case.id, "instruction": self.case.instruction, "status": self.status,
                "scores": self.scores, "input_si_sdr": self.input_si_sdr, "reason": self.reason, "message": self.message}


@dataclass
class TaskSummary:
    task: str
    ok: int
    refused: int
    failed: int
    scores: dict[str, float]  # means over the cases that ran; empty when none did
    input_si_sdr: float | None  # mean do-nothing baseline over all the task's cases; None without cases
    note: str  # the first refusal or failure reason

    @property
    def status(self) -> str:
        if self.ok:
            return "ok" if not (self.refused or self.failed) else "partly"
        if not (self.refused or self.failed):
            return "no cases"  # the manual pipeline rejected every draw
        return "refused" if self.refused else "failed"

    def to_dict(self) -> dict:
        return {"task": self.task, "status": self.status, "ok": self.ok, "refused": self.refused, "failed": self.failed,
                "scores": self.scores, "input_si_sdr": self.input_si_sdr, "paper_si_sdr": PAPER_SI_SDR[self.task], "note": self.note}


def captions_from_names(clips_dir: Path, out_csv: Path) -> Path:
    """A `file,caption` CSV naming each clip after its file ("phone-incoming-call.oga" -> "phone incoming call").

    The manual pipeline needs captions to name sources in DROP and SWAP
    instructions; a folder of sound effects usually has telling file names.
    Clips shorter than MIN_CLIP_S are left out: the pipeline rejects short
    clips, and a two-clip task drawing from many of them runs out of attempts.
    """
    files = [p for p in sorted(clips_dir.rglob("*")) if p.is_file() and p.suffix.lower() in READABLE_EXTENSIONS and _seconds(p) >= MIN_CLIP_S]
    if len(files) < 2:
        raise BadAudio(f"--clips {clips_dir}: needs at least two readable clips of {MIN_CLIP_S:g} s or more")
    with out_csv.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "caption"])
        for p in files:
            w.writerow([p.relative_to(clips_dir).as_posix(), p.stem.replace("-", " ").replace("_", " ")])
    return out_csv


def _seconds(path: Path) -> float:
    try:
        return sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError):
        return 0.0


def build_cases(clips_dir: Path, work: Path, per_task: int = 3, seed: int = 0, tasks: tuple[str, ...] = TASKS,
                captions: Path | None = None) -> list[Case]:
    """Make `per_task` cases of each task with the manual pipeline, laid out under `work`."""

    if not clips_dir.is_dir():
        raise UsageError(f"--clips {clips_dir}: no such folder")
    if per_task < 1:
        raise UsageError(f"--per-task must be at least 1 (got {per_task})")
    work.mkdir(parents=True, exist_ok=True)
    captions = captions or captions_from_names(clips_dir, work / "captions.csv")
    cases = []
    for task in tasks:
        dataset = work / "datasets" / task
        job = ManualJob(ManualConfig(clips_dir=clips_dir, captions=captions, n=per_task, out=dataset, seed=seed, tasks=(task,)))
        try:
            for _ in job.run():
                pass
        finally:
            job.close()
        if not (dataset / MANIFEST).exists():  # every draw was rejected: the task gets no case
            continue
        for row in read_manifest(dataset):
            case = Case(task, row["id"], row["instruction"], work / "input" / task / f"{row['id']}.wav",
                        work / "target" / task / f"{row['id']}.wav")
            for src, dst in ((row["input"], case.input), (row["output"], case.target)):
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(dataset / src, dst)
            cases.append(case)
    return cases


@dataclass
class EditRun:
    code: int
    message: str  # the last line `sao edit` printed on stderr


Editor = Callable[[Case, Path], EditRun]


def sao_edit(engine: str = "auto", model: str | None = None) -> Editor:
    """An editor that runs `sao edit INPUT INSTRUCTION -o OUT` as its own process.

    A fresh process per case is what a user's script does, and it picks up
    everything `sao edit` does by itself: SAO_MODEL, a running `sao serve`.
    """
    extra = ["--model", model] if model else []

    def run(case: Case, out: Path) -> EditRun:
        cmd = [sys.executable, "-m", "sao_cli", "edit", str(case.input), case.instruction, "-o", str(out),
               "--engine", engine, "--force", "--no-sidecar", *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("sao: error:")]
        message = (errors[-1] if errors else lines[-1] if lines else "").removeprefix("sao: error:").strip()
        return EditRun(proc.returncode, message)

    return run


def score_case(case: Case, pred: Path) -> dict[str, float]:
    """The suite's scores of a prediction against the exact target."""
    target, out = read_audio(case.target), read_audio(pred)
    if out.sample_rate != target.sample_rate:
        raise BadAudio(f"the edit came back at {out.sample_rate} Hz, the target is {target.sample_rate} Hz")
    return signal_metrics(target.samples, out.samples, target.sample_rate, SCORES)


def input_si_sdr(case: Case) -> float:
    """SI-SDR of the unedited input against the target: what doing nothing scores."""
    return si_sdr(read_audio(case.target).samples, read_audio(case.input).samples)


def run_suite(cases: list[Case], edit: Editor, work: Path, on_case: Callable[[int, Case], None] | None = None) -> list[CaseResult]:
    """Edit and score every case; refusals and failures are recorded, never raised."""
    results = []
    for i, case in enumerate(cases, 1):
        if on_case:
            on_case(i, case)
        pred = work / "pred" / case.task / f"{case.id}.wav"
        pred.parent.mkdir(parents=True, exist_ok=True)
        run = edit(case, pred)
        baseline = input_si_sdr(case)
        if run.code in REFUSALS:
            results.append(CaseResult(case, "refused", baseline, reason=REFUSALS[run.code], message=run.message))
        elif run.code != 0:
            reason = f"{run.message} (sao edit exit {run.code})" if run.message else f"sao edit exit {run.code}"
            results.append(CaseResult(case, "failed", baseline, reason=reason, message=run.message))
        else:
            try:
                results.append(CaseResult(case, "ok", baseline, score_case(case, pred)))
            except BadAudio as e:
                results.append(CaseResult(case, "failed", baseline, reason="unreadable result", message=e.message))
    return results


def summarise(results: list[CaseResult], tasks: tuple[str, ...] = TASKS) -> tuple[list[TaskSummary], dict]:
    """Per-task means over the cases that ran, and the average over the tasks that ran.

    The average comes with the paper's average over those same tasks, since the
    paper's −21.6 dB covers all ten and a route that refuses some is otherwise
    compared on a different set.
    """
    per_task = []
    for task in tasks:
        mine = [r for r in results if r.case.task == task]
        ok = [r for r in mine if r.status == "ok"]
        scores = {k: float(np.mean([r.scores[k] for r in ok])) for k in SCORES} if ok else {}
        baseline = float(np.mean([r.input_si_sdr for r in mine])) if mine else None
        note = next((r.reason for r in mine if r.status != "ok"), "")
        per_task.append(TaskSummary(task, len(ok), sum(r.status == "refused" for r in mine),
                                    sum(r.status == "failed" for r in mine), scores, baseline, note))
    ran = [t for t in per_task if t.scores]
    average = {k: float(np.mean([t.scores[k] for t in ran])) for k in SCORES} if ran else {}
    return per_task, {"tasks": [t.task for t in ran], "scores": average,
                      "input_si_sdr": float(np.mean([t.input_si_sdr for t in ran])) if ran else None,
                      "paper_si_sdr_same_tasks": float(np.mean([PAPER_SI_SDR[t.task] for t in ran])) if ran else None,
                      "paper_si_sdr_all_tasks": PAPER_AVERAGE_SI_SDR}
