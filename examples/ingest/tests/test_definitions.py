"""The state machine definition and the Glue schema agree with the code and templates."""

import json
import re
import unittest

import support
from curate_events import CURATED_COLUMNS
from events import RAW_COLUMNS, raw_record

ASL = support.ROOT / "statemachine" / "curate.asl.json"


def targets(state: dict) -> set[str]:
    found = {state[key] for key in ("Next", "Default") if key in state}
    found |= {c["Next"] for c in state.get("Catch", [])}
    found |= {c["Next"] for c in state.get("Choices", [])}
    return found


class StateMachineTests(unittest.TestCase):
    def setUp(self):
        self.definition = json.loads(ASL.read_text())
        self.states = self.definition["States"]

    def test_every_transition_goes_to_a_state_and_every_state_is_reached(self):
        self.assertIn(self.definition["StartAt"], self.states)
        reached, todo = set(), [self.definition["StartAt"]]
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            reached.add(name)
            for target in targets(self.states[name]):
                self.assertIn(target, self.states, f"{name} goes to unknown state {target}")
                todo.append(target)
        self.assertEqual(reached, set(self.states), "unreachable states")

    def test_only_succeed_and_fail_states_end(self):
        for name, state in self.states.items():
            with self.subTest(state=name):
                if state["Type"] in ("Succeed", "Fail"):
                    self.assertEqual(targets(state), set())
                else:
                    self.assertTrue(targets(state) or state.get("End"), f"{name} leads nowhere")

    def test_tasks_catch_every_error(self):
        for name, state in self.states.items():
            if state["Type"] == "Task":
                with self.subTest(state=name):
                    self.assertIn(["States.ALL"], [c["ErrorEquals"] for c in state.get("Catch", [])])

    def test_every_placeholder_is_substituted_by_the_template(self):
        placeholders = set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))
        lines = support.block("processing.yaml", "CurateStateMachine", "DefinitionSubstitutions")
        substituted = {line.split(":")[0].strip() for line in lines if line.strip()}
        self.assertTrue(placeholders)
        self.assertEqual(placeholders, substituted)


class SchemaTests(unittest.TestCase):
    def test_collector_records_match_the_glue_table_firehose_converts_with(self):
        lines = support.block("lake.yaml", "RawEventsTable", "Columns")
        names = [m.group(1) for m in map(re.compile(r"\s*- Name: (\S+)").match, lines) if m]
        kinds = [m.group(1) for m in map(re.compile(r"\s*Type: (\S+)").match, lines) if m]
        self.assertEqual(list(zip(names, kinds)), list(RAW_COLUMNS))
        record = raw_record({"id": "evt-00000001", "type": "t", "source": "s", "occurredAt": 1000}, 2000)
        self.assertEqual(list(record), [name for name, _ in RAW_COLUMNS])

    def test_curated_partitions_are_curated_columns(self):
        from curate_events import PARTITION_COLUMNS
        self.assertTrue(set(PARTITION_COLUMNS) <= {name for name, _ in CURATED_COLUMNS})


if __name__ == "__main__":
    unittest.main()
