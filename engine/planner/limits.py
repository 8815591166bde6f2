"""Values out of an operation's range are refused when the plan is made, never clamped.

"make it 900 dB louder", "loop it 100000 times", "low pass at 0 Hz": the words
were read, but no operation can do what they ask, so the plan is refused
(engine.errors.Refused, exit 5) with the range named. One check serves every
rule: after the rules have planned the steps, each parameter is compared with
its operation's range, so a rule passes the user's number through as it is.

The ranges are the operation registry's own (`Param.min` / `Param.max`), copied
into op_ranges.py because the registry needs numpy and the planner must not.
`python3 -m engine.planner.limits` rewrites that file from the registry;
tests/test_planner_numbers.py fails while the two differ. Limits that depend on
the file (a filter above its Nyquist frequency, a region past its end) are
checked when the plan runs (engine.render).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Refused
from ..plan import Step
from .op_ranges import RANGES

_UNITS = (("_db", " dB"), ("_hz", " Hz"), ("_s", " s"), ("semitones", " semitones"), ("lufs", " LUFS"), ("db", " dB"), ("hz", " Hz"))
HINT = "`sao ops` lists every operation with the range of each parameter"


def _unit(name: str) -> str:
    return next((unit for end, unit in _UNITS if name.endswith(end)), "")


def check_ranges(steps: list[Step]) -> None:
    """Refused for the first parameter outside its operation's range."""
    for s in steps:
        for name, value in s.params.items():
            lo_hi = RANGES.get(s.op, {}).get(name)
            if s.engine != "dsp" or lo_hi is None or not isinstance(value, (int, float)):
                continue
            lo, hi = lo_hi
            if not lo <= value <= hi:
                unit = _unit(name)
                words = f'"{s.text}"' if s.text else f"the step {s.op}"
                raise Refused(f"{words} asks for {s.op} {name} = {value:g}{unit}, and {s.op} takes {lo:g} to {hi:g}{unit}", hint=HINT)


def registry_ranges() -> dict[str, dict[str, tuple[float, float]]]:
    """The ranges as the registry has them (imports every operation, so numpy)."""
    from ..ops import all_operations

    return {op.name: {p.name: (float(p.min), float(p.max)) for p in op.params if p.min is not None and p.max is not None}
            for op in all_operations() if any(p.min is not None and p.max is not None for p in op.params)}


def write_table(path: Path = Path(__file__).with_name("op_ranges.py")) -> None:
    lines = ['"""Each operation\'s parameter ranges, from the registry: written by `python3 -m engine.planner.limits`, do not edit."""',
             "", "RANGES: dict[str, dict[str, tuple[float, float]]] = {"]
    for op, params in sorted(registry_ranges().items()):
        inner = ", ".join(f'"{name}": ({lo!r}, {hi!r})' for name, (lo, hi) in params.items())
        lines.append(f'    "{op}": {{{inner}}},')
    path.write_text("\n".join([*lines, "}", ""]))


if __name__ == "__main__":
    write_table()
