#!/usr/bin/env bash
# The README's set-up on a fresh machine, proved: a fresh clone, a Python that
# refuses pip installs (PEP 668 "externally managed", as on Debian 12), then
#   1. `make demo` (checks: the edit's output measured, no torch installed),
#   2. `make test-fast` on a subset (TESTS below: the bad-input suite, what a new user meets first),
#   3. as root, `make demo` again as a normal user (nobody) with pip instead of
#      uv (SAO_USE_UV=0): the other install path.
# CI runs the whole suite through the same Makefile path (`make test` in .ci/run),
# so the subset here is the part that checks what a user meets first.
#
#   bash tests/fresh_setup.sh            # from a checkout; it clones HEAD (commit first)
#
# The Python: the system's python3 when its stdlib holds the EXTERNALLY-MANAGED
# marker; elsewhere a wrapper that refuses `-m pip install` the same way (a marker
# dropped into a venv would prove nothing: pip ignores it inside a venv).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
TESTS=${TESTS:-tests/test_bad_input.py}
work=$(mktemp -d "${TMPDIR:-/tmp}/sao-fresh.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

say() { printf '\n== %s\n' "$*" >&2; }
fail() { printf 'fresh_setup: FAILED: %s\n' "$*" >&2; exit 1; }

marked() {  # a base (non-venv) Python whose stdlib holds the marker
    "$1" -c 'import os, sys, sysconfig
sys.exit(not (sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))))' 2>/dev/null
}

managed_python() {
    for py in /usr/bin/python3 "$(command -v python3)"; do
        if [ -x "$py" ] && marked "$py"; then echo "$py"; return; fi
    done
    local real shim=$work/managed-python/python3
    real=$(command -v python3)
    mkdir -p "$(dirname "$shim")"
    cat > "$shim" <<EOF
#!/bin/sh
# python3 marked externally managed: \`-m pip install\` is refused, as PEP 668 has it.
if [ "\$1 \$2 \$3" = "-m pip install" ]; then
    echo "error: externally-managed-environment (fresh_setup.sh's stand-in for PEP 668)" >&2
    exit 1
fi
exec "$real" "\$@"
EOF
    chmod 755 "$shim"
    echo "$shim"
}

seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f", b - a }'; }

check_demo() {  # CLONE: the demo's output measured, and nothing but the base package
    local clone=$1
    "$clone/.venv/bin/python" - "$clone" <<'EOF' || fail "make demo's result is wrong"
import importlib.util, sys
import soundfile as sf
clone = sys.argv[1]
src = sf.info(f"{clone}/examples/kitchen_scene.wav")
out = sf.info(f"{clone}/examples/kitchen_scene.telephone.wav")
assert abs(out.duration - (src.duration - 0.5)) < 0.01, (src.duration, out.duration)  # "trim the first half second"
assert out.samplerate == src.samplerate and out.channels == src.channels
heavy = [m for m in ("torch", "diffusers", "lightning") if importlib.util.find_spec(m)]
assert not heavy, f"make demo installed {heavy}: it is to install the base package only"
print(f"demo output {out.duration:.2f} s from {src.duration:.2f} s; no torch, diffusers or Lightning", file=sys.stderr)
EOF
}

PY=$(managed_python)
say "Python: $PY"
if "$PY" -m pip --version >/dev/null 2>&1 || [ "${PY#"$work"}" != "$PY" ]; then
    refusal=$("$PY" -m pip install --dry-run -q sao-fresh-setup-probe 2>&1 || true)
    if [[ $refusal == *externally-managed* ]]; then
        echo "it refuses pip installs (externally-managed-environment), as the old Makefile met it" >&2
    else
        fail "$PY accepts pip installs: not an externally managed Python"
    fi
fi

say "fresh clone, make demo"
git clone -q "$repo" "$work/sao"
start=$(seconds)
make -s -C "$work/sao" demo PYTHON="$PY" >/dev/null || fail "make demo"
echo "make demo: $(elapsed "$start") s (from a fresh clone)" >&2
check_demo "$work/sao"
(cd / && ! "$PY" -c "import sao_cli" 2>/dev/null) || fail "sao leaked into $PY"

say "make test-fast ($TESTS)"
start=$(seconds)
make -s -C "$work/sao" test-fast PYTHON="$PY" TESTS="$TESTS" || fail "make test-fast"
echo "make test-fast: $(elapsed "$start") s, extras installed and the subset run" >&2

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    say "as a normal user (nobody), with pip: make demo"
    user_home=$work/home
    mkdir -p "$user_home"
    git clone -q "$repo" "$work/sao-user"
    chown -R nobody: "$work/sao-user" "$user_home"
    start=$(seconds)
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        env HOME="$user_home" SAO_USE_UV=0 make -s -C "$work/sao-user" demo PYTHON="$PY" >/dev/null || fail "make demo as nobody"
    echo "make demo as nobody with pip: $(elapsed "$start") s" >&2
    check_demo "$work/sao-user"
fi
say "fresh set-up: OK"
