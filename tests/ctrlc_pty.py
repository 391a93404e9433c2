"""Ctrl-C from a terminal, as test_train_ctrlc.sh runs it: python3 ctrlc_pty.py BUILD SCRATCH.

clrnn-train runs in its own session on a pseudo-terminal (its stdout, stderr and stdin), so
it is the foreground process group there, as a command typed into a shell is. SIGINT then
reaches the whole group, the guarding parent and the worker alike: written as ^C into the
terminal (the line discipline sends it, as a key press does) or sent with killpg to
tcgetpgrp() (as a shell's job control does). Each run is interrupted at one moment drawn at
random, or aimed at a checkpoint write (its temporary file seen) or at the validation after
an epoch's last batch; some get a second Ctrl-C ("stop now"). Every run must exit 130,
leave a model that clrnn-info loads (--out, or the last checkpoint after a second Ctrl-C),
no temporary file, the history and the plot, and its message on a line of its own.
"""
import os
import random
import re
import signal
import subprocess
import sys
import time

import pty_session
from pty_session import read_some

build, scratch = sys.argv[1], sys.argv[2]
runs = int(os.environ.get("CLRNN_CTRLC_RUNS", "20"))
rng = random.Random(int(os.environ.get("CLRNN_CTRLC_SEED", "22")))
failures = []


def tool(name, *args):
    return subprocess.run([os.path.join(build, name), *args], capture_output=True, text=True)


data = os.path.join(scratch, "reber.h5")
made = tool("clrnn-data", "reber", "--out", data, "--samples", "400", "--test-samples", "10",
            "--seed", "3")
if made.returncode:
    sys.exit("clrnn-data failed: " + made.stderr)


def start(run_dir):
    return pty_session.start([
        os.path.join(build, "clrnn-train"),
        # wide dense layers: checkpoints of about 1 MB, so that writing one takes a while
        "--layers", "lstm(8) dense(384,relu) dense(384,relu) dense(1,sigmoid)",
        "--data", data, "--epochs", "400", "--batch-size", "32", "--validation-split", "0.25",
        "--seed", "5", "--checkpoint", os.path.join(run_dir, "ck.h5"),
        "--history", os.path.join(run_dir, "history.csv"),
        "--plot", os.path.join(run_dir, "plot.svg"), "--out", os.path.join(run_dir, "m.h5")])


def ctrl_c(master, how):
    if how == "key":
        os.write(master, b"\x03")
    else:
        os.killpg(os.tcgetpgrp(master), signal.SIGINT)


def tmp_files(run_dir):
    return [f for f in os.listdir(run_dir) if ".tmp" in f]


def one_run(i, aim, how, twice):
    run_dir = os.path.join(scratch, "run%02d" % i)
    os.mkdir(run_dir)
    proc, master = start(run_dir)
    out = bytearray()
    what = "run %d (%s, %s%s)" % (i, aim, how, ", twice" if twice else "")
    # training has begun when the first progress bar shows; then the moment is drawn
    deadline = time.time() + 60
    # (a second Ctrl-C must leave the last checkpoint: wait for the first one)
    checkpoint = os.path.join(run_dir, "ck.h5")
    while (b"] - ETA" not in out or (twice and not os.path.exists(checkpoint))) and \
            time.time() < deadline and proc.poll() is None:
        read_some(master, out, 0.05)
    began = time.time()
    delay = rng.uniform(0, 1.5) if aim == "random" else 0
    fire_at = time.time() + delay
    fired = 0.0
    while proc.poll() is None and time.time() < deadline and not fired:
        if aim == "checkpoint" and tmp_files(run_dir):
            fired = time.time()
        elif aim == "validation" and re.search(rb"(\d+)/\1 \[=+\]", out[-300:]) and \
                os.path.exists(checkpoint):
            fired = time.time()  # the last batch is done: validation, then the checkpoint
        elif aim == "random" and time.time() >= fire_at:
            fired = time.time()
        if fired:
            ctrl_c(master, how)
            break
        if aim == "checkpoint":
            time.sleep(0.0005)
            read_some(master, out, 0)
        else:
            read_some(master, out, 0.002)
    if twice and fired and proc.poll() is None:
        time.sleep(rng.uniform(0, 0.05))
        try:
            ctrl_c(master, how)
        except (OSError, ProcessLookupError):
            pass  # it ended already
    pty_session.read_to_end(proc, master, out, 30)
    os.close(master)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        failures.append(what + ": did not end within 30 s of Ctrl-C")
        return
    text = out.decode("utf-8", "replace")
    problems = []
    if not fired:
        problems.append("never interrupted (exited %s first)" % proc.returncode)
    if proc.returncode != 130:
        problems.append("exit status %s, not 130" % proc.returncode)
    model = os.path.join(run_dir, "ck.h5" if twice else "m.h5")
    if not os.path.exists(model) or tool("clrnn-info", "file", model).returncode:
        problems.append("%s does not load" % os.path.basename(model))
    if tmp_files(run_dir):
        problems.append("temporary files left: %s" % tmp_files(run_dir))
    if not twice:
        for name in ("history.csv", "plot.svg"):
            if not os.path.exists(os.path.join(run_dir, name)):
                problems.append("no " + name)
        lines = [re.sub(r"\x1b\[K", "", line).strip("\r") for line in text.split("\n")]
        said = [line for line in lines if "interrupted" in line]
        if not said:
            problems.append("no 'interrupted' message")
        for line in said:
            if not line.startswith("clrnn-train: "):
                problems.append("message not on its own line: %r" % line[-160:])
    print("%s: Ctrl-C %.3f s into training, exit %s%s" % (what, fired and fired - began,
                                          proc.returncode, "" if not problems else
                                          " -- " + "; ".join(problems)))
    if problems:
        failures.append(what + ": " + "; ".join(problems))
        print(text[-1500:])


started = time.time()
aims = ["random", "checkpoint", "validation"]
twice_runs = runs // 5
for i in range(runs + twice_runs):
    one_run(i, aims[i % 3], "key" if i % 2 == 0 else "killpg", twice=i >= runs)
runs += twice_runs
print("%d runs in %.1f s" % (runs, time.time() - started))
for f in failures:
    print("FAIL: " + f)
print("%d passed, %d failed" % (runs - len(failures), len(failures)))
sys.exit(1 if failures else 0)
