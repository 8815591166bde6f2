"""`sao gen-data`: make (input, instruction, output) triplets for `sao train`.

`manual` runs the paper's deterministic edits on real clips; `p2p` and
`inversion` are the model pipelines (the base Stable Audio model, CLAP and
optuna); `merge` joins shard folders; `split` makes a train/validation split.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from .. import console, options
from ..errors import handle_errors

gen_data = typer.Typer(
    name="gen-data",
    help="Make training triplets (input audio, instruction, output audio) for `sao train`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

# Options every pipeline shares.
OUT = typer.Option(..., "--out", "-o", help="Dataset folder to write; a rerun of the same command resumes it.")
N = typer.Option(..., "--n", help="How many kept triplets to make, over all shards together.")
SEED = typer.Option(0, "--seed", help="Seed: the same command and seed make the same dataset.")
SHARD = typer.Option(None, "--shard", help="i/N: make only shard i of N (0 <= i < N), e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT; join them with `sao gen-data merge`.")
LLM_URL = typer.Option(None, "--llm-url", envvar="SAO_LLM_URL", help="OpenAI-compatible API base (llama.cpp, vLLM, ollama: e.g. http://localhost:8080/v1). Default: $SAO_LLM_URL, else the offline template grammar.")
LLM_MODEL = typer.Option(None, "--llm-model", envvar="SAO_LLM_MODEL", help="Model name to ask for at --llm-url.")
LLM_KEY_ENV = typer.Option("OPENAI_API_KEY", "--llm-key-env", envvar="SAO_LLM_KEY_ENV", help="Environment variable holding the API key (unset: no key is sent).")
LLM_TIMEOUT = typer.Option(60.0, "--llm-timeout", help="Seconds to wait for the LLM server before retrying.")
LLM_RETRIES = typer.Option(2, "--llm-retries", help="Further tries after an invalid reply, a time-out or a 5xx, before the sample is skipped.")
LENIENT = typer.Option(False, "--lenient", help="Skip malformed caption rows (an unclosed quote, a wrong field count, a line that is not JSON), counting and naming them, instead of stopping.")


def llm_config(url: str | None, model: str | None, key_env: str, timeout_s: float, retries: int):
    """The LLM settings, or None for the offline grammar."""
    from datagen.llm import LLMConfig
    from engine.errors import UsageError

    if url is None:
        if model is not None:
            raise UsageError("--llm-model needs --llm-url")
        return None
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--llm-url must start with http:// or https:// (got {url!r})")
    if not model:
        raise UsageError("--llm-url needs --llm-model (llama.cpp accepts any name; ollama and vLLM need the served one)")
    if timeout_s <= 0 or retries < 0:
        raise UsageError("--llm-timeout must be positive and --llm-retries at least 0")
    return LLMConfig(url, model, os.environ.get(key_env) or None, timeout_s, retries)


def run_pipeline(job, out: Path, as_json: bool) -> None:
    """Run a job (pending slots, run() yielding Outcomes, writer) with a progress bar, then the summary."""
    import time
    from collections import Counter

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from datagen.dataset import summarize

    if job.writer.recovery:
        r = job.writer.recovery
        console.info(f"{out}: cleared what an interrupted run left ({r.orphan_files} unlisted audio files, {r.temp_files} temp files, {r.torn_lines} torn lines)")
    if job.done_before:
        console.info(f"{out}: {job.done_before} samples already made; resuming")
    kept, rejected = Counter(), Counter()
    gave_up = 0
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("kept {task.fields[kept]}, rejected {task.fields[rejected]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console.err, disable=console.state["quiet"]) as progress:
        bar = progress.add_task("generating", total=len(job.pending), kept=0, rejected=0)
        for outcome in job.run():
            if outcome.kept:
                kept[outcome.task] += 1
            else:
                rejected[outcome.reason] += 1
                gave_up += outcome.slot_done
            progress.update(bar, advance=int(outcome.slot_done), kept=sum(kept.values()), rejected=sum(rejected.values()))
    seconds = time.perf_counter() - started
    total = summarize(out)
    made = sum(kept.values())
    if as_json:
        console.print_json({"out": str(out), "seconds": round(seconds, 3), "seconds_per_sample": round(seconds / made, 4) if made else None,
                            "this_run": {"kept": dict(kept), "rejected": dict(rejected), "gave_up": gave_up},
                            "dataset": {"kept": dict(total.kept), "rejected": dict(total.rejected)}})
        return
    _summary_table(kept, rejected, total)
    rate = f" ({seconds / made:.3f} s per sample)" if made else ""
    console.info(f"{out}: made {made} samples in {seconds:.1f} s{rate}; the dataset holds {sum(total.kept.values())}")
    if gave_up:
        console.warn(f"{gave_up} samples were given up after every attempt was rejected; see rejected.jsonl")


def _summary_table(kept, rejected, total) -> None:
    from rich.table import Table

    table = Table(title="gen-data summary")
    for col, justify in (("", "left"), ("this run", "right"), ("in the dataset", "right")):
        table.add_column(col, justify=justify)
    for name in sorted(set(kept) | set(total.kept)):
        table.add_row(f"kept: {name}", str(kept.get(name, 0)), str(total.kept.get(name, 0)))
    table.add_row("kept, all", str(sum(kept.values())), str(sum(total.kept.values())), end_section=True)
    for reason in sorted(set(rejected) | set(total.rejected)):
        table.add_row(f"rejected: {reason}", str(rejected.get(reason, 0)), str(total.rejected.get(reason, 0)))
    table.add_row("rejected, all", str(sum(rejected.values())), str(sum(total.rejected.values())))
    console.out.print(table)


@handle_errors
def manual(
    clips: Path = typer.Option(..., "--clips", help="Folder of audio clips."),
    captions: Path = typer.Option(..., "--captions", help="CSV with header file,caption (file relative to --clips), or JSON Lines with those keys."),
    n: int = N,
    out: Path = OUT,
    seed: int = SEED,
    shard: Optional[str] = SHARD,
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Comma-separated subset of ADD,REPLACE,DROP,SWAP,LOOP,PITCH,SPEED,LOW_PASS,HIGH_PASS,INPAINT,SUPER_RES,DENOISE (default: all, drawn uniformly)."),
    clip_s: float = typer.Option(10.0, "--clip-s", help="Crop longer clips to this many seconds, at a random place."),
    min_clip_s: float = typer.Option(0.5, "--min-clip-s", help="Skip clips shorter than this."),
    sr: int = typer.Option(44100, "--sr", help="Sample rate of the dataset."),
    channels: int = typer.Option(2, "--channels", help="Channels of the dataset."),
    noise_std: float = typer.Option(0.01, "--noise-std", help="DENOISE: standard deviation of the added Gaussian noise (the paper's N(0, 0.01), read as numpy's normal(0, 0.01)); 0.1 is the variance reading."),
    max_attempts: int = typer.Option(10, "--max-attempts", help="Draws per sample before giving it up."),
    lenient: bool = LENIENT,
    llm_url: Optional[str] = LLM_URL,
    llm_model: Optional[str] = LLM_MODEL,
    llm_key_env: str = LLM_KEY_ENV,
    llm_timeout: float = LLM_TIMEOUT,
    llm_retries: int = LLM_RETRIES,
    as_json: bool = options.JSON,
) -> None:
    """The paper's 12 deterministic edits on real captioned clips, each task drawn uniformly."""
    from datagen.manual import ManualConfig, ManualJob
    from datagen.tasks import TASKS
    from engine.errors import UsageError
    from engine.shard import parse_shard

    if sr < 8000 or not 1 <= channels <= 8:
        raise UsageError("--sr must be at least 8000 and --channels between 1 and 8")
    chosen = tuple(t.strip().upper() for t in tasks.split(",") if t.strip()) if tasks else tuple(TASKS)
    cfg = ManualConfig(clips, captions, n, out, seed, parse_shard(shard), chosen, clip_s, min_clip_s, sr, channels, noise_std,
                       max_attempts, llm_config(llm_url, llm_model, llm_key_env, llm_timeout, llm_retries), lenient)
    _run_job(ManualJob(cfg), cfg, captions, out, as_json)


# Options the model pipelines share.
MODEL = typer.Option("stable-audio-open", "--model", help="The base text-to-audio model: a stable-audio folder, a stable-audio-tools checkpoint or a name.")
CLAP = typer.Option(None, "--clap", help="LAION-CLAP for the objective and filter: a folder or hub id in the cache (default laion/clap-htsat-unfused; `sao models pull clap`).")
NEGATIVE = typer.Option("low quality", "--negative", help="Negative caption of every generation (the output's also gets the edit's own negatives); '' for none.")
TRIALS_HELP = "Bayesian-optimisation trials per sample (optuna TPE)."
MAX_ATTEMPTS = typer.Option(3, "--max-attempts", help="Attempts per sample before giving it up (each draws another caption row).")
CAPTIONS_HELP = ("CSV or JSON Lines: caption, and output_caption + instruction (+ optional negative_caption) "
                 "unless --llm-url writes them")


def load_models(model: str, clap: str | None, device: str, precision: str):
    """The base model bundle and the CLAP embedder; a default CLAP that is not here is exit 6."""
    import torch

    from engine.errors import NeedsModel, UsageError
    from engine.metrics.embeddings import DEFAULT_CLAP, ClapEmbedder
    from engine.neural.editor import PRECISIONS, resolve_device
    from engine.neural.loader import load_bundle
    from engine.neural.sources import resolve_model

    try:
        embedder = ClapEmbedder.load(clap or DEFAULT_CLAP)
    except UsageError as e:
        if clap:
            raise
        raise NeedsModel(f"gen-data needs CLAP and {DEFAULT_CLAP} is not in the hub cache",
                         hint="Run `sao models pull clap`, or pass --clap with a CLAP folder.") from e
    bundle = load_bundle(resolve_model(model), resolve_device(device), getattr(torch, PRECISIONS[precision]))
    return bundle, embedder


def candidate_filter(kind: str, threshold: float, url: str | None, model: str | None, key_env: str, timeout_s: float, retries: int):
    from datagen.llm import ChatClient
    from datagen.quality import ClapThreshold, Judge
    from engine.errors import UsageError

    if kind == "clap":
        if url:
            raise UsageError("--judge-url needs --filter judge")
        return ClapThreshold(threshold)
    if kind != "judge":
        raise UsageError(f"--filter must be clap or judge (got {kind!r})")
    if not url:
        raise UsageError("--filter judge needs --judge-url and --judge-model (an audio-capable chat model)")
    return Judge(ChatClient(llm_config(url, model, key_env, timeout_s, retries)))


def _run_job(job, cfg, captions: Path, out: Path, as_json: bool) -> None:
    """Warn about skipped caption rows (naming malformed ones), run the job with run_pipeline, and always release the dataset."""
    from datagen.captions import describe_bad_rows

    try:
        for reason, rows in cfg.skipped_rows.items():
            named = f": {describe_bad_rows(cfg.bad_rows)}" if reason == "malformed row" else ""
            console.warn(f"{captions}: skipped {rows} rows ({reason}){named}")
        run_pipeline(job, out, as_json)
    finally:
        job.close()


@handle_errors
def p2p(
    captions: Path = typer.Option(..., "--captions", help=CAPTIONS_HELP + "."),
    n: int = N,
    out: Path = OUT,
    model: str = MODEL,
    clap: Optional[str] = CLAP,
    seed: int = SEED,
    shard: Optional[str] = SHARD,
    seconds: float = typer.Option(10.0, "--seconds", help="Length of the generated clips."),
    negative: str = NEGATIVE,
    candidates: int = typer.Option(7, "--candidates", help="Seed/CFG pairs tried before optimising (CFG spread over 3..9)."),
    search_steps: int = typer.Option(50, "--search-steps", help="Diffusion steps of each candidate."),
    trials: int = typer.Option(10, "--trials", help=TRIALS_HELP),
    bo_steps: int = typer.Option(50, "--bo-steps", help="Diffusion steps of each trial."),
    final_steps: int = typer.Option(100, "--final-steps", help="Diffusion steps of the kept render."),
    filter_kind: str = typer.Option("clap", "--filter", help="Candidate filter: clap (a CLAP threshold) or judge (an audio-capable model at --judge-url)."),
    clap_threshold: float = typer.Option(0.2, "--clap-threshold", help="--filter clap: least CLAP cosine of each clip with its caption."),
    judge_url: Optional[str] = typer.Option(None, "--judge-url", help="--filter judge: OpenAI-compatible API base of a model that hears audio (input_audio parts)."),
    judge_model: Optional[str] = typer.Option(None, "--judge-model", help="--filter judge: the model name."),
    max_attempts: int = MAX_ATTEMPTS,
    lenient: bool = LENIENT,
    device: options.Device = options.DEVICE,
    precision: options.Precision = options.PRECISION,
    llm_url: Optional[str] = LLM_URL,
    llm_model: Optional[str] = LLM_MODEL,
    llm_key_env: str = LLM_KEY_ENV,
    llm_timeout: float = LLM_TIMEOUT,
    llm_retries: int = LLM_RETRIES,
    as_json: bool = options.JSON,
) -> None:
    """Prompt-to-Prompt: input and output clips generated together from a caption edit, optimised for CLAP."""
    from datagen.p2p import P2PConfig, P2PJob
    from engine.shard import parse_shard

    keep = candidate_filter(filter_kind, clap_threshold, judge_url, judge_model, llm_key_env, llm_timeout, llm_retries)
    cfg = P2PConfig(captions, n, out, seed, parse_shard(shard), negative, trials, max_attempts,
                    llm_config(llm_url, llm_model, llm_key_env, llm_timeout, llm_retries), lenient, seconds=seconds,
                    candidates=candidates, search_steps=search_steps, bo_steps=bo_steps, final_steps=final_steps)
    bundle, embedder = load_models(model, clap, device.value, precision.value)
    _run_job(P2PJob(cfg, bundle, embedder, keep), cfg, captions, out, as_json)


@handle_errors
def inversion(
    clips: Path = typer.Option(..., "--clips", help="Folder of audio clips."),
    captions: Path = typer.Option(..., "--captions", help=CAPTIONS_HELP + "; file relative to --clips."),
    n: int = N,
    out: Path = OUT,
    model: str = MODEL,
    clap: Optional[str] = CLAP,
    seed: int = SEED,
    shard: Optional[str] = SHARD,
    clip_s: float = typer.Option(10.0, "--clip-s", help="Crop longer clips to this many seconds, at a random place."),
    min_clip_s: float = typer.Option(1.0, "--min-clip-s", help="Skip clips shorter than this."),
    negative: str = NEGATIVE,
    trials: int = typer.Option(7, "--trials", help=TRIALS_HELP),
    steps: int = typer.Option(70, "--steps", help="DDPM steps of the full chain (T_start is searched within it)."),
    max_attempts: int = MAX_ATTEMPTS,
    lenient: bool = LENIENT,
    device: options.Device = options.DEVICE,
    precision: options.Precision = options.PRECISION,
    llm_url: Optional[str] = LLM_URL,
    llm_model: Optional[str] = LLM_MODEL,
    llm_key_env: str = LLM_KEY_ENV,
    llm_timeout: float = LLM_TIMEOUT,
    llm_retries: int = LLM_RETRIES,
    as_json: bool = options.JSON,
) -> None:
    """DDPM inversion: real clips inverted and regenerated with an edited caption, optimised for CLAP."""
    from datagen.inversion import InversionConfig, InversionJob
    from engine.shard import parse_shard

    cfg = InversionConfig(captions, n, out, seed, parse_shard(shard), negative, trials, max_attempts,
                          llm_config(llm_url, llm_model, llm_key_env, llm_timeout, llm_retries), lenient, clips_dir=clips,
                          steps=steps, clip_s=clip_s, min_clip_s=min_clip_s)
    bundle, embedder = load_models(model, clap, device.value, precision.value)
    _run_job(InversionJob(cfg, bundle, embedder), cfg, captions, out, as_json)


@handle_errors
def merge(
    shards: list[Path] = typer.Argument(..., help="Shard folders made with --shard i/N."),
    out: Path = typer.Option(..., "--out", "-o", help="New dataset folder."),
    as_json: bool = options.JSON,
) -> None:
    """Join shard folders into one dataset; duplicate ids are refused."""
    from datagen.merge import merge as merge_shards

    report = merge_shards(shards, out)
    how = "hard-linked" if report.linked else "copied"
    if as_json:
        console.print_json({"out": str(out), "shards": report.shards, "kept": report.kept, "rejected": report.rejected, "audio": how})
    else:
        console.info(f"{out}: merged {report.shards} shards: {report.kept} samples ({report.rejected} rejections logged); audio {how}")


@handle_errors
def split(
    dataset: Path = typer.Argument(..., help="Dataset folder."),
    val: float = typer.Option(0.05, "--val", help="Share of samples for validation."),
    seed: int = SEED,
    force: bool = options.FORCE,
    as_json: bool = options.JSON,
) -> None:
    """Write train.jsonl and val.jsonl so that no source clip is on both sides."""
    from datagen.split import split as split_dataset

    r = split_dataset(dataset, val, seed, force)
    if as_json:
        console.print_json({"train": r.train, "val": r.val, "left_out": r.left_out, "val_clips": r.val_clips, "clips": r.clips})
        return
    share = r.val / max(1, r.train + r.val)
    console.info(f"{dataset}: train {r.train}, validation {r.val} ({share:.1%}, from {r.val_clips} of {r.clips} clips); "
                 f"{r.left_out} samples mixing clips from both sides left out")


gen_data.command("manual")(manual)
gen_data.command("p2p")(p2p)
gen_data.command("inversion")(inversion)
gen_data.command("merge")(merge)
gen_data.command("split")(split)


def register(app: typer.Typer) -> None:
    app.add_typer(gen_data, name="gen-data")
