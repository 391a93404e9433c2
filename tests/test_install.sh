#!/usr/bin/env bash
# The library as others embed it: `cmake --install` into a temporary prefix gives the shared
# library (with its SONAME, exporting only the public clrnn_ functions), the static library,
# clrnn.h, the tools, clrnn.pc and the CMake package. examples/predict.c and
# examples/train.c build against that tree with plain cc and pkg-config, and as a CMake
# project with find_package(clrnn) (the shared and the static library); then, run from
# another folder (the kernels are built into the library), the trained model reaches full
# accuracy on binary addition, the installed clrnn-eval agrees with it, and every build of
# the predict example prints exactly the predictions clrnn-eval writes.
source "$(dirname "$0")/e2e_common.sh"
src=$(cd "$(dirname "$0")/.." && pwd)
prefix="$scratch/prefix"
unset CLRNN_CL_DIR
# a sanitized library (scripts/build.sh asan) needs its programs built with the sanitizers
cflags=()
grep -q '^CLRNN_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && cflags=(-fsanitize=address,undefined)
if ! cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1; then
  cat "$scratch/install.log" >&2
  bad "cmake --install"
  finish
  exit 1
fi
for f in lib/libclrnn.a include/clrnn.h lib/pkgconfig/clrnn.pc lib/cmake/clrnn/clrnnConfig.cmake \
         lib/cmake/clrnn/clrnnConfigVersion.cmake lib/cmake/clrnn/clrnnTargets.cmake \
         bin/clrnn-info bin/clrnn-train bin/clrnn-eval bin/clrnn-data bin/clrnn-generate bin/clrnn-bench; do
  check "installed $f" [ -s "$prefix/$f" ]
done
soname=$(objdump -p "$prefix/lib/libclrnn.so" | awk '$1 == "SONAME" { print $2 }')
check "the shared library's SONAME is versioned ($soname)" grep -qE '^libclrnn\.so\.[0-9]' <<<"$soname"
check "libclrnn.so links to its SONAME" [ -e "$prefix/lib/$soname" ]
others=$(nm -D --defined-only "$prefix/lib/libclrnn.so" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^clrnn_/')
check "the shared library exports only clrnn_ symbols: [$others]" [ -z "$others" ]
# the header stands alone, in strict C11
printf '#include <clrnn.h>\nint main(void) { return clrnn_status_str(CLRNN_OK)[0] != 111; }\n' > "$scratch/header.c"
check "clrnn.h compiles alone with -std=c11 -pedantic" \
  cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -c "$scratch/header.c" -I"$prefix/include" -o "$scratch/header.o"

# pkg-config and plain cc
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config knows clrnn $(pkg-config --modversion clrnn)" pkg-config --exists clrnn
check "clrnn.pc lists its private dependencies" \
  grep -qx 'Requires.private: OpenCL clblast hdf5 libcjson libzip' "$prefix/lib/pkgconfig/clrnn.pc"
mkdir -p "$scratch/pc"
for e in predict train; do
  # shellcheck disable=SC2046
  check "cc builds examples/$e.c with pkg-config" cc -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "$src/examples/$e.c" \
    -o "$scratch/pc/$e" $(pkg-config --cflags --libs clrnn) -Wl,-rpath,"$(pkg-config --variable=libdir clrnn)"
done
# CMake: find_package(clrnn), the shared library, then the static one
for kind in shared static; do
  opt=OFF; [ $kind = static ] && opt=ON
  if cmake -S "$src/examples" -B "$scratch/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" \
       -DCLRNN_EXAMPLES_STATIC=$opt -DCMAKE_C_FLAGS="${cflags[*]}" >"$scratch/cmake-$kind.log" 2>&1 &&
     cmake --build "$scratch/cmake-$kind" >>"$scratch/cmake-$kind.log" 2>&1; then
    ok
  else
    cat "$scratch/cmake-$kind.log" >&2
    bad "CMake builds the examples against clrnn::clrnn${opt/ON/_static}"
  fi
done
check "the CMake build links the installed libclrnn.so" \
  grep -q "$prefix/lib/$soname" <(ldd "$scratch/cmake-shared/predict")
check_not "the static build does not load libclrnn.so" grep -q libclrnn <(ldd "$scratch/cmake-static/predict")
# the version file: 0.x minor versions are not compatible with each other
mkdir -p "$scratch/version"
printf 'cmake_minimum_required(VERSION 3.18)\nproject(v LANGUAGES C)\nfind_package(clrnn 0.99 REQUIRED)\n' \
  > "$scratch/version/CMakeLists.txt"
check_not "find_package(clrnn 0.99) refuses 0.1" \
  cmake -S "$scratch/version" -B "$scratch/version/b" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1

require_device
cd /  # nothing from the source or build folders
"$prefix/bin/clrnn-data" addition --out "$scratch/add.h5" --samples 2000 --test-samples 500 --seed 1 >/dev/null
train_out=$("$scratch/pc/train" "$scratch/add.h5" "$scratch/add_model.h5" 12)
echo "$train_out"
acc=$(sed -n 's/^test: .*accuracy: \([0-9.]*\)$/\1/p' <<<"$train_out")
check "the train example learns binary addition (test accuracy ${acc:-none} >= 0.99)" at_least "${acc:-0}" 0.99
eval_out=$("$prefix/bin/clrnn-eval" "$scratch/add_model.h5" --data "$scratch/add.h5" --json \
  --predictions "$scratch/eval.csv")
echo "$eval_out"
eval_acc=$(json_field accuracy <<<"$eval_out")
check "clrnn-eval on the saved model: the example's accuracy ($eval_acc vs $acc)" \
  awk -v a="$eval_acc" -v b="$acc" 'BEGIN { d = a - b; exit !(d < 5e-5 && d > -5e-5) }'
for p in "$scratch/pc/predict" "$scratch/cmake-shared/predict" "$scratch/cmake-static/predict"; do
  "$p" "$scratch/add_model.h5" "$scratch/add.h5" > "$scratch/predict.csv"
  check "$p prints clrnn-eval's predictions ($(wc -l < "$scratch/predict.csv") rows)" \
    cmp -s "$scratch/predict.csv" "$scratch/eval.csv"
done
check "the predictions have a row a test sample" [ "$(wc -l < "$scratch/eval.csv")" -eq 500 ]
finish
