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
