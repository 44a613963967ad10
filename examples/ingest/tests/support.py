"""Paths of the example, the Lambda and Glue sources on sys.path (as their runtimes have
them), and a small reader for indented blocks of the templates (the standard library has
no YAML parser, and CloudFormation's short tags would need one that knows them)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT / "src" / "collector", ROOT / "glue"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def block(template: str, *path: str) -> list[str]:
    """The lines nested under a key path of a template, e.g. ("RawEventsTable", "Columns")."""
    lines = (ROOT / template).read_text().splitlines()
    for key in path:
        pattern = re.compile(rf"^\s*(- )?{re.escape(key)}:")
        number = next((n for n, line in enumerate(lines) if pattern.match(line)), None)
        if number is None:
            raise AssertionError(f"{template}: no key {'/'.join(path)}")
        indent = len(lines[number]) - len(lines[number].lstrip())
        nested = []
        for line in lines[number + 1:]:
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            nested.append(line)
        lines = nested
    return lines
