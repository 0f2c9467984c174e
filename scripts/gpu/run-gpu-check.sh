#!/usr/bin/env bash
# The GPU check in one command (docs/gpu.md). On the GPU machine, from the repository root, after
# `dotnet pwsh ./build.ps1 GpuBundle` here has put the bundle and MNIST into out/gpu-check (carried there):
#     scripts/gpu/run-gpu-check.sh
# Here, against the CPU libtorch of the NuGet cache:
#     scripts/gpu/run-gpu-check.sh --device cpu --libtorch ~/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native
# It prints the machine (nvidia-smi, distribution, libstdc++), points the runner at the libtorch of the installed
# PyTorch (or --libtorch), runs the runner (scripts/gpu/GpuCheck), runs the PyTorch peer
# (scripts/benchmarks/torch_bench.py) on the same device, and writes to $OUT (else out/gpu-check-results):
#     run-gpu-check.log  everything printed          gpu-check.json / gpu-check.log  the runner's summary and log
#     torch-bench.json   the PyTorch peer's result   gpu-memory.csv  nvidia-smi memory samples (CUDA)
#     summary.json       the figures for docs/gpu.md's table, side by side
# Options: --device cuda|cpu  --libtorch DIR  --bundle DIR  --data DIR  --out DIR  --quick  --python EXE (default python3)
#          --threads N (CPU threads of the runner and the peer; default: theirs)
#          --epochs N (tutorial recipe epochs of the runner and the peer; default 5 on cuda, 2 on cpu)
#          --runner-timeout S (default 300)  --peer-timeout S (default 150)  --no-peer
#          anything after -- goes to the runner (e.g. -- --epochs 2 --eval-batches 1024,4096)
# Exit status: the runner's (0 passed, 1 a check failed, 2 setup error, 124 timed out), else the peer's.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
device=cuda
libtorch="${MNISTCNN_LIBTORCH_DIR:-}"
bundle="$repo/out/gpu-check/bundle"
data="$repo/out/gpu-check/mnist"
out="${OUT:-$repo/out/gpu-check-results}"
quick=0
peer=1
runner_timeout=300
peer_timeout=150
runner_args=()
python=python3
threads=""
epochs=""

tee_pid=""
sampler=""
# Ends the script once the log has everything: tee runs on after the script otherwise.
finish() {
    stop_sampler 2>/dev/null
    if [ -n "$tee_pid" ]; then exec >&- 2>&-; wait "$tee_pid" 2>/dev/null; fi
    exit "$1"
}
die() { echo "run-gpu-check: $*" >&2; finish 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --device) device="${2:?--device needs cuda or cpu}"; shift 2 ;;
        --libtorch) libtorch="${2:?--libtorch needs a folder}"; shift 2 ;;
        --bundle) bundle="${2:?--bundle needs a folder}"; shift 2 ;;
        --data) data="${2:?--data needs a folder}"; shift 2 ;;
        --out) out="${2:?--out needs a folder}"; shift 2 ;;
        --quick) quick=1; shift ;;
        --python) python="${2:?--python needs an interpreter}"; shift 2 ;;
        --threads) threads="${2:?--threads needs a number}"; shift 2 ;;
        --epochs) epochs="${2:?--epochs needs a number}"; shift 2 ;;
        --no-peer) peer=0; shift ;;
        --runner-timeout) runner_timeout="${2:?--runner-timeout needs seconds}"; shift 2 ;;
        --peer-timeout) peer_timeout="${2:?--peer-timeout needs seconds}"; shift 2 ;;
        --) shift; runner_args=("$@"); break ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
case "$device" in cuda|cpu) ;; *) die "--device must be cuda or cpu (got '$device')" ;; esac
[[ "$runner_timeout" =~ ^[0-9]+$ && "$peer_timeout" =~ ^[0-9]+$ ]] || die "timeouts are whole seconds"
[[ -z "$threads" || "$threads" =~ ^[1-9][0-9]*$ ]] || die "--threads needs a whole number of at least 1"
thread_args=()
[ -n "$threads" ] && thread_args=(--threads "$threads")
[ -n "$epochs" ] || { [ "$device" = cuda ] && epochs=5 || epochs=2; }
[[ "$epochs" =~ ^[1-9][0-9]*$ ]] || die "--epochs needs a whole number of at least 1"

mkdir -p "$out" || die "cannot create $out"
exec > >(tee "$out/run-gpu-check.log") 2>&1
tee_pid=$!
section() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

section "machine"
date -u
uname -a
grep -E '^(PRETTY_NAME|VERSION_ID)=' /etc/os-release 2>/dev/null
echo "processors: $(nproc)"
if [ "$device" = cuda ]; then
    command -v nvidia-smi >/dev/null || die "--device cuda but no nvidia-smi: not a GPU machine (use --device cpu)"
    nvidia-smi
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
fi

section "PyTorch ($python)"
have_torch=0
if command -v "$python" >/dev/null && "$python" -c 'import torch' 2>/dev/null; then
    have_torch=1
    "$python" - <<'PY'
import os, sys, torch
print("python", sys.version.split()[0], "at", sys.executable)
print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)
print("torch lib folder", os.path.join(os.path.dirname(torch.__file__), "lib"))
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device", p.name, f"{p.total_memory / 2**30:.1f} GiB", p.multi_processor_count, "SMs", f"capability {p.major}.{p.minor}")
PY
else
    echo "$python has no torch: the PyTorch peer is skipped, and --libtorch must name a libtorch folder."
    peer=0
fi
if [ -z "$libtorch" ]; then
    [ "$have_torch" = 1 ] || die "no libtorch: pass --libtorch DIR (or set MNISTCNN_LIBTORCH_DIR)"
    libtorch="$("$python" -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
fi
echo "libtorch for the runner: $libtorch"
# A pip PyTorch finds its CUDA libraries (site-packages/nvidia/...) through the RUNPATHs of its own libraries, which
# also serve the runner; the folders go on LD_LIBRARY_PATH too, for a wheel whose libraries rely on Python to
# preload them (torch/__init__.py's global-deps loading).
nvidia_libs="$(find "$libtorch/../../nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort | tr '\n' ':')"
if [ -n "$nvidia_libs" ]; then
    export LD_LIBRARY_PATH="${nvidia_libs%:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    echo "CUDA libraries of the wheel on LD_LIBRARY_PATH: ${nvidia_libs%:}"
fi
ls "$libtorch" | grep -E '^lib(torch|c10)' | tr '\n' ' '; echo

section "bundle"
runner="$bundle/MnistCnn.GpuCheck"
[ -f "$runner" ] && [ ! -x "$runner" ] && chmod +x "$runner"
[ -x "$runner" ] || die "no runner at $runner: run 'dotnet pwsh ./build.ps1 GpuBundle' on a machine with the .NET SDK, then carry out/gpu-check"
[ -f "$data/t10k-labels-idx1-ubyte.gz" ] || [ -f "$data/t10k-labels-idx1-ubyte" ] || die "no MNIST in $data (build.ps1 GpuBundle copies it there)"
du -sh "$bundle" "$data"
# TorchSharp's shim asks for GLIBCXX_3.4.32 for one never-called symbol; a bundle built on Debian 12 marks it weak
# (docs/development.md), which is harmless where libstdc++ has the version. Say which case this machine is.
libstdcxx="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')"
if [ -n "$libstdcxx" ] && grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
    echo "libstdc++ ($libstdcxx) has GLIBCXX_3.4.32: the shim loads with or without the weak marking."
elif [ -n "$libstdcxx" ]; then
    echo "libstdc++ ($libstdcxx) lacks GLIBCXX_3.4.32: the shim needs the weak marking."
    versions="$(command -v readelf >/dev/null && readelf -V "$bundle/libLibTorchSharp.so" 2>/dev/null)"
    if [ -n "$versions" ] && ! [[ "$versions" =~ GLIBCXX_3\.4\.32[[:space:]]+Flags:[[:space:]]+WEAK ]]; then
        die "the bundle's libLibTorchSharp.so requires GLIBCXX_3.4.32 (not marked weak): build the bundle on a machine whose libstdc++ lacks it (Debian 12), see docs/development.md"
    fi
fi
if command -v ldd >/dev/null; then
    echo "libLibTorchSharp.so's libraries with the libtorch folder on the path (the runner loads them by full path):"
    LD_LIBRARY_PATH="$libtorch" ldd "$bundle/libLibTorchSharp.so" | grep -E 'torch|c10|not found' || true
fi

start_sampler() {
    [ "$device" = cuda ] || return 0
    [ -f "$out/gpu-memory.csv" ] || echo "phase, timestamp, memory.used [MiB]" > "$out/gpu-memory.csv"
    nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader,nounits -lms 200 | sed -u "s/^/$1, /" >> "$out/gpu-memory.csv" &
    sampler=$!
}
stop_sampler() {
    [ -n "$sampler" ] || return 0
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    sampler=""
}
trap stop_sampler EXIT

section "runner ($device, libtorch from $libtorch)"
quick_args=(--epochs "$epochs")
[ "$quick" = 1 ] && quick_args=(--quick)
run_dir="$(mktemp -d)"
start_sampler runner
timeout "$runner_timeout" "$runner" --libtorch "$libtorch" --device "$device" --data "$data" --out "$run_dir" \
    --fast-spec "$repo/experiments/fast.yaml" "${quick_args[@]}" "${thread_args[@]}" "${runner_args[@]}"
runner_status=$?
stop_sampler
[ "$runner_status" = 124 ] && echo "The runner ran past $runner_timeout s and was stopped; gpu-check.json holds the steps it finished."
cp "$run_dir/gpu-check.json" "$run_dir/gpu-check.log" "$out/" 2>/dev/null
echo "runner exit status: $runner_status"

peer_status=0
if [ "$peer" = 1 ]; then
    section "PyTorch peer (scripts/benchmarks/torch_bench.py, $device)"
    if [ "$quick" = 1 ]; then peer_args=(--train-size 4096 --epochs 1)
    else peer_args=(--epochs "$epochs")
    fi
    start_sampler pytorch
    PYTHONUNBUFFERED=1 timeout "$peer_timeout" "$python" "$repo/scripts/benchmarks/torch_bench.py" --device "$device" --data "$data" \
        --eval --eval-batch 1024 --eval-repeats 3 "${peer_args[@]}" "${thread_args[@]}" | tee "$run_dir/torch-bench.out"
    peer_status=${PIPESTATUS[0]}
    stop_sampler
    grep '^RESULT ' "$run_dir/torch-bench.out" | tail -1 | sed 's/^RESULT //' > "$out/torch-bench.json"
    [ -s "$out/torch-bench.json" ] || rm -f "$out/torch-bench.json"
    echo "peer exit status: $peer_status"
fi

section "summary"
if ! command -v "$python" >/dev/null; then
    echo "No $python: summary.json is not written; gpu-check.json holds the runner's figures."
    rm -rf "$run_dir"
    [ "$runner_status" != 0 ] && finish "$runner_status"
    finish "$peer_status"
fi
"$python" - "$out" "$device" "$libtorch" <<'PY'
import csv, json, os, statistics, subprocess, sys
out, device, libtorch = sys.argv[1:4]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
check, peer = load("gpu-check.json") or {}, load("torch-bench.json")
figures = check.get("figures", {})
env = check.get("environment", {})
s = {"device": device, "libtorchFolder": libtorch, "runnerPassed": check.get("passed"),
     "failedChecks": check.get("failedChecks"), "setupError": check.get("setupError"),
     "torchSharp": env.get("torchSharp"), "libTorch": env.get("libTorchVersion"), "dotnet": env.get("dotnet")}
if device == "cuda":
    try:
        q = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
        s["card"], s["driver"] = [x.strip() for x in q.split(",")[:2]]
    except (OSError, ValueError):
        pass
s.update({k: figures.get(k) for k in ("tutorialSecondsPerEpoch", "tutorialFirstEpochSeconds", "tutorialImagesPerSecond",
          "tutorialTestAccuracy", "fastTrainSeconds", "fastTestAccuracy", "fastReached99", "evaluateSeconds",
          "evaluateFastestBatchSize", "predictSeconds", "channelsLastSpeedup")})
if peer:
    epochs = peer.get("epochSeconds") or []
    steady = epochs[1:] if len(epochs) > 1 else epochs
    s["pytorch"] = {"torch": peer.get("torchVersion"), "device": peer.get("device"), "secondsPerEpoch": statistics.median(steady) if steady else None,
                    "imagesPerSecond": peer["trainSize"] / statistics.median(steady) if steady else peer.get("imagesPerSec"),
                    "testAccuracy": peer.get("testAccuracy"), "evaluateSeconds": peer.get("evalSeconds")}
    ours, theirs = s.get("tutorialImagesPerSecond"), s["pytorch"]["imagesPerSecond"]
    # Like for like: both are training images/s over the epochs after the first (warm-up) one.
    s["imagesPerSecondRatioTorchSharpToPyTorch"] = round(ours / theirs, 3) if ours and theirs else None
memory = os.path.join(out, "gpu-memory.csv")
if os.path.exists(memory):
    peaks = {}
    with open(memory) as f:
        for row in csv.reader(f, skipinitialspace=True):
            if len(row) == 3 and row[2].strip().isdigit():
                peaks.setdefault(row[0], []).append(int(row[2]))
    s["gpuMemoryMiB"] = {phase: {"first": v[0], "peak": max(v)} for phase, v in peaks.items()}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(s, f, indent=2)
print(json.dumps(s, indent=2))
PY
echo
echo "Results in $out: $(ls "$out" | tr '\n' ' ')"
rm -rf "$run_dir"
[ "$runner_status" != 0 ] && finish "$runner_status"
finish "$peer_status"
