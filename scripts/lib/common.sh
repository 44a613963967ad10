# Shared by the scripts: where things are, and the Python tools Ferry tests against.
# Sourced, not run.

FERRY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FERRY_RUN="$FERRY_ROOT/.ferry-run"          # pids, logs, ports of what the scripts start (gitignored)

# Pinned versions of the Python tools (emulator and references).
MOTO_VERSION=5.2.1
AWSCLI_VERSION=1.45.11
CFNLINT_VERSION=1.51.0
# A real OpenMetrics parser for the metrics tests (installed beside the tools above).
PROMETHEUS_CLIENT_VERSION=0.26.0
# The Python linter scripts/test runs on every .py file (ruff, pyflakes' rules: F), in a
# venv of its own.
RUFF_VERSION=0.17.5
FERRY_LINT_VENV="${FERRY_LINT_VENV:-$HOME/.cache/ferry/lint-venv}"

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
    "$1" "$FERRY_ROOT/scripts/lib/has_tools.py" "$MOTO_VERSION" "$AWSCLI_VERSION" "$CFNLINT_VERSION" 2>/dev/null
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

# Sets and exports FERRY_BENCH_BIN: as given, or `ferry-bench` (the benchmark drivers,
# not part of the product) built the same way as ferry_release_bin's ferry, beside it.
ferry_bench_bin() {
    if [ -z "${FERRY_BENCH_BIN:-}" ]; then
        say "building ferry-bench (release, --static-swift-stdlib, in .build-static)"
        swift build -c release --static-swift-stdlib --product ferry-bench --scratch-path "$FERRY_ROOT/.build-static" >&2
        FERRY_BENCH_BIN="$FERRY_ROOT/.build-static/release/ferry-bench"
    fi
    export FERRY_BENCH_BIN
}

# Lints every Python file of the repo with ruff's pyflakes rules (F); fails on a finding.
ferry_lint_python() {
    local files
    mapfile -t files < <(cd "$FERRY_ROOT" && git ls-files --cached --others --exclude-standard '*.py')
    (cd "$FERRY_ROOT" && "$FERRY_LINT_VENV/bin/ruff" check --isolated --no-cache --select F --output-format concise \
        "${files[@]}")
}
