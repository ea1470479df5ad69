#!/usr/bin/env bash
# Executes notebooks headless with dotnet-repl (a local dotnet tool, .config/dotnet-tools.json) and
# fails when any cell fails. Ends with the plain line "N passed, N failed"; one notebook, one count.
#
#   notebooks/run.sh [--ci] [--write] [--no-build] [NOTEBOOK.ipynb ...]   (default: notebooks/*.ipynb)
#     --ci        small sizes (POWERCLIP_NB_SIZE=small), as CI runs them
#     --write     write each executed notebook back over its source (only when it passed), so the
#                 saved notebooks keep their outputs; cell timing metadata is dropped to keep diffs small
#     --no-build  skip building the libraries the notebooks load (tests/run.sh has built them)
# Environment: POWERCLIP_NB_SIZE=small|full, POWERCLIP_NB_PLOTS=png|html (png needs chromium, which
# this script installs with apt-get when missing), POWERCLIP_NB_TIMEOUT seconds per notebook (600).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
write=0; build=1; notebooks=()
for arg in "$@"; do
  case "$arg" in
    --ci) export POWERCLIP_NB_SIZE=${POWERCLIP_NB_SIZE:-small} ;;
    --write) write=1 ;;
    --no-build) build=0 ;;
    -*) echo "notebooks/run.sh: unknown option $arg" >&2; exit 2 ;;
    *) [ -f "$arg" ] || { echo "notebooks/run.sh: no such notebook: $arg" >&2; exit 2; }
       notebooks+=("$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")") ;;
  esac
done
if [ "$write" -eq 1 ] && [ "${POWERCLIP_NB_SIZE:-full}" != full ]; then
  echo "notebooks/run.sh: --write saves the outputs; run it at full size (no --ci, POWERCLIP_NB_SIZE unset or full)" >&2; exit 2
fi
if [ ${#notebooks[@]} -eq 0 ]; then
  for nb in "$root"/notebooks/*.ipynb; do [ -e "$nb" ] && notebooks+=("$nb"); done
fi
if [ ${#notebooks[@]} -eq 0 ]; then echo "no notebook found"; echo "0 passed, 1 failed"; exit 1; fi

cd "$root/notebooks"
if [ "$build" -eq 1 ]; then
  # Show the build's output only when it fails, so that the log is the notebooks' results.
  if ! log=$(dotnet build PowerClip.Notebooks -c Release -nologo -v q -clp:ErrorsOnly 2>&1); then
    echo "$log"; echo "build failed"; echo "0 passed, 1 failed"; exit 1
  fi
fi
if ! dotnet tool restore >/dev/null; then
  echo "dotnet tool restore failed (dotnet-repl)"; echo "0 passed, 1 failed"; exit 1
fi
if [ "${POWERCLIP_NB_PLOTS:-png}" = png ] && [ -z "${POWERCLIP_CHROMIUM:-}" ]; then
  "$root/scripts/ensure-tools.sh" chromium || { echo "chromium is needed for PNG figures"; echo "0 passed, 1 failed"; exit 1; }
fi

outdir=$(mktemp -d)
trap 'rm -rf "$outdir"' EXIT
passed=0; failed=0
for nb in "${notebooks[@]}"; do
  name=$(basename "$nb" .ipynb)
  out="$outdir/$name.ipynb"
  start=$(date +%s%N)
  # Relative #r/#load paths in a notebook resolve against the working directory: run from its folder.
  (cd "$(dirname "$nb")" && timeout "${POWERCLIP_NB_TIMEOUT:-600}" \
    dotnet repl --default-kernel fsharp --run "$nb" --exit-after-run --output-path "$out") >"$outdir/$name.log" 2>&1
  rc=$?
  secs=$(( ($(date +%s%N) - start) / 1000000000 ))
  # Pass = exit code 0, an executed notebook written, and no error output in it.
  if [ "$rc" -eq 0 ] && [ -s "$out" ] && ! grep -q '"output_type": "error"' "$out"; then
    printf 'PASS %s (%d s)\n' "$name" "$secs"
    passed=$((passed + 1))
    if [ "$write" -eq 1 ]; then
      # dotnet-repl labels its output nbformat 4.5 but writes no cell ids, which 4.5 requires; it is valid 4.4.
      grep -v '"dotnet_repl_cellExecution\(Start\|End\)Time"' "$out" | sed 's/^ "nbformat_minor": 5$/ "nbformat_minor": 4/' >"$nb"
    fi
  else
    printf 'FAIL %s (exit code %s, %d s)\n' "$name" "$rc" "$secs"
    failed=$((failed + 1))
    [ "$rc" -eq 124 ] && echo "  timed out after ${POWERCLIP_NB_TIMEOUT:-600} s"
    tail -n 20 "$outdir/$name.log" | sed 's/^/  /'
    # The failing cells' messages, from the executed notebook (dotnet-repl prints none itself).
    [ -s "$out" ] && grep -o '"evalue": ".*' "$out" | head -n 3 | cut -c 1-1500 | sed 's/\\n/\n  /g; s/^/  /'
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
