"""Every module a target imports must be a dependency it declares in Package.swift.

SwiftPM's `--explicit-target-dependency-import-check error` only refuses imports of
targets outside a target's *recursive* dependencies, so an import that builds through
transitive visibility (Bucket importing HTTP through AWS) passes it. This check reads
`swift package dump-package` and each target's sources and refuses any import of a
package target or product that the importing target does not list directly.

Usage: check_imports.py PACKAGE_JSON ROOT   (PACKAGE_JSON from `swift package dump-package`)
Exits 1 and prints one line per undeclared import.
"""
import json
import os
import re
import sys

IMPORT = re.compile(
    r"^\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+|internal\s+|public\s+|private\s+|package\s+)*"
    r"import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\.[A-Za-z0-9_.]+)?\s*(?://.*)?$")
KEYWORDS = {"struct", "class", "enum", "protocol", "func", "var", "let", "typealias"}


def module_name(target_name):
    return target_name.replace("-", "_")


def declared(target):
    names = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(module_name(dependency[kind][0]))
    return names


def source_dir(root, target):
    if target.get("path"):
        return os.path.join(root, target["path"])
    folder = "Tests" if target["type"] == "test" else "Sources"
    return os.path.join(root, folder, target["name"])


def imports_in(folder, excluded):
    """(module, file, line) for every Swift import under `folder`, outside string literals."""
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if os.path.join(directory, d) not in excluded]
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            in_string = False
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if line.count('"""') % 2 == 1:
                        in_string = not in_string
                        continue
                    match = None if in_string else IMPORT.match(line)
                    if match and match.group(1) not in KEYWORDS:
                        yield match.group(1), path, number


def problems(package, root):
    targets = [t for t in package["targets"] if t["type"] in ("regular", "executable", "test")]
    products = set()
    for t in package["targets"]:
        for dependency in t.get("dependencies", []):
            if "product" in dependency:
                products.add(module_name(dependency["product"][0]))
    known = {module_name(t["name"]) for t in package["targets"]} | products
    found = []
    for target in targets:
        folder = source_dir(root, target)
        excluded = {os.path.join(folder, e) for e in target.get("exclude", [])}
        allowed = declared(target) | {module_name(target["name"])}
        for module, path, number in imports_in(folder, excluded):
            if module in known and module not in allowed:
                found.append(f"{os.path.relpath(path, root)}:{number}: target {target['name']} imports {module} "
                             f"but does not declare it in Package.swift: add \"{module}\" to its dependencies")
    return found


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as handle:
        package = json.load(handle)
    found = problems(package, sys.argv[2])
    for line in found:
        print(line)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
