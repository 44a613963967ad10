"""Turns scripts/bench-status's measurements into its Markdown report."""
import sys
import benchlib
rows = [line.split() for line in open(sys.argv[1])]
silos, runs, json_path, started = sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
order = []
for row in rows:
    if (row[0], row[1]) not in order: order.append((row[0], row[1]))
def column(server, what, index):
    return [float(r[index]) for r in rows if r[0] == server and r[1] == what]
out = [f"List + GET {silos} silo reports, the whole `ferry status` command against boto3 (32 threads, list + GETs "
       f"only, no table), {runs} runs alternating. On moto the server is the bottleneck (its CPU per run is shown; one "
       "Python process, one request at a time, no keep-alive); on nginx, serving the same bytes as static files, "
       "the time is the client's own. Ratio: boto3 / Ferry.", "",
       "| server | client | wall (s) | client CPU (s) | moto CPU (s) | reports / s | boto3 / Ferry |",
       "|---|---|---:|---:|---:|---:|---:|"]
for server, what in order:
    wall = column(server, what, 2)
    label = "boto3, 32 threads (reference)" if what == "boto3" else \
        f"`ferry status`, read width {what}" + (" (default)" if what == "32" else "")
    moto_cpu = "%.2f" % benchlib.median(column(server, what, 3)) if server == "moto" else "-"
    ratio = "" if what == "boto3" or not column(server, "boto3", 2) else \
        "%.1fx" % benchlib.ratio(column(server, "boto3", 2), wall)
    out.append(f"| {server} | {label} | {benchlib.cell(wall, '%.2f')} | {benchlib.median(column(server, what, 4)):.2f} "
               f"| {moto_cpu} | {int(silos) / benchlib.median(wall):,.0f} | {ratio} |")
moto = benchlib.median(column("moto", "32", 2))
moto_cpu = benchlib.median(column("moto", "32", 3))
nginx = benchlib.median(column("nginx", "32", 2))
targets = [
    benchlib.target(f"`ferry status` over {silos} reports under 2 s, on moto",
                    f"{moto:.2f} s (moto's own CPU {moto_cpu:.2f} s of it)", moto < 2),
    benchlib.target(f"`ferry status` over {silos} reports under 2 s, Ferry's own cost (nginx)", f"{nginx:.2f} s", nginx < 2),
]
benchlib.write_result(json_path, "status", "`ferry status` over many silos (scripts/bench-status)", "\n".join(out),
                      targets, started)
