#!/usr/bin/env bash
# The layers of the tree: no circle of includes or calls between the library's folders
# (include/, base/, formats/, host/) or of calls between the files of one folder
# (tests/check_layers.py reads libclrnn.a).
set -euo pipefail
python3 "$(dirname "$0")/check_layers.py" "$1/libclrnn.a" "$(cd "$(dirname "$0")/.." && pwd)"
