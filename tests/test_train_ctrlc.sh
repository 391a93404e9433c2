#!/usr/bin/env bash
# Ctrl-C from a terminal stops clrnn-train after the batch and saves, every time: 20 runs on
# a pseudo-terminal, each interrupted at a random moment, in a checkpoint write or in the
# validation, and 4 more with a second Ctrl-C ("stop now"); see ctrlc_pty.py.
source "$(dirname "$0")/e2e_common.sh"
require_device
require_python3
check "Ctrl-C on a terminal: exit 130, a loadable model, no temporary file" \
  python3 "$(dirname "$0")/ctrlc_pty.py" "$build" "$scratch"
finish
