"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum

import typer


class Engine(str, Enum):
    auto = "auto"
    dsp = "dsp"
    neural = "neural"


class Clip(str, Enum):
    limit = "limit"
    allow = "allow"
    error = "error"


ENGINE = typer.Option(Engine.auto, "--engine", help="auto: DSP where exact, the model for the rest; dsp: signal processing only; neural: the whole instruction to the model.")
FORCE = typer.Option(False, "--force", "-f", help="Overwrite an existing output (or the input itself).")
JSON = typer.Option(False, "--json", help="Print the result as JSON on stdout.")
SR = typer.Option(None, "--sr", help="Output sample rate in Hz (default: the input's).")
CHANNELS = typer.Option(None, "--channels", help="Output channel count (default: the input's).")
BITS = typer.Option(None, "--bits", help="Output bit depth: 8, 16, 24 or 32 (float). Default: the input's. Reducing it dithers (TPDF).")
CLIP = typer.Option(Clip.limit, "--clip", help="What to do when an integer output would clip: limit to -0.1 dBFS true peak (default), allow, or error.")
NO_SIDECAR = typer.Option(False, "--no-sidecar", help="Do not write OUT.sao.json.")
SIDECAR = typer.Option(None, "--sidecar", help="Write the sidecar here (needed to get one with -o -).")
DOWNMIX = typer.Option(False, "--downmix", help="Fold a surround input (5.1, 7.1, ...) down to stereo first (ITU-R BS.775, by the WAV channel mask); the neural engine needs it for more than two channels.")
ALLOW_TRUNCATED = typer.Option(False, "--allow-truncated", help="Edit what a truncated file holds (its header promises more frames than it has), with a warning, instead of refusing it (exit 3).")


class Device(str, Enum):
    auto = "auto"
    cuda = "cuda"
    mps = "mps"
    cpu = "cpu"


class Precision(str, Enum):
    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"


# Neural edits (SAO-Instruct). The model loads only when a step needs it.
MODEL = typer.Option(None, "--model", help="The SAO-Instruct model: a folder, a stable-audio-tools checkpoint or a name. Default: $SAO_MODEL, else sao-instruct.")
STEPS = typer.Option(100, "--steps", min=1, help="Diffusion steps per neural edit: fewer is faster, more is cleaner.")
CFG = typer.Option(5.0, "--cfg", min=0.0, help="How closely a neural edit follows the instruction (classifier-free guidance; 1 = none).")
STRENGTH = typer.Option(4.0, "--strength", help="How far a neural edit may move from the input: the starting noise level, useful from about 2 to 6; near 0 keeps the input (as the VAE renders it).")
SEED = typer.Option(None, "--seed", min=0, help="Seed for neural edits: the same seed gives the same file. Default: drawn, printed and recorded in the sidecar.")
DEVICE = typer.Option(Device.auto, "--device", help="Where the model runs; auto: cuda, else mps, else cpu.")
PRECISION = typer.Option(Precision.fp32, "--precision", help="The model's number format; bf16 and fp16 are faster on GPUs.")
WINDOW = typer.Option(None, "--window", min=1.0, help="Seconds per model window for audio longer than it (default: the model's, about 47.5 s); shorter needs less memory.")
MATCH_LOUDNESS = typer.Option(False, "--match-loudness", help="Bring a neural edit to the input's loudness (unless the words ask for a level change). Default: keep the model's level, so a removal stays quieter; a region edit is levelled on its context.")
BATCH_SIZE = typer.Option(1, "--batch-size", min=1, help="Edit this many equal-length clips together in one model batch (faster on GPUs, more memory).")

# After writing.
PLAY = typer.Option(False, "--play", help="Play the result when it is written (not with -o -).")
PLOT = typer.Option(False, "--plot", help="Also draw the input and the result, and their difference, as a PNG: <output stem>.png beside the output.")
PLOT_FILE = typer.Option(None, "--plot-file", help="Write the --plot PNG here instead (implies --plot).")
SERVER = typer.Option("auto", "--server", help="auto: send the edit to a running `sao serve` when it serves the same model, else run it here; off: always run it here; PATH: the server on that socket (exit 9 if none runs there).")


# Who writes the plan (engine.llm.planner; docs/planner.md, "The language-model planner").
class Planner(str, Enum):
    rules = "rules"
    llm = "llm"
    auto = "auto"


PLANNER = typer.Option(Planner.rules, "--planner", envvar="SAO_PLANNER", help="rules: sao's own planner, offline (default); llm: a language model plans the whole instruction; auto: the rules first, the language model only for what they cannot read. The model: SAO_LLM_URL, SAO_LLM_MODEL, SAO_LLM_KEY_ENV.")
NO_CACHE = typer.Option(False, "--no-cache", help="With --planner llm or auto: ask the language model afresh, neither reading nor writing its cached answers ($SAO_CACHE/planner/).")
