#!/usr/bin/env bash
# Builds libpowerclip_mkl_dispatch.so (see powerclip_mkl_dispatch.c) for build/MklDispatch.targets, after checking
# that the package's libtorch_cpu.so still exports oneMKL's CPU query and calls it through its PLT, which is what
# lets the library's definition take its place. Writes into OUT_DIR:
#   libpowerclip_mkl_dispatch.so   only when built
#   mkl-dispatch-build.txt         one line: built | skipped, and why (read by PowerClip.Model's MklCodePath)
# Nothing is installed: without gcc the override is skipped and oneMKL keeps its own choice.
# Usage: build-mkl-dispatch.sh SOURCE_C LIBTORCH_CPU_SO OUT_DIR
set -euo pipefail
src=$1; torch_cpu=$2; out=$3
sym=mkl_serv_cpu_detect
mkdir -p "$out"
tmp=$(mktemp -d "$out/.mkl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

finish() {  # $1 = status line; the library (if built) is moved into place first, the status last
  [ -e "$tmp/libpowerclip_mkl_dispatch.so" ] && mv -f "$tmp/libpowerclip_mkl_dispatch.so" "$out/" \
    || rm -f "$out/libpowerclip_mkl_dispatch.so"
  echo "$1" > "$tmp/status" && mv -f "$tmp/status" "$out/mkl-dispatch-build.txt"
  echo "mkl dispatch: $1"
}

[ "$(uname -m)" = x86_64 ] \
  || { finish "skipped: $(uname -m) is not x86_64 (oneMKL's code paths are x86 ones)"; exit 0; }
command -v gcc >/dev/null 2>&1 || { finish "skipped: no C compiler (gcc) on the build machine"; exit 0; }
command -v readelf >/dev/null 2>&1 || { finish "skipped: no readelf (binutils) to check libtorch_cpu.so"; exit 0; }
[ -f "$torch_cpu" ] || { finish "skipped: libtorch_cpu.so not found ($torch_cpu)"; exit 0; }
# Whole listings to files first: grep -q closing the pipe early would fail the pipeline (pipefail).
readelf --dyn-syms -W "$torch_cpu" > "$tmp/dynsyms"
readelf -rW "$torch_cpu" > "$tmp/relocs"
grep -qE " FUNC +GLOBAL +DEFAULT +[0-9]+ $sym\$" "$tmp/dynsyms" \
  || { finish "skipped: $(basename "$torch_cpu") does not export $sym"; exit 0; }
grep -qE "R_X86_64_JUMP_SLOT .* $sym \+ 0\$" "$tmp/relocs" \
  || { finish "skipped: $(basename "$torch_cpu") does not call $sym through its PLT (no interposition)"; exit 0; }
gcc -O2 -shared -fPIC -Wall -Wextra -Werror -o "$tmp/libpowerclip_mkl_dispatch.so" "$src" -ldl
readelf --dyn-syms -W "$tmp/libpowerclip_mkl_dispatch.so" > "$tmp/shimsyms"
grep -qE " FUNC +GLOBAL +DEFAULT +[0-9]+ $sym\$" "$tmp/shimsyms" \
  || { echo "error: libpowerclip_mkl_dispatch.so does not export $sym" >&2; exit 1; }
finish "built: libtorch_cpu.so exports $sym and calls it through its PLT"
