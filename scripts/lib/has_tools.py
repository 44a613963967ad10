"""Prints "yes" when this Python has the pinned moto, awscli and cfn-lint (scripts/lib/common.sh)."""
import sys
from importlib.metadata import version
want = {"moto": sys.argv[1], "awscli": sys.argv[2], "cfn-lint": sys.argv[3]}
try:
    ok = all(version(k) == v for k, v in want.items())
    import flask, flask_cors  # noqa: F401  (moto[server] extras)
except Exception:
    ok = False
print("yes" if ok else "no")
