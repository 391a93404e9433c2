"""proc_watch.py - runs a command and says how many threads and cores it used.

  python3 tests/bench/proc_watch.py OUT.json COMMAND [ARGS...]

The command's standard output and error pass through. Meanwhile its /proc entry is read
every 0.25 s; at the end OUT.json gets one JSON object: wall_s, cpu_s (user + system,
every thread), cores_mean (cpu_s / wall_s), cores_peak (the most CPU seconds per second
over any window of 1 to 2 s: whether the process keeps several cores busy at once), max_threads.
The exit status is the command's. Standard library only (Linux /proc).
"""
import json
import os
import resource
import subprocess
import sys
import time


def sample(pid, tick):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        with open("/proc/%d/status" % pid) as f:
            threads = next(int(ln.split()[1]) for ln in f if ln.startswith("Threads:"))
        return cpu, threads
    except (OSError, StopIteration, IndexError, ValueError):
        return None


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    tick = os.sysconf("SC_CLK_TCK")
    t0 = time.monotonic()
    child = subprocess.Popen(cmd)
    samples, max_threads = [], 0
    while child.poll() is None:
        s = sample(child.pid, tick)
        if s:
            samples.append((time.monotonic(), s[0]))
            max_threads = max(max_threads, s[1])
        time.sleep(0.25)
    wall = time.monotonic() - t0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r.ru_utime + r.ru_stime
    peak, j = 0.0, 0
    for i in range(len(samples)):
        while samples[i][0] - samples[j][0] > 2.0:
            j += 1
        if samples[i][0] - samples[j][0] >= 1.0:
            peak = max(peak, (samples[i][1] - samples[j][1]) / (samples[i][0] - samples[j][0]))
    with open(out, "w") as f:
        json.dump({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                   "cores_mean": round(cpu / wall, 2) if wall > 0 else 0,
                   "cores_peak": round(peak, 2), "max_threads": max_threads}, f)
        f.write("\n")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
