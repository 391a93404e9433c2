#!/usr/bin/env bash
# Runs a reference benchmark of tests/bench/ in its pinned virtual environment, made (or
# refreshed) from PyPI first:
#   tests/bench/run_ref.sh REF [--config NAME[,NAME...]] [--samples N] [--json] [--list] [...]
#   tests/bench/run_ref.sh REF --setup          (only make the environment)
# REF: keras2  keras_bench.py, tf.keras 2.15 (TensorFlow 2.15 CPU), tests/keras/.venv-tf2
#              (tests/keras/keras2.sh makes it)
#      keras3  keras_bench.py, Keras 3 on the TensorFlow backend (TensorFlow 2.21 CPU),
#              tests/bench/.venv-k3tf from requirements-k3tf.txt
#      torch   torch_bench.py, PyTorch on the CPU, tests/bench/.venv-torch from
#              requirements-torch.txt (torch_bench.py also runs without it, with any
#              python3 that has torch and numpy: python3 tests/bench/torch_bench.py --device cuda)
# All run on the CPU with the GPU hidden (CUDA_VISIBLE_DEVICES=""), each framework with its
# default threading: as many threads as the cores the process may use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ref=${1:?usage: run_ref.sh keras2|keras3|torch [--setup | benchmark options]}
shift
export CUDA_VISIBLE_DEVICES="" PYTHONHASHSEED=0 TF_CPP_MIN_LOG_LEVEL=3
unset TF_USE_LEGACY_KERAS
case "$ref" in
  keras2)
    bash "$here/../keras/keras2.sh" --setup
    py="$here/../keras/.venv-tf2/bin/python" script=keras_bench.py ;;
  keras3|torch)
    if [ "$ref" = keras3 ]; then
      venv="$here/.venv-k3tf" requirements="$here/requirements-k3tf.txt" script=keras_bench.py
      export KERAS_BACKEND=tensorflow
    else
      venv="$here/.venv-torch" requirements="$here/requirements-torch.txt" script=torch_bench.py
    fi
    [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
    stamp="$venv/.requirements.installed"
    if [ ! -f "$stamp" ] || ! cmp -s "$requirements" "$stamp"; then
      "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements"
      cp "$requirements" "$stamp"
    fi
    py="$venv/bin/python" ;;
  *) echo "run_ref.sh: unknown reference '$ref' (keras2, keras3 or torch)" >&2; exit 2 ;;
esac
[ "${1:-}" = --setup ] && exit 0
exec "$py" "$here/$script" "$@"
