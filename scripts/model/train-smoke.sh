#!/usr/bin/env bash
# CI smoke test of the training pipeline (npm run train:smoke), < 3 minutes on 2 CPU cores:
# tiny data set -> test-split guard -> a few training steps -> ONNX export -> parity in
# onnxruntime-node. Needs a Python with torch, opencv and numpy: PYTHON (default /usr/bin/python3,
# Debian's python3-torch; not a pyenv python3 that lacks torch).
#   SMOKE_DIR=/tmp/x   keep the outputs there (default: a fresh temp folder, removed on success)
#   SMOKE_DATA=toy     use models/training/toy_data.py even when the scene generator exists
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-/usr/bin/python3}"
if ! "$PY" -c "import torch, cv2, numpy" 2>/dev/null; then
  echo "train:smoke needs $PY with torch, opencv and numpy (apt-get install python3-torch python3-opencv python3-numpy, or set PYTHON)" >&2
  exit 1
fi
WORK="${SMOKE_DIR:-$(mktemp -d /tmp/lanesegnet-smoke.XXXXXX)}"
DATA="$WORK/data"
rm -rf "$DATA" "$WORK/run" "$WORK/model" "$WORK/parity"
start=$(date +%s)

echo "== data ($WORK)"
if [ -f scripts/scenes/cli.ts ] && [ "${SMOKE_DATA:-}" != "toy" ]; then
  npm run --silent scenes -- --out "$DATA" --count 12 --size 256 --seed 7 --split 70,10,20
else
  echo "(scene generator not present or SMOKE_DATA=toy: using toy_data.py)"
  "$PY" models/training/toy_data.py --out "$DATA" --count 12 --size 256 --seed 7 --split 70,10,20
fi

echo "== test-split guard"
"$PY" -m unittest models/training/test_guard.py

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

echo "== export"
"$PY" models/training/export.py --checkpoint "$WORK/run/best.pt" --name smoke --out-dir "$WORK/model"

echo "== parity (onnxruntime-node)"
"$PY" models/training/parity.py --checkpoint "$WORK/run/best.pt" --data "$DATA" --out "$WORK/parity" --count 2 --size 256
npx tsx scripts/model/parity.ts --onnx "$WORK/model/smoke.onnx" --model-json "$WORK/model/smoke.json" --parity "$WORK/parity"

echo "== evaluation CLI (TypeScript, production pre-processing) on the val split"
npx tsx scripts/eval/cli.ts --data "$DATA" --split val --model "$WORK/model/smoke.onnx" --json "$WORK/eval.json" --pred-out "$WORK/pred"
node -e 'const r=require(process.argv[1]); if(!(r.images>0&&r.pixels>0&&typeof r.laneMIoU==="number")) process.exit(1)' "$WORK/eval.json"
[ "$(ls "$WORK/pred" | wc -l)" -eq "$(ls "$DATA/img_dir/val" | wc -l)" ] || { echo "one predicted mask per image expected" >&2; exit 1; }

echo "== train:smoke passed in $(( $(date +%s) - start ))s"
if [ -z "${SMOKE_DIR:-}" ]; then rm -rf "$WORK"; fi
