"""Parses an OpenMetrics text file with prometheus-client's parser (a real one, not Ferry's)
and prints its families as JSON: {name: {"type": ..., "unit": ..., "samples": [[name, labels, value], ...]}}.
Exits 1 with the parser's message when the text is not valid OpenMetrics."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read() if sys.argv[1] != "-" else sys.stdin.read()
try:
    families = {
        family.name: {
            "type": family.type,
            "unit": family.unit,
            "help": family.documentation,
            "samples": [[s.name, s.labels, s.value] for s in family.samples],
        }
        for family in text_string_to_metric_families(text)
    }
except Exception as error:  # the parser raises ValueError and others on bad input
    print(f"not valid OpenMetrics: {error}", file=sys.stderr)
    sys.exit(1)
json.dump(families, sys.stdout, sort_keys=True)
