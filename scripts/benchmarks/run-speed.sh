#!/usr/bin/env bash
# Speed benchmark (docs/performance.md): builds the bench, makes sure the PyTorch peer is installed, then runs
#   compare  - cmdlets vs Trainer vs bare TorchSharp loop vs PyTorch, interleaved and repeated
#   scaling  - epoch time vs training-set size and vs batch size
#   fast     - the fast recipe, experiments/fast.yaml through Invoke-CnnExperiment, seeds 1-3: per seed and median
#              test accuracy, training seconds, seconds from process start to the accuracy (needs the module
#              laid out: dotnet pwsh ./build.ps1 Build)
# Usage: scripts/benchmarks/run-speed.sh [compare|scaling|fast|all] [extra bench options, e.g. --threads 1 --repeats 5]
# Heavy: runs at nice 10, one training process at a time. GPU: pass --device cuda (CUDA build of the module/bench).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
what="${1:-all}"
[ $# -gt 0 ] && shift

# The fast recipe does not use the PyTorch peer.
if [ "$what" != fast ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "Installing the PyTorch peer (Debian python3-torch) for /usr/bin/python3..." >&2
    if command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
    else
        echo "No apt-get: install PyTorch for /usr/bin/python3 yourself; the pytorch path will be skipped." >&2
    fi
fi

dotnet build "$here/Bench/Bench.csproj" -c Release -nologo -v q >&2
bench="$here/Bench/bin/Release/net10.0/linux-x64/MnistCnn.Bench"
cd "$repo"
case "$what" in
    compare) nice -n 10 "$bench" compare "$@" ;;
    scaling) nice -n 10 "$bench" scaling "$@" ;;
    fast)    nice -n 10 "$bench" fast "$@" ;;
    all)
        nice -n 10 "$bench" compare "$@"
        nice -n 10 "$bench" scaling "$@"
        nice -n 10 "$bench" fast "$@"
        ;;
    *) echo "usage: $0 [compare|scaling|fast|all] [bench options]" >&2; exit 2 ;;
esac
