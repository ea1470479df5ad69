#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that provide the named commands, when they are missing.
# Usage: scripts/ensure-tools.sh COMMAND[=PACKAGE] ...   (e.g. patchelf g++ mpiexec.mpich=mpich)
# The project's only set-up step: build, tests and CI call it, so nothing is installed by hand.
set -euo pipefail
missing=()
for spec in "$@"; do
  cmd=${spec%%=*}; pkg=${spec#*=}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing ${missing[*]}; install them with your package manager" >&2; exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "error: missing ${missing[*]}; install them as root (apt-get install -y ${missing[*]})" >&2; exit 1
  fi
fi
# Parallel builds may get here together: one apt-get at a time, and re-check after waiting.
exec 9>/tmp/powerclip-ensure-tools.lock
flock 9
still=()
for pkg in "${missing[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || still+=("$pkg"); done
[ ${#still[@]} -eq 0 ] && exit 0
missing=("${still[@]}")
echo "installing ${missing[*]} (apt-get)" >&2
# A stale or empty package list makes installs fail; refresh it once.
$sudo apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
