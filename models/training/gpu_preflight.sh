#!/usr/bin/env bash
# Preflight on the GPU machine before a long run (1-3 minutes, every step under a timeout):
# guard test, a short bf16 run with DataLoader workers, resume for one more epoch, ONNX export with
# the installed torch, parity in Python onnxruntime, and the throughput the run reached.
#   usage (repo root): bash models/training/gpu_preflight.sh DATA [WORKDIR]
#   PREFLIGHT_ARGS="--device cpu --crop 128 --batch 4" adds train.py flags (e.g. to try it on a CPU)
set -euo pipefail
USAGE="usage (repo root): bash models/training/gpu_preflight.sh DATA [WORKDIR]"
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then echo "$USAGE"; exit 0; fi
if [ $# -lt 1 ]; then echo "gpu_preflight: DATA is required; $USAGE" >&2; exit 2; fi
DATA="$1"
W="${2:-/tmp/lanesegnet-preflight}"
PY="${PYTHON:-python3}"
T=models/training
export PYTHONUNBUFFERED=1
# WORKDIR is emptied first: only a folder this script made (its marker file) or an empty one, and
# never one that holds DATA (it deleted the data set it was given as both).
MARK=.lanesegnet-preflight
data_abs="$(cd "$DATA" 2>/dev/null && pwd -P)" || { echo "gpu_preflight: DATA $DATA is not a folder" >&2; exit 2; }
if [ -e "$W" ]; then
  w_abs="$(cd "$W" 2>/dev/null && pwd -P)" || { echo "gpu_preflight: WORKDIR $W is not a folder" >&2; exit 2; }
  case "$data_abs/" in "$w_abs"/*) echo "gpu_preflight: WORKDIR $W holds DATA $DATA" >&2; exit 2 ;; esac
  if [ ! -f "$W/$MARK" ] && [ -n "$(ls -A "$W")" ]; then
    echo "gpu_preflight: WORKDIR $W is not empty and was not made by this script; give another" >&2
    exit 2
  fi
fi
rm -rf "$W"
mkdir -p "$W"
touch "$W/$MARK"
"$PY" -c "import torch, cv2; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'cv2', cv2.__version__)"
timeout 120 "$PY" -m unittest "$T/test_guard.py"
timeout 240 "$PY" "$T/train.py" --data "$DATA" --run-dir "$W/run" --epochs 2 --steps-per-epoch 40 \
  --batch 16 --max-val-images 8 --log-every 20 ${PREFLIGHT_ARGS:-}
timeout 120 "$PY" "$T/train.py" --resume "$W/run/last.pt" --epochs 3 --log-every 20
timeout 120 "$PY" "$T/export.py" --checkpoint "$W/run/best.pt" --name preflight --out-dir "$W/model"
timeout 120 "$PY" "$T/parity.py" --checkpoint "$W/run/best.pt" --data "$DATA" --out "$W/parity" \
  --count 2 --size 512 --onnx "$W/model/preflight.onnx"
"$PY" - "$W/run/log.jsonl" <<'PYEOF'
import json, sys
for r in map(json.loads, open(sys.argv[1])):
    if r["type"] == "epoch":
        print(f"epoch {r['epoch']}: {r['img_per_s']} img/s, data wait {r['data_wait_s']} s of {r['train_s']} s, "
              f"val {r['val_s']} s, lane mIoU {r['val']['lane_miou']}")
PYEOF
echo "preflight passed: $W"
