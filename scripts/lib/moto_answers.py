"""Exits 0 when the moto server on port ARGV[1] answers (scripts/moto)."""
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json", timeout=1).read()
except Exception:
    sys.exit(1)
