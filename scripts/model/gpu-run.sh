#!/usr/bin/env bash
# One device call on the lent GPU machine: scenes -> webgpu figures -> training -> calibration ->
# ONNX export -> parity. That machine has Python + PyTorch but no Node and no internet, and a
# session has 15 minutes of it in all, so everything runs in one call, every step under a timeout,
# and each result is copied to $OUT as soon as it exists (a later failure or the call's time limit
# cannot lose an earlier result).
#
#   here:   bash scripts/model/gpu-pack.sh DATA      # builds .gpu/ (git-ignored, ~50 MB)
#   device: run(command="bash scripts/model/gpu-run.sh", carry=[".gpu"], timeout_s=...)
#
# Environment (defaults = the 0.3.0 run):
#   SCENES, SCENE_SEED   scene set generated there: npm run scenes -- --count SCENES --seed SCENE_SEED
#                        --split 85,5,10 --size 512 (the same command here reproduces it bit for bit)
#   DEADLINE             seconds after the start by which everything must be done (default 570: the
#                        call's limit is 600); training gets what the steps before it left, less a
#                        reserve for calibration, export and parity, at most TRAIN_MIN minutes
#   TRAIN_MIN            upper bound of train.py --time-budget-min
#   TRAIN_ARGS           extra train.py flags; VERSION: model version for export.py
#   INIT                 warm start (default: .gpu/init.pt, the shipped model); INIT=none trains from
#                        scratch, e.g. another preset: INIT=none TRAIN_ARGS="--model lite-wide --lr 3e-3"
#   SKIP_BENCH=1         no webgpu/CPU latency figures; DEVICE=cpu to rehearse this script on a CPU
# $OUT receives: run.log, logs.tgz (train log, bench JSON, calibration, parity), best.pt,
# calibrated.pt, lanesegnet-lite.onnx, lanesegnet-lite.json.
set -uo pipefail
: "${OUT:?OUT must name the output folder}"
G=.gpu
SCENES=${SCENES:-4800}
SCENE_SEED=${SCENE_SEED:-20261127}
TRAIN_MIN=${TRAIN_MIN:-8}
DEADLINE=${DEADLINE:-570}
TRAIN_ARGS=${TRAIN_ARGS:-}
VERSION=${VERSION:-0.3.0}
DEVICE=${DEVICE:-cuda}
WORKERS=${WORKERS:-16}
DATA=/tmp/lsn-data
RUN=/tmp/lsn-run
L=/tmp/lsn-logs
export PYTHONUNBUFFERED=1
rm -rf "$DATA" "$RUN" "$L"
mkdir -p "$L" "$OUT"
T0=$(date +%s)
say() { echo "[$(($(date +%s) - T0)) s] $*" | tee -a "$OUT/run.log"; }
step() { # step NAME TIMEOUT_S CMD...: run under a timeout, output into run.log
  local name=$1 to=$2
  shift 2
  say "== $name (timeout ${to} s)"
  timeout "$to" "$@" 2>&1 | tee -a "$OUT/run.log"
  local rc=${PIPESTATUS[0]}
  say "== $name: rc $rc"
  return "$rc"
}
save_logs() { tar -czf "$OUT/logs.tgz" -C "$L" . 2>/dev/null; }

# --- machine: Vulkan loader for onnxruntime's webgpu provider, Node, the native modules -----------
if [ "$DEVICE" = cuda ]; then
  for f in "$G"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export LD_LIBRARY_PATH=/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee -a "$OUT/run.log"
fi
mkdir -p /tmp/lsn-node
xz -dc "$G/node.xz" >/tmp/lsn-node/node && chmod +x /tmp/lsn-node/node
export PATH=/tmp/lsn-node:$PATH
[ -d node_modules/onnxruntime-node ] || tar -xJf "$G/nm.tar.xz"
# bench:backend finds the demo store at ../../ from its own file, so it lives two folders down.
mkdir -p "$G/b" && xz -dc "$G/bench.mjs.xz" >"$G/b/bench.mjs"
say "node $(node -v); $(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())')"

# --- data: the scene generator, all cores -------------------------------------------------------
step scenes 240 node "$G/scenes/cli.mjs" --out "$DATA" --count "$SCENES" --seed "$SCENE_SEED" \
  --split 85,5,10 --size 512 --workers "$WORKERS" || exit 1

# --- inference figures on this machine (architecture-only: the same graph as the model trained) --
bench_backend() { # bench_backend NAME EXECUTION_PROVIDERS RUNS
  local name=$1 eps=$2 runs=$3 port=$((18700 + RANDOM % 500)) secret pid ok=0
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  BACKEND_HOST=127.0.0.1 BACKEND_PORT=$port BACKEND_SIGNING_SECRET=$secret LOG_LEVEL=warn \
    MODEL_PATH=models/lanesegnet-lite.onnx LOCAL_STORE_DIR=gpu-backend/demo-store ENABLED_PROVIDERS=local \
    EXECUTION_PROVIDERS=$eps node "$G/backend/main.js" >"$L/backend-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 90); do
    if python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$port/readyz', timeout=2).read().decode())" \
      >"$L/readyz-$name.json" 2>/dev/null; then ok=1; break; fi
    sleep 1
  done
  say "backend $name ready=$ok: $(cat "$L/readyz-$name.json" 2>/dev/null)"
  [ $ok = 1 ] && step "bench:backend $name" 150 node "$G/b/bench.mjs" --url "http://127.0.0.1:$port" \
    --secret "$secret" --runs "$runs" --json "$L/bench-backend-$name.json"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  save_logs
}
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  M=models/lanesegnet-lite.onnx
  for ep in webgpu cpu; do
    th=$(nproc)
    for shape in "--size 512 --batch 1" "--size 1024 --batch 1" "--size 512 --batch 4"; do
      # shellcheck disable=SC2086 # shape is two flags on purpose
      step "ort-latency $ep $shape" 90 node "$G/ort-latency.mjs" "$M" $shape --runs 20 --warmup 3 \
        --threads "$th" --ep "$ep" --json
    done
  done
  bench_backend webgpu webgpu,cpu 30
  bench_backend cpu cpu 15
fi

# --- training: warm start from the shipped model (or from scratch with INIT=none) ---------------
budget_min() { # minutes left for training before DEADLINE, keeping 75 s for the steps after it
  python3 -c "print(round(max(0.0, min($TRAIN_MIN, ($DEADLINE - ($(date +%s) - $T0) - 75) / 60)), 2))"
}
INIT=${INIT:-$G/init.pt}
INIT_FLAGS=()
[ "$INIT" = none ] || INIT_FLAGS=(--init-weights "$INIT")
TRAIN=(python3 models/training/train.py --data "$DATA" "${INIT_FLAGS[@]}" --device "$DEVICE"
  --crop 512 --batch 32 --lr 2e-3 --warmup-steps 100 --max-class-weight 5 --steps-per-epoch 200
  --epochs 500 --patience 0 --max-val-images 120 --log-every 50
  --loader-timeout 60 --keep-epoch-checkpoints 1 --seed 3)
# shellcheck disable=SC2086 # TRAIN_ARGS is a list of flags
B=$(budget_min)
say "training budget $B min"
step train "$(python3 -c "print(int($B * 60 + 60))")" "${TRAIN[@]}" --time-budget-min "$B" --run-dir "$RUN" \
  --workers "$WORKERS" $TRAIN_ARGS
B=$(budget_min)
if [ ! -f "$RUN/best.pt" ] && python3 -c "import sys; sys.exit(0 if $B >= 1 else 1)"; then
  # A DataLoader worker that hangs (seen once with forked cv2 workers) must not cost the session:
  # the same run in the main process is slower but still a GPU run.
  say "no checkpoint: training again without loader workers"
  # shellcheck disable=SC2086
  step train-noworkers "$(python3 -c "print(int($B * 60 + 60))")" "${TRAIN[@]}" --time-budget-min "$B" \
    --run-dir "$RUN-w0" --workers 0 $TRAIN_ARGS
  RUN=$RUN-w0
fi
cp "$RUN/log.jsonl" "$L/train-log.jsonl" 2>/dev/null
save_logs
[ -f "$RUN/best.pt" ] || exit 1
cp "$RUN/best.pt" "$OUT/best.pt"

# --- calibration, export, parity ----------------------------------------------------------------
step calibrate 120 python3 models/training/calibrate.py --checkpoint "$RUN/best.pt" --data "$DATA" \
  --images 240 --biases=-1:4:0.5 --json "$L/calibration.json" --write "$RUN/calibrated.pt"
CK=$RUN/calibrated.pt
[ -f "$CK" ] || CK=$RUN/best.pt
cp "$CK" "$OUT/calibrated.pt"
step export 120 python3 models/training/export.py --checkpoint "$CK" --name lanesegnet-lite \
  --version "$VERSION" --out-dir "$L/model" &&
  cp "$L/model/lanesegnet-lite.onnx" "$L/model/lanesegnet-lite.json" "$OUT/"
step parity 120 python3 models/training/parity.py --checkpoint "$CK" --data "$DATA" --out "$L/parity" \
  --count 3 --size 512 --onnx "$L/model/lanesegnet-lite.onnx"
rm -f "$L"/parity/*.bin "$L"/parity/*.f32 2>/dev/null
save_logs
say "done"
