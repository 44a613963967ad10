"""Shows that check_imports.py refuses an undeclared import (and only that).

Run: python3 scripts/checks/test_check_imports.py (scripts/test runs it).
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_imports  # noqa: E402


def package(dependencies):
    return {"targets": [
        {"name": "Low", "type": "regular", "dependencies": []},
        {"name": "Mid", "type": "regular", "dependencies": [{"byName": ["Low", None]}]},
        {"name": "Top", "type": "regular", "dependencies": dependencies},
    ]}


class CheckImportsTests(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="ferry-imports-")
        for name in ("Low", "Mid", "Top"):
            os.makedirs(os.path.join(self.root, "Sources", name))
        self.write("Top", "import Foundation\nimport Mid\nimport Low\n"
                   "let script = \"\"\"\nimport Secret\n\"\"\"\n")

    def write(self, target, text):
        with open(os.path.join(self.root, "Sources", target, "File.swift"), "w", encoding="utf-8") as handle:
            handle.write(text)

    def test_a_transitive_import_that_is_not_declared_is_refused(self):
        found = check_imports.problems(package([{"byName": ["Mid", None]}]), self.root)
        self.assertEqual(len(found), 1)
        self.assertIn("target Top imports Low but does not declare it", found[0])

    def test_declaring_it_passes_and_strings_and_system_modules_are_ignored(self):
        found = check_imports.problems(package([{"byName": ["Mid", None]}, {"target": ["Low", None]}]), self.root)
        self.assertEqual(found, [])


if __name__ == "__main__":
    unittest.main()
