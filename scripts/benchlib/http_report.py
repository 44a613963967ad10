"""Turns scripts/bench-http's measurements into its Markdown report."""
import sys
import benchlib
rows = [line.split() for line in open(sys.argv[1])]
size, count, runs, json_path, started = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
def values(tool, what):
    return [float(r[2]) for r in rows if r[0] == tool and r[1] == what]
out = ["Ferry's HTTP client (`ferry-bench http`, libcurl underneath) against the `curl` command on the same "
       "transfers from a local nginx on 127.0.0.1, alternating; %s runs. Ratio here is Ferry / curl "
       "(below 1: Ferry is faster)." % runs, "",
       "| transfer | Ferry (s) | curl (s) | Ferry / curl |", "|---|---:|---:|---:|"]
targets, worst = [], 0
for what, label in (("get", f"GET {size} MB to a file (Ferry also SHA-256s it)"), ("put", f"PUT {size} MB from a file"),
                    ("small", f"{count} small GETs, one kept-alive connection")):
    f, c = values("ferry", what), values("curl", what)
    r = benchlib.median(f) / benchlib.median(c)
    worst = max(worst, r)
    out.append(f"| {label} | {benchlib.cell(f)} | {benchlib.cell(c)} | {r:.2f} |")
    if what == "get":
        hashed = [a + b for a, b in zip(c, values("curl", "hash"))]
        out.append(f"| the same GET, curl then `openssl dgst -sha256` of the file (the hash Ferry does on the way) | "
                   f"{benchlib.cell(f)} | {benchlib.cell(hashed)} | {benchlib.median(f) / benchlib.median(hashed):.2f} |")
connections = max(int(float(r[2])) for r in rows if r[0] == "ferry" and r[1] == "connections")
out.append(f"\nFerry opened {connections} connection(s) for {count} small GETs (most in any run).")
targets.append(benchlib.target("HTTP: within 1.2x of curl", f"worst transfer: Ferry / curl = {worst:.2f}", worst <= 1.2))
benchlib.write_result(json_path, "http", "HTTP client against curl (scripts/bench-http)", "\n".join(out), targets, started)
