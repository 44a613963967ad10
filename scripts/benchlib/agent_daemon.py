"""The daemon's idle tick: CPU, requests and memory of `ferry agent run` over a window (scripts/bench-agent)."""
import json, os, subprocess, sys, time, urllib.request
import benchlib
ferry, work, seconds, proxy, args = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5:]
args = [a for a in args if a not in ("--log-level", "warning")]
args[1] = "run"
log = open(os.path.join(work, "run.log"), "w")
child = subprocess.Popen([ferry] + args + ["--state-dir", os.path.join(work, "idle"), "--stack-prefix", "idle-",
                                           "--interval", "0.2s", "--log-level", "debug", "--endpoint-url", proxy],
                         stdout=subprocess.DEVNULL, stderr=log)
def ticks():
    return open(os.path.join(work, "run.log")).read().count("idle: nothing changed")
def requests():
    return len(json.load(urllib.request.urlopen(proxy + "/__log__")))
time.sleep(1)
cpu0, ticks0, requests0 = benchlib.process_cpu(child.pid), ticks(), requests()
time.sleep(seconds)
cpu1, ticks1, requests1 = benchlib.process_cpu(child.pid), ticks(), requests()
hwm = benchlib.process_status_kib(child.pid, "VmHWM")
anonymous = benchlib.process_rollup_kib(child.pid, "Anonymous")
child.terminate(); child.wait()
count = max(ticks1 - ticks0, 1)
print(f"daemon {(cpu1 - cpu0) * 1000 / count:.3f} {ticks1 - ticks0} {hwm} 0 {(requests1 - requests0) / count:.3f} {anonymous}")
