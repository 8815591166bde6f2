"""`sao batch DIR|GLOB INSTRUCTION -o OUT_DIR`: one instruction over many files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from .. import console, options
from ..errors import handle_errors


@handle_errors
def batch(
    source: str = typer.Argument(..., help="A folder of audio files, or a glob such as 'takes/**/*.wav' (quote it)."),
    instruction: str = typer.Argument(..., help="What to do to every file."),
    out_dir: Path = typer.Option(..., "--output", "-o", help="Output folder; the input tree is mirrored inside it."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Include sub-folders of a folder source."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="Skip files whose output exists (resume an interrupted run)."),
    ext: Optional[str] = typer.Option(None, "--ext", help="Write every output in this format: wav, flac, ogg or aiff."),
    shard: Optional[str] = typer.Option(None, "--shard", help="Process only part i of N (i/N, from 0), for several machines."),
    engine: options.Engine = options.ENGINE,
    planner: options.Planner = options.PLANNER,
    no_cache: bool = options.NO_CACHE,
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    as_json: bool = options.JSON,
    sr: Optional[int] = options.SR,
    channels: Optional[int] = options.CHANNELS,
    bits: Optional[int] = options.BITS,
    clip: options.Clip = options.CLIP,
    no_sidecar: bool = options.NO_SIDECAR,
    downmix: bool = options.DOWNMIX,
    allow_truncated: bool = options.ALLOW_TRUNCATED,
    model: Optional[str] = options.MODEL,
    steps: int = options.STEPS,
    cfg: float = options.CFG,
    strength: float = options.STRENGTH,
    seed: Optional[int] = options.SEED,
    device: options.Device = options.DEVICE,
    precision: options.Precision = options.PRECISION,
    window: Optional[float] = options.WINDOW,
    match_loudness: bool = options.MATCH_LOUDNESS,
    server: str = options.SERVER,
    batch_size: int = options.BATCH_SIZE,
) -> None:
    """Edit every file of a folder or glob; one bad file is reported and the rest go on (exit 8 if any failed).

    Neural edits load the model once per worker; --batch-size N edits N equal-length files in one model batch.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from engine.audio_io import WRITABLE
    from engine.batch import (
        BatchSpec,
        find_inputs,
        plan_items,
        prepare_out_dir,
        remove_stale_temp_files,
        run_batch,
    )
    from engine.errors import BatchFailed, UsageError
    from engine.pipeline import OutputSpec
    from engine.server.client import server_for
    from engine.shard import parse_shard

    from ..editing import (
        fix_seed,
        make_plans,
        needs_model,
        neural_settings,
        resolve_model_for,
    )

    settings = neural_settings(steps, cfg, strength, seed, device, precision, window, batch_size, match_loudness)
    if ext is not None and f".{ext.lstrip('.').lower()}" not in WRITABLE:
        raise UsageError(f"--ext {ext}: use wav, flac, ogg or aiff")
    plans = make_plans([instruction], engine.value, planner.value, not no_cache, downmix)
    root, files = find_inputs(source, recursive, exclude=out_dir)
    if out_dir.resolve() == root.resolve():
        raise UsageError("the output folder must differ from the input folder")
    spec = BatchSpec(plans, out_dir, engine.value, force, skip_existing, ext, not no_sidecar, OutputSpec("", sr, channels, bits, clip.value),
                     server=server, allow_truncated=allow_truncated)
    if needs_model(plans, engine.value):  # resolved here, so a missing model stops the run before any file (exit 6)
        spec.model = resolve_model_for(plans, model, server)
        server_for(server, spec.model, notice=console.info)  # says once why a running server will not take the files
        drawn = fix_seed(settings)  # one seed for every file, in every worker
        if drawn:
            console.info(drawn)
        spec.neural = settings
    items = plan_items(root, files, spec, parse_shard(shard))
    if not items:
        raise UsageError(f"no audio files to process in {source}" + (f" (shard {shard})" if shard else ""))
    prepare_out_dir(out_dir)
    stale = remove_stale_temp_files(out_dir)
    if stale:
        console.info(f"removed {stale} temp file(s) left by an interrupted run")
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console.err, disable=console.state["quiet"], transient=False)
    start = time.perf_counter()
    try:
        with progress:
            task = progress.add_task("editing", total=len(items))

            def done(result):
                progress.advance(task)
                if result.status == "failed":  # errors are shown, --quiet or not, and once
                    progress.console.print(f"failed {result.item.input}: {result.message}", highlight=False, markup=False)

            results = run_batch(items, spec, jobs, done)
    except KeyboardInterrupt:
        remove_stale_temp_files(out_dir)  # the temp files of the files being written when the workers ended
        raise
    _summary(results, time.perf_counter() - start, as_json)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        hint = "pass --skip-existing to resume, or --force to overwrite" if any(r.code == 4 and "exists" in r.message for r in failed) else None
        raise BatchFailed(f"{len(failed)} of {len(results)} files failed", hint)


def _summary(results, wall_s: float, as_json: bool) -> None:
    """Counts and the run's wall time: JSON on stdout, or a table on stderr (not with --quiet)."""
    from rich.table import Table

    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    if as_json:
        console.print_json({
            "counts": counts,
            "seconds": round(wall_s, 3),
            "files": [{"input": r.item.input, "output": r.item.output, "status": r.status, "message": r.message,
                       "exit_code": r.code, "seconds": round(r.seconds, 3)} for r in results],
        })
        return
    if console.state["quiet"]:
        return
    table = Table(title="batch summary", title_justify="left")
    for col in ("edited", "skipped", "failed", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(str(counts["ok"]), str(counts["skipped"]), str(counts["failed"]), f"{wall_s:.1f}")
    console.err.print(table)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
