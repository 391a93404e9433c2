#!/usr/bin/env bash
# clrnn-train's progress bar on a terminal: "Epoch n/N" before the bar while the epoch runs,
# and the line fitted to the terminal's width (80, 60, 40 columns) so that it never wraps;
# see progress_pty.py.
source "$(dirname "$0")/e2e_common.sh"
require_device
require_python3
check "the progress bar on 80, 60 and 40 columns" \
  python3 "$(dirname "$0")/progress_pty.py" "$build" "$scratch"
finish
