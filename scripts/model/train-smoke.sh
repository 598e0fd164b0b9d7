#!/usr/bin/env bash
# CI smoke test of the training pipeline (npm run train:smoke), < 3 minutes on 2 CPU cores:
# tiny data set -> test-split guard -> a few training steps -> calibration -> ONNX export -> parity
# in onnxruntime-node -> warm start from the ONNX file (from_onnx.py, parity again, a few steps).
# Needs a Python with torch, opencv, numpy and onnx: PYTHON (default /usr/bin/python3,
# Debian's python3-torch; not a pyenv python3 that lacks torch).
#   SMOKE_DIR=/tmp/x   keep the outputs there (default: a fresh temp folder, removed on success)
#   SMOKE_DATA=toy     use models/training/toy_data.py even when the scene generator exists
set -euo pipefail
if [ $# -gt 0 ]; then
  if [ "$1" = "--help" ] || [ "$1" = "-h" ]; then
    echo "usage: npm run train:smoke   (no arguments; env PYTHON, SMOKE_DIR=DIR keeps the outputs, SMOKE_DATA=toy)"
    exit 0
  fi
  echo "train:smoke: takes no arguments, got $1 (see --help)" >&2
  exit 2
fi
cd "$(dirname "$0")/../.."
PY="${PYTHON:-/usr/bin/python3}"
if ! "$PY" -c "import torch, cv2, numpy, onnx" 2>/dev/null; then
  echo "train:smoke needs $PY with torch, opencv, numpy and onnx (apt-get install python3-torch python3-opencv python3-numpy python3-onnx, or set PYTHON)" >&2
  exit 1
fi
WORK="${SMOKE_DIR:-$(mktemp -d /tmp/lanesegnet-smoke.XXXXXX)}"
DATA="$WORK/data"
rm -rf "$DATA" "$WORK/run" "$WORK/run2" "$WORK/model" "$WORK/parity" "$WORK/parity2"
start=$(date +%s)

echo "== data ($WORK)"
if [ -f scripts/scenes/cli.ts ] && [ "${SMOKE_DATA:-}" != "toy" ]; then
  npm run --silent scenes -- --out "$DATA" --count 12 --size 256 --seed 7 --split 70,10,20
else
  echo "(scene generator not present or SMOKE_DATA=toy: using toy_data.py)"
  "$PY" models/training/toy_data.py --out "$DATA" --count 12 --size 256 --seed 7 --split 70,10,20
fi

echo "== test-split guard, loss terms, --freeze-bn"
"$PY" -m unittest models/training/test_guard.py models/training/test_losses.py models/training/test_freeze_bn.py models/training/test_augment.py

echo "== train (CPU, a few steps)"
"$PY" models/training/train.py --data "$DATA" --run-dir "$WORK/run" --device cpu --workers 0 \
  --crop 128 --batch 4 --epochs 2 --steps-per-epoch 6 --warmup-steps 2 --log-every 6 --max-val-images 4
"$PY" - "$WORK/run/log.jsonl" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert recs[0]["type"] == "config" and recs[0]["data"]["n_train"] > 0, "log must start with the config"
epochs = [r for r in recs if r["type"] == "epoch"]
assert len(epochs) == 2 and recs[-1]["type"] == "end", "two epochs and an end record expected"
assert all(r["train_loss"] == r["train_loss"] for r in epochs), "NaN training loss"
print("log ok: train loss", " -> ".join(f"{r['train_loss']:.3f}" for r in epochs))
PYEOF

echo "== calibrate the background logit on val"
"$PY" models/training/calibrate.py --checkpoint "$WORK/run/best.pt" --data "$DATA" --images 4 --biases=-1:1:1 \
  --write "$WORK/run/calibrated.pt"

echo "== export"
"$PY" models/training/export.py --checkpoint "$WORK/run/calibrated.pt" --name smoke --out-dir "$WORK/model"
node -e 'const c=require(process.argv[1]); if(typeof c.calibration?.background_logit_bias!=="number") { console.error("card lacks calibration"); process.exit(1) }' "$WORK/model/smoke.json"

echo "== parity (onnxruntime-node)"
"$PY" models/training/parity.py --checkpoint "$WORK/run/calibrated.pt" --data "$DATA" --out "$WORK/parity" --count 2 --size 256
npx tsx scripts/model/parity.ts --onnx "$WORK/model/smoke.onnx" --model-json "$WORK/model/smoke.json" --parity "$WORK/parity"

echo "== warm start from the ONNX file: the rebuilt checkpoint must match it, then train on"
"$PY" models/training/from_onnx.py --onnx "$WORK/model/smoke.onnx" --model-json "$WORK/model/smoke.json" \
  --data "$DATA" --images 2 --out "$WORK/warm.pt"
"$PY" models/training/parity.py --checkpoint "$WORK/warm.pt" --data "$DATA" --out "$WORK/parity2" --count 2 --size 256
npx tsx scripts/model/parity.ts --onnx "$WORK/model/smoke.onnx" --model-json "$WORK/model/smoke.json" --parity "$WORK/parity2"
"$PY" models/training/train.py --data "$DATA" --run-dir "$WORK/run2" --init-weights "$WORK/warm.pt" --device cpu \
  --workers 0 --crop 128 --batch 4 --epochs 1 --steps-per-epoch 3 --warmup-steps 1 --log-every 3 --max-val-images 2
grep -q '"init_weights": "'"$WORK/warm.pt"'"' "$WORK/run2/log.jsonl" || { echo "run log must record --init-weights" >&2; exit 1; }

echo "== evaluation CLI (TypeScript, production pre-processing) on the val split"
npx tsx scripts/eval/cli.ts --data "$DATA" --split val --model "$WORK/model/smoke.onnx" --json "$WORK/eval.json" --pred-out "$WORK/pred"
node -e 'const r=require(process.argv[1]); if(!(r.images>0&&r.pixels>0&&typeof r.laneMIoU==="number")) process.exit(1)' "$WORK/eval.json"
[ "$(ls "$WORK/pred" | wc -l)" -eq "$(ls "$DATA/img_dir/val" | wc -l)" ] || { echo "one predicted mask per image expected" >&2; exit 1; }
# Others score these masks with their own tools: one grey channel of class ids, like ann_dir.
"$PY" -c 'import cv2, glob, sys
for f in glob.glob(sys.argv[1] + "/*.png"):
    m = cv2.imread(f, cv2.IMREAD_UNCHANGED)
    if m is None or m.ndim != 2 or m.max() > 6: sys.exit(f"{f}: not a one-channel mask of class ids 0-6")' "$WORK/pred"

echo "== train:smoke passed in $(( $(date +%s) - start ))s"
if [ -z "${SMOKE_DIR:-}" ]; then rm -rf "$WORK"; fi
