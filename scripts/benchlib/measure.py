"""Runs one command and prints "wall_s cpu_ms maxrss_kb exit" from its rusage (scripts/bench-agent)."""
import sys
import benchlib
wall, cpu, rss, status = benchlib.measure(sys.argv[1:])
print(f"{wall:.4f} {cpu * 1000:.2f} {rss} {status}")
