# Shared by the scripts: where things are, and the Python tools Ferry tests against.
# Sourced, not run.

FERRY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRY_RUN="$FERRY_ROOT/.ferry-run"          # pids, logs, ports of what the scripts start (gitignored)

# Pinned versions of the Python tools (emulator and references).
MOTO_VERSION=5.2.1
AWSCLI_VERSION=1.45.11
CFNLINT_VERSION=1.51.0

# The Python that has the pinned tools: the system one if it already has them,
# else a private virtual environment that scripts/setup creates.
FERRY_VENV="${FERRY_VENV:-$HOME/.cache/ferry/venv}"

ferry_python() {
    if [ -x "$FERRY_VENV/bin/python" ]; then
        echo "$FERRY_VENV/bin/python"
    else
        command -v python3
    fi
}

# Prints "yes" when the given Python has the pinned tools.
ferry_python_has_tools() {
    "$1" - "$MOTO_VERSION" "$AWSCLI_VERSION" "$CFNLINT_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version, PackageNotFoundError
want = {"moto": sys.argv[1], "awscli": sys.argv[2], "cfn-lint": sys.argv[3]}
try:
    ok = all(version(k) == v for k, v in want.items())
    import flask, flask_cors  # moto[server] extras
except Exception:
    ok = False
print("yes" if ok else "no")
PY
}

# The bin folder of that Python (aws, cfn-lint live beside it).
ferry_python_bin() {
    "$(ferry_python)" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'
}

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

# Sets and exports FERRY_BIN: as given, or the release build the benchmarks measure
# (--static-swift-stdlib, as ferry is distributed, in .build-static), built when needed.
ferry_release_bin() {
    if [ -z "${FERRY_BIN:-}" ]; then
        say "building ferry (release, --static-swift-stdlib, in .build-static)"
        swift build -c release --static-swift-stdlib --product ferry --scratch-path "$FERRY_ROOT/.build-static" >&2
        FERRY_BIN="$FERRY_ROOT/.build-static/release/ferry"
    fi
    export FERRY_BIN
}
