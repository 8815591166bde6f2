"""The real requests of phrasing_check.py planned with `--planner auto`, against the rules alone, in one run.

    SAO_LLM_URL=http://localhost:8080/v1 SAO_LLM_MODEL=qwen2.5-7b-instruct python3 bench/planner_llm.py [--field text]

Runs ../shared/benchmarks/phrasing_check.py twice: as it is (`--planner rules`,
the reference) and with SAO_PLANNER=auto, so the language model gets only the
clauses the rules cannot read. Prints both sets of scores (route and op, per
field) and each run's seconds. Needs an OpenAI-compatible endpoint in SAO_LLM_URL
and SAO_LLM_MODEL (and the key's variable, SAO_LLM_KEY_ENV, for a hosted one);
without one it says so and exits 2. The model's answers are cached as usual;
--fresh plans with an empty cache, so every unread clause is asked again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = REPO.parent / "shared" / "benchmarks" / "phrasing_check.py"


def scores(check: Path, sao: str, field: str, env: dict) -> tuple[str, float]:
    """phrasing_check's printed scores, and the seconds the run took."""
    started = time.perf_counter()
    p = subprocess.run([sys.executable, str(check), "--sao", sao, "--field", field], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"{check} failed:\n{p.stderr}")
    return p.stdout.strip(), time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", type=Path, default=CHECK, help="phrasing_check.py (it reads real_requests.jsonl beside it)")
    ap.add_argument("--sao", default=shutil.which("sao") or "sao")
    ap.add_argument("--field", choices=["text", "imperative", "both"], default="both")
    ap.add_argument("--fresh", action="store_true", help="plan with an empty planner cache")
    a = ap.parse_args()
    if not (os.environ.get("SAO_LLM_URL") and os.environ.get("SAO_LLM_MODEL")):
        print("no language model configured: set SAO_LLM_URL (an OpenAI-compatible API base) and SAO_LLM_MODEL", file=sys.stderr)
        return 2
    if not a.check.exists():
        print(f"{a.check}: not found (pass --check PATH)", file=sys.stderr)
        return 2
    rules_env = {k: v for k, v in os.environ.items() if k != "SAO_PLANNER"}
    with tempfile.TemporaryDirectory() as cache:
        auto_env = dict(rules_env, SAO_PLANNER="auto", **({"SAO_CACHE": cache} if a.fresh else {}))
        print(f"model {os.environ['SAO_LLM_MODEL']} at {os.environ['SAO_LLM_URL']}; {a.check}")
        for name, env in (("rules", rules_env), ("auto", auto_env)):
            out, seconds = scores(a.check, a.sao, a.field, env)
            print(f"\n--planner {name} ({seconds:.1f} s)\n{out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
