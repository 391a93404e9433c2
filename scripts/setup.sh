#!/usr/bin/env bash
# Installs what clrnn needs to build and test on Debian (12 or newer), if it is missing:
# a C compiler, CMake, the OpenCL ICD loader and headers, PoCL (the CPU OpenCL device),
# CLBlast, HDF5 (with its command-line tools, used by some tests), cJSON and libzip (.keras);
# clang with its libFuzzer runtime for the short fuzzing run (tests/fuzz/run.sh); for the GPU
# checks that run without a GPU (tests/oclgrind/, tests/offline/): Oclgrind, clang 19 with
# libclc (AMD and NVIDIA targets), clang 14's SPIR-V translator and validator. Intel's offline
# compiler (ocloc) is used where installed, but not installed here: intel-opencl-icd adds an
# OpenCL platform whose allocations LeakSanitizer reports in every ASan test.
set -euo pipefail
packages=(gcc make cmake pkg-config ocl-icd-opencl-dev opencl-c-headers pocl-opencl-icd
          libclblast-dev libhdf5-dev hdf5-tools libcjson-dev libzip-dev clang python3
          oclgrind clang-19 libclc-19 llvm-spirv-14 spirv-tools)
packages+=(openmpi-bin libopenmpi-dev) # clrnn-train under mpirun (docs/scale-out.md)
# libFuzzer comes with clang's runtime package, one per clang version (Debian 12: clang 14)
if command -v clang >/dev/null; then
  major=$(clang -dumpversion | cut -d. -f1)
  packages+=("libclang-rt-$major-dev")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# clang was missing: its runtime (libFuzzer) now, for the version that came
major=$(clang -dumpversion | cut -d. -f1)
if ! dpkg-query -W -f='${Status}' "libclang-rt-$major-dev" 2>/dev/null | grep -q 'install ok installed'; then
  $sudo apt-get install -y -qq --no-install-recommends "libclang-rt-$major-dev" >/dev/null
fi
