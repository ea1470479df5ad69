#!/usr/bin/env bash
# Builds the solution and runs every Expecto test executable tests/*/ *.Tests; extra arguments go to
# each (e.g. --filter "cli"). Ends with the plain line "N passed, N failed[, N skipped]" and exits
# non-zero on any failure, on a crashed test executable, or when no test ran.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
config=${POWERCLIP_TEST_CONFIG:-Release}

if ! dotnet build PowerClip.sln -c "$config" -nologo -v q -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# The launcher's GC budget (./powerclip): fewer finalizer runs, fewer chances for TorchSharp's implicit-Scalar
# race (docs/training.md); the test executables and the programs they start inherit it.
export DOTNET_GCgen0size=${DOTNET_GCgen0size:-0x4000000}
passed=0; failed=0; skipped=0
# Tests write runs, checkpoints and exports under the temp folder; give them one of their own and
# remove it afterwards, so repeated runs (CI runs on a long-lived machine) do not fill the disk.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
logdir=$(mktemp -d)
for proj in tests/*/*.Tests.?sproj; do
  name=$(basename "$proj" | sed 's/\.[cf]sproj$//')
  dll="$(dirname "$proj")/bin/$config/net10.0/$name.dll"
  echo "=== $name"
  log="$logdir/$name.log"
  # Expecto still writes cursor-control sequences; strip them so the log and CI's output are plain text.
  dotnet "$dll" --colours 0 --no-spinner "$@" 2>&1 | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g' | tee "$log"
  rc=${PIPESTATUS[0]}
  echo
  line=$(grep -oE '[0-9]+ passed, [0-9]+ ignored, [0-9]+ failed, [0-9]+ errored' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "$name: no Expecto summary (exit code $rc): counted as one failure"
    failed=$((failed + 1)); continue
  fi
  read -r p i f e < <(echo "$line" | grep -oE '[0-9]+' | tr '\n' ' ')
  passed=$((passed + p)); skipped=$((skipped + i)); failed=$((failed + f + e))
  if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then
    echo "$name: exit code $rc with no failed test: counted as one failure"
    failed=$((failed + 1))
  fi
done

if [ $((passed + failed)) -eq 0 ]; then
  echo; echo "no test ran"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
