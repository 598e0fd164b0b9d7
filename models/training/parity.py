"""Write PyTorch reference outputs for the ONNX parity check (scripts/model/parity.ts).

    python3 models/training/parity.py --checkpoint RUN/best.pt --data DATA --out /tmp/parity
    npx tsx scripts/model/parity.ts --onnx models/NAME.onnx --model-json models/NAME.json --parity /tmp/parity

Takes a few images of the val split (centre crops whose sides are a multiple of the model's size
multiple), runs the checkpoint in fp32 on the CPU and writes, per image:
  image_K.u8     RGB uint8, HWC (what the production pre-processing starts from)
  input_K.f32    the normalised float32 NCHW input the model saw
  logits_K.f32   float32 NCHW logits
plus parity.json describing them. The TS side normalises image_K.u8 itself using the model JSON,
so the check covers the recorded normalisation as well as the ONNX graph.
If Python onnxruntime is installed (the GPU machine has it) and --onnx is given, it also compares
there, so the check can run where no Node is available.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_errors import OneLineArgumentParser, image_count, require_modules  # noqa: E402

require_modules("parity.py", "numpy", "torch", "cv2")

import numpy as np
import torch

from data import MEAN_255, STD_255, open_split  # noqa: E402
from model import load_checkpoint, model_from_checkpoint  # noqa: E402


def centre_crop(img: np.ndarray, size: int, mult: int) -> np.ndarray:
    h, w = img.shape[:2]
    ch = min(size, h) // mult * mult
    cw = min(size, w) // mult * mult
    if ch == 0 or cw == 0:
        raise ValueError(f"image {h}x{w} is smaller than the size multiple {mult}")
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(img[y0:y0 + ch, x0:x0 + cw])


def compare(ref: np.ndarray, got: np.ndarray) -> Dict[str, float]:
    return {"max_abs_diff": float(np.abs(ref - got).max()),
            "argmax_agreement": float((ref.argmax(1) == got.argmax(1)).mean())}


def main(argv: Optional[List[str]] = None) -> int:
    ap = OneLineArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint the ONNX file was exported from")
    ap.add_argument("--data", required=True, help="data set root; images come from its val split")
    ap.add_argument("--out", required=True, help="output folder for the raw float32 files and parity.json")
    ap.add_argument("--count", type=image_count, default=3, help="number of val images, 0 = all (default 3)")
    ap.add_argument("--size", type=int, default=512, help="centre-crop side in pixels (default 512)")
    ap.add_argument("--onnx", help="also compare with Python onnxruntime if it is installed")
    ap.add_argument("--max-diff", type=float, default=1e-3,
                    help="fail if max |logit diff| > this x max(1, max |logit|) (default 1e-3)")
    args = ap.parse_args(argv)
    # float() takes nan and inf, and a tolerance of nan or below 0 fails every comparison, inf none.
    if not (math.isfinite(args.max_diff) and args.max_diff >= 0):
        ap.error(f"--max-diff must be a finite number >= 0, got {args.max_diff}")

    ckpt = load_checkpoint(args.checkpoint)
    model, cfg = model_from_checkpoint(ckpt)
    model = model.float().eval()
    ds = open_split(args.data, "val", augment=False, max_items=args.count)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mean = np.array(MEAN_255, np.float32).reshape(1, 3, 1, 1)
    std = np.array(STD_255, np.float32).reshape(1, 3, 1, 1)
    items: List[Dict[str, Any]] = []
    refs = []
    for k in range(len(ds)):
        img, _ = ds.load(k)
        img = centre_crop(img, args.size, cfg.size_multiple)
        x = ((img.transpose(2, 0, 1)[None].astype(np.float32) - mean) / std).astype(np.float32)
        with torch.no_grad():
            logits = model(torch.from_numpy(x)).numpy().astype(np.float32)
        img.tofile(out / f"image_{k}.u8")
        x.tofile(out / f"input_{k}.f32")
        logits.tofile(out / f"logits_{k}.f32")
        refs.append((x, logits))
        items.append({"id": ds.ids()[k], "height": int(img.shape[0]), "width": int(img.shape[1]),
                      "image_u8": f"image_{k}.u8", "input": f"input_{k}.f32", "logits": f"logits_{k}.f32",
                      "logits_shape": list(logits.shape)})
    meta = {"checkpoint": str(args.checkpoint), "torch": torch.__version__,
            "normalization": {"scale": "0-255", "mean": list(MEAN_255), "std": list(STD_255)},
            "num_classes": cfg.num_classes, "items": items}
    (out / "parity.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {len(items)} parity samples to {out}")

    if args.onnx:
        try:
            import onnxruntime as ort  # type: ignore
        except ImportError:
            print("python onnxruntime not installed: run scripts/model/parity.ts for the check")
            return 0
        sess = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
        ok = True
        for (x, ref), it in zip(refs, items):
            got = sess.run(["logits"], {"image": x})[0]
            c = compare(ref, got)
            tol = args.max_diff * max(1.0, float(np.abs(ref).max()))
            ok = ok and c["argmax_agreement"] >= 0.999 and c["max_abs_diff"] <= tol
            print(f"{it['id']}: max |diff| {c['max_abs_diff']:.2e} (tol {tol:.1e}), "
                  f"argmax agreement {c['argmax_agreement'] * 100:.4f} % (python onnxruntime {ort.__version__})")
        if not ok:
            print("FAIL: argmax agreement below 99.9 % or logits differ too much")
            return 1
    return 0


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("parity.py", main)
