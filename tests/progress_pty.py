"""The progress bar on a terminal, as test_train_progress.sh runs it:
python3 progress_pty.py BUILD SCRATCH.

clrnn-train runs on pseudo-terminals 80, 60 and 40 columns wide. While an epoch runs, its
line starts with "Epoch n/N" (as Keras shows the epoch above its bar), and no line it draws
reaches the last column, so a terminal never wraps it (a wrapped bar leaves a broken line
behind at every redraw).
"""
import os
import re
import subprocess
import sys

import pty_session

build, scratch = sys.argv[1], sys.argv[2]
data = os.path.join(scratch, "reber.h5")
subprocess.run([os.path.join(build, "clrnn-data"), "reber", "--out", data, "--samples", "600",
                "--seed", "3"], check=True, capture_output=True)
failures = []
for columns in (80, 60, 40):
    proc, master = pty_session.start(
        [os.path.join(build, "clrnn-train"), "--layers", "lstm(8) dense(1,sigmoid)", "--data",
         data, "--epochs", "3", "--batch-size", "8", "--validation-split", "0.2", "--out",
         os.path.join(scratch, "m%d.h5" % columns)], columns=columns)
    out = bytearray()
    pty_session.read_to_end(proc, master, out, 120)
    os.close(master)
    text = re.sub(r"\x1b\[K", "", out.decode("utf-8", "replace"))
    if proc.returncode != 0:
        failures.append("%d columns: exit %s" % (columns, proc.returncode))
    bars = []
    for line in text.split("\n"):
        for segment in line.split("\r"):
            if "[" in segment and "] - ETA" in segment or segment.startswith("Epoch "):
                if re.search(r"\d+/\d+ \[", segment):
                    bars.append(segment)
    if not bars:
        failures.append("%d columns: no progress bar drawn" % columns)
    for bar in bars:
        if len(bar) > columns - 1:
            failures.append("%d columns: a bar of %d characters: %r" % (columns, len(bar), bar))
            break
        if not re.match(r"Epoch [1-3]/3 \d+/\d+ \[[=>.]+\]", bar):
            failures.append("%d columns: the bar does not start with Epoch n/N: %r" %
                            (columns, bar))
            break
    epochs = sorted({re.match(r"Epoch (\d)", b).group(1) for b in bars if b.startswith("Epoch")})
    if epochs != ["1", "2", "3"]:
        failures.append("%d columns: bars shown for epochs %s, not 1, 2, 3" % (columns, epochs))
    print("%d columns: %d bars drawn, the longest %d characters" %
          (columns, len(bars), max((len(b) for b in bars), default=0)))
for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
