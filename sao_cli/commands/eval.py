"""`sao eval`: score edited files against references; `sao eval suite`: the deterministic-task benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import console, options
from ..errors import handle_errors

eval_app = typer.Typer(
    help="Measure edits: `sao eval --ref REF_DIR --pred PRED_DIR` scores files against references; "
    "`sao eval suite` benchmarks the paper's deterministic tasks.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


@eval_app.callback(invoke_without_command=True)
@handle_errors
def eval_folders(
    ctx: typer.Context,
    ref: Optional[Path] = typer.Option(None, "--ref", help="Folder of reference (target) files."),
    pred: Optional[Path] = typer.Option(None, "--pred", help="Folder of edited files; paired with --ref by relative path (any audio extension)."),
    input: Optional[Path] = typer.Option(None, "--input", help="Folder of the unedited inputs: also scored, as the do-nothing baseline."),
    captions: Optional[Path] = typer.Option(None, "--captions", help="Target captions for the CLAP score: CSV 'file,caption' or JSON Lines."),
    panns: Optional[str] = typer.Option(None, "--panns", help="PANNs CNN14 checkpoint (e.g. Cnn14_mAP=0.431.pth) for FD, KL and IS."),
    clap: Optional[str] = typer.Option(None, "--clap", help="CLAP model folder or hub id in the cache, for FD (CLAP) and the CLAP score. Default: laion/clap-htsat-unfused if cached."),
    as_json: bool = options.JSON,
) -> None:
    """Score the files in --pred against those in --ref (and --input as a baseline)."""
    from engine.errors import UsageError

    if ctx.invoked_subcommand:
        if any(v is not None for v in (ref, pred, input, captions, panns, clap)) or as_json:
            raise UsageError(f"--ref, --pred and the other scoring options belong to `sao eval`, not `sao eval {ctx.invoked_subcommand}`")
        return
    if ref is None or pred is None:
        raise UsageError("give --ref REF_DIR and --pred PRED_DIR (or run `sao eval suite`)")
    from engine.metrics.embeddings import load_embedders
    from engine.metrics.folders import evaluate, find_pairs, read_captions

    pairs = find_pairs(ref, pred, input)
    caption_map = read_captions(captions, pairs) if captions else None
    embedders = load_embedders(panns, clap)
    console.info(f"scoring {len(pairs)} pair(s)" + (" and their inputs" if input else ""))
    result = evaluate(pairs, embedders, caption_map)
    _report_skipped(result.skipped)
    if as_json:
        console.print_json({"ref": str(ref), "pred": str(pred), "input": str(input) if input else None, **result.to_dict()})
    else:
        console.out.print(_metrics_table(result))


def _report_skipped(skipped: dict[str, str]) -> None:
    from engine.metrics import METRICS

    by_reason: dict[str, list[str]] = {}
    for key, reason in skipped.items():
        by_reason.setdefault(reason, []).append(METRICS[key].label)
    for reason, labels in by_reason.items():
        console.info(f"skipped {', '.join(labels)}: {reason}")


def _metrics_table(result):
    from rich.table import Table

    from engine.metrics import METRICS

    sides = list(result.summary)
    table = Table(title=f"{result.count} file(s)", title_justify="left")
    table.add_column("metric")
    table.add_column("better")
    for side in sides:
        table.add_column({"pred": "pred vs ref", "input": "input vs ref"}[side], justify="right")
    for key, metric in METRICS.items():
        if all(key not in result.summary[s] for s in sides):
            continue
        cells = [_cell(result.summary[s], key) for s in sides]
        table.add_row(metric.label, "higher" if metric.higher_is_better else "lower", *cells)
    return table


def _cell(values: dict, key: str) -> str:
    if key not in values:
        return "—"
    if key == "is":
        return f"{values['is']:.3f} ± {values['is_std']:.3f}"
    return f"{values[key]:.2f}" if key in ("si_sdr", "si_snr") else f"{values[key]:.4f}"


@eval_app.command("suite")
@handle_errors
def suite(
    model: Optional[str] = typer.Option(None, "--model", help="Model name or folder, passed to `sao edit --model` (default: what `sao edit` uses)."),
    clips: Optional[Path] = typer.Option(None, "--clips", help="Folder of real clips to build the tasks from. Default: the freedesktop sound theme."),
    captions: Optional[Path] = typer.Option(None, "--captions", help="Captions of the clips (CSV 'file,caption' or JSON Lines). Default: made from the file names."),
    engine: options.Engine = options.ENGINE,
    per_task: int = typer.Option(3, "--per-task", help="Cases per task."),
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Run only these tasks, comma-separated (e.g. LOW_PASS,PITCH). Default: all ten."),
    seed: int = typer.Option(0, "--seed", help="Seed of the manual pipeline: the same seed makes the same cases."),
    keep: Optional[Path] = typer.Option(None, "--keep", help="Keep the cases and edits in this folder (input/, target/, pred/), for listening or `sao eval`."),
    as_json: bool = options.JSON,
) -> None:
    """Run the paper's deterministic tasks through `sao edit` and score them against their exact targets."""
    import contextlib
    import tempfile

    from engine.errors import BatchFailed, UsageError
    from datagen.eval_suite import (
        FREEDESKTOP,
        TASKS,
        build_cases,
        run_suite,
        sao_edit,
        summarise,
    )

    chosen = tuple(t.strip().upper() for t in tasks.split(",") if t.strip()) if tasks else TASKS
    unknown = [t for t in chosen if t not in TASKS]
    if unknown or not chosen:
        raise UsageError(f"--tasks: unknown task(s) {', '.join(unknown) or '(none given)'}; the tasks are {', '.join(TASKS)}")
    clips = clips or FREEDESKTOP
    if not clips.is_dir():
        raise UsageError(f"--clips {clips}: no such folder; pass --clips DIR with real recordings")
    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise UsageError(f"--keep {keep}: exists and is not an empty folder; give a new or empty one")
    with contextlib.nullcontext(str(keep)) if keep else tempfile.TemporaryDirectory(prefix="sao-eval-suite-") as folder:
        work = Path(folder)
        console.info(f"building {per_task} case(s) per task from {clips}")
        cases = build_cases(clips, work, per_task, seed, chosen, captions)
        results = run_suite(cases, sao_edit(engine.value, model), work,
                            lambda i, c: console.info(f"[{i}/{len(cases)}] {c.task}: {c.instruction}"))
        per_task_rows, average = summarise(results, chosen)
    if as_json:
        console.print_json({"engine": engine.value, "model": model, "clips": str(clips), "seed": seed, "per_task": [t.to_dict() for t in per_task_rows],
                            "average": average, "cases": [r.to_dict() for r in results]})
    else:
        console.out.print(_suite_table(per_task_rows, average, engine.value))
        for line in _suite_notes(per_task_rows, average):
            console.out.print(line, highlight=False)
    if keep is not None:
        console.info(f"kept the cases and edits in {keep}: input/, target/ and pred/ (a folder per task; "
                     f"`sao eval --ref {keep}/target/TASK --pred {keep}/pred/TASK` rescores a task that ran)")
    failed = sum(t.failed for t in per_task_rows)
    if failed:
        raise BatchFailed(f"{failed} case(s) failed; see the notes in the table (or --json)")


def _suite_table(rows, average, engine: str):
    """The per-task table; it fits 80 columns, so the notes on refused tasks go below it (see _suite_notes)."""
    from rich import box
    from rich.table import Table

    from datagen.eval_suite import PAPER_SI_SDR

    table = Table(title=f"Deterministic tasks, --engine {engine}. Distances: lower is better; dB: higher is better. "
                  "input: the unedited input's SI-SDR; paper: SAO-Instruct's.", title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("task", "ran", "STFT", "MR-STFT", "MR-MEL", "SI-SDR", "SI-SNR", "input", "paper"):
        table.add_column(col, justify="left" if col == "task" else "right", no_wrap=True)

    def numbers(s: dict) -> list[str]:
        return [f"{s[k]:.3f}" for k in ("stft", "mr_stft", "mr_mel")] + [f"{s[k]:.1f}" for k in ("si_sdr", "si_snr")] if s else ["—"] * 5

    for t in rows:
        baseline = "—" if t.input_si_sdr is None else f"{t.input_si_sdr:.1f}"
        table.add_row(t.task, f"{t.ok}/{t.ok + t.refused + t.failed}", *numbers(t.scores), baseline, f"{PAPER_SI_SDR[t.task]:.1f}")
    if average["scores"]:
        table.add_row(f"mean of {len(average['tasks'])}", "", *numbers(average["scores"]), f"{average['input_si_sdr']:.1f}",
                      f"{average['paper_si_sdr_same_tasks']:.1f}")
    return table


def _suite_notes(rows, average) -> list[str]:
    """One line per reason a task did not (fully) run, and what the paper's mean covers."""
    by_note: dict[str, list[str]] = {}
    for t in rows:
        if t.status != "ok":
            by_note.setdefault(f"{t.status} ({t.note or 'the manual pipeline made no case'})", []).append(t.task)
    lines = [f"{', '.join(tasks)}: {note}" for note, tasks in by_note.items()]
    if average["scores"]:
        lines.append(f"paper's mean over all 10 tasks: {average['paper_si_sdr_all_tasks']:.1f} dB; "
                     f"the mean row compares the {len(average['tasks'])} that ran")
    return lines


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
