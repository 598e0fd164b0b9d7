#!/usr/bin/env bash
# Runs ON a lent GPU machine, from the repo root, after scripts/gpu/bundle.sh prepared .gpu/ here
# and the device tool carried it (docs/GPU-TRAINING.md). One script, one call: generate scenes
# with the carried Node, train on the GPU, export, check parity, measure webgpu inference and score
# the synthetic test split. Every stage is timed; results land in $OUT.
set -uo pipefail
: "${OUT:?OUT must name the folder whose files come back}"
SCENES=${SCENES:-2400}
SIZE=${SIZE:-1024}
TRAIN_MIN=${TRAIN_MIN:-5}
SEED=${SEED:-20261126}
NAME=${NAME:-lanesegnet-lite}
exec > >(tee "$OUT/device.log") 2>&1
T0=$SECONDS
stage() { echo "=== [$((SECONDS - T0))s] $*"; }

stage setup
mkdir -p /tmp/nodebin && xz -dc .gpu/node.xz >/tmp/nodebin/node && chmod +x /tmp/nodebin/node
export PATH=/tmp/nodebin:$PATH
tar xJf .gpu/nm.tar.xz -C .gpu
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "cores $(nproc); node $(node --version)"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

stage "scenes: $SCENES at ${SIZE}px"
node .gpu/dist/scenes/cli.mjs --out /tmp/data --count "$SCENES" --seed "$SEED" --split 80,10,10 \
  --size "$SIZE" --workers "$(nproc)" || { echo "scene generation failed"; exit 1; }
cp /tmp/data/manifest.json "$OUT/data-manifest.json"

stage "train: $TRAIN_MIN min"
PYTHONUNBUFFERED=1 python3 models/training/train.py --data /tmp/data --run-dir /tmp/run --device cuda \
  --amp bf16 --time-budget-min "$TRAIN_MIN" --epochs 500 --steps-per-epoch 250 --batch 32 \
  --workers "$(($(nproc) - 2))" --patience 0 --max-val-images 160 --log-every 100 ${TRAIN_ARGS:-}
cp /tmp/run/log.jsonl "$OUT/train-log.jsonl"
cp /tmp/run/best.pt "$OUT/best.pt" || { echo "no checkpoint"; exit 1; }

stage export
python3 models/training/export.py --checkpoint /tmp/run/best.pt --out-dir /tmp/model --name "$NAME" &&
  cp /tmp/model/"$NAME".onnx /tmp/model/"$NAME".json "$OUT/"

stage "parity (PyTorch vs onnxruntime-node)"
python3 models/training/parity.py --checkpoint /tmp/run/best.pt --data /tmp/data --out /tmp/parity &&
  node .gpu/dist/tools/parity.mjs --model /tmp/model/"$NAME".onnx --dir /tmp/parity | tee "$OUT/parity.txt"

stage "webgpu provider"
for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export LD_LIBRARY_PATH=/usr/local/nvidia/lib64:${LD_LIBRARY_PATH:-}
for ep in webgpu cpu; do
  for size in 512 1024; do
    node .gpu/dist/tools/ort-latency.mjs /tmp/model/"$NAME".onnx --ep "$ep" --size "$size" --runs 20 --threads "$(nproc)"
  done
done | tee "$OUT/latency.txt"

stage "eval: synthetic test split (webgpu)"
node .gpu/dist/eval/cli.mjs --data /tmp/data --split test --model /tmp/model/"$NAME".onnx --ep webgpu,cpu \
  --json "$OUT/eval-test.json"
stage done
