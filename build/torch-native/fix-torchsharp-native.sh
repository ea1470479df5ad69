#!/usr/bin/env bash
# Makes TorchSharp 0.107's libLibTorchSharp.so load where libstdc++ predates GLIBCXX_3.4.32
# (Debian 12, Ubuntu 22.04). Called by build/TorchNativeFix.targets on a copy in obj/; the NuGet
# cache is never touched. Writes into OUT_DIR:
#   libLibTorchSharp.so          patched, or an unchanged copy where no fix is needed
#   libpowerclip_iosinit.so      the shim providing std::ios_base_library_init (only when patched)
#   torchsharp-native-fix.txt    one line: applied | skipped | not-needed, and why (read by `powerclip info`)
# Usage: fix-torchsharp-native.sh SOURCE_SO OUT_DIR
set -euo pipefail
src=$1; out=$2
here=$(cd "$(dirname "$0")" && pwd)
sym=_ZSt21ios_base_library_initv
ver=GLIBCXX_3.4.32
mkdir -p "$out"
tmp=$(mktemp -d "$out/.fix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

finish() {  # $1 = status line; files already in $tmp are moved into place, status last
  for f in "$tmp"/*.so; do [ -e "$f" ] && mv -f "$f" "$out/"; done
  echo "$1" > "$tmp/status" && mv -f "$tmp/status" "$out/torchsharp-native-fix.txt"
  echo "torchsharp native fix: $1"
}

if ! readelf -V "$src" | grep -q "Name: $ver"; then
  cp "$src" "$tmp/libLibTorchSharp.so"; rm -f "$out/libpowerclip_iosinit.so"
  finish "not-needed: libLibTorchSharp.so does not require $ver"; exit 0
fi
libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -qa "$ver" "$libstdcxx"; then
  cp "$src" "$tmp/libLibTorchSharp.so"; rm -f "$out/libpowerclip_iosinit.so"
  finish "skipped: $libstdcxx provides $ver"; exit 0
fi

bash "$here/../../scripts/ensure-tools.sh" patchelf g++ gcc
cp "$src" "$tmp/libLibTorchSharp.so"
chmod u+w "$tmp/libLibTorchSharp.so"
g++ -shared -fPIC -O2 -o "$tmp/libpowerclip_iosinit.so" "$here/ios_base_library_init.cpp"
gcc -O2 -o "$tmp/weaken_verneed" "$here/weaken_verneed.c"
patchelf --clear-symbol-version "$sym" "$tmp/libLibTorchSharp.so"
patchelf --add-needed libpowerclip_iosinit.so "$tmp/libLibTorchSharp.so"
# The RUNPATH starts with $ORIGIN already, so the shim is found next to the library.
readelf -d "$tmp/libLibTorchSharp.so" | grep -q 'RUNPATH.*\$ORIGIN' || patchelf --set-rpath '$ORIGIN' "$tmp/libLibTorchSharp.so"
"$tmp/weaken_verneed" "$tmp/libLibTorchSharp.so" "$ver"
rm -f "$tmp/weaken_verneed"
readelf -V "$tmp/libLibTorchSharp.so" | grep -q "Name: $ver  Flags: WEAK" || { echo "error: $ver requirement not weakened" >&2; exit 1; }
finish "applied: ${libstdcxx:-libstdc++} lacks $ver; $sym provided by libpowerclip_iosinit.so"
