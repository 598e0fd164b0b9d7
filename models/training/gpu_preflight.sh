#!/usr/bin/env bash
# Preflight on the GPU machine before a long run (1-3 minutes, every step under a timeout):
# guard test, a short bf16 run with DataLoader workers, resume for one more epoch, ONNX export with
# the installed torch, parity in Python onnxruntime, and the throughput the run reached.
#   usage (repo root): bash models/training/gpu_preflight.sh DATA [WORKDIR]
#   PREFLIGHT_ARGS="--device cpu --crop 128 --batch 4" adds train.py flags (e.g. to try it on a CPU)
set -euo pipefail
DATA="$1"
W="${2:-/tmp/lanesegnet-preflight}"
PY="${PYTHON:-python3}"
T=models/training
export PYTHONUNBUFFERED=1
rm -rf "$W"
mkdir -p "$W"
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
