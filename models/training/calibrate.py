"""Choose the background-logit offset that maximises val lane mIoU (prior correction).

    python3 models/training/calibrate.py --checkpoint RUN/best.pt --data DATA [--images 120]
        --write RUN/calibrated.pt
    python3 models/training/export.py --checkpoint RUN/calibrated.pt ...

Why: the loss weights marking pixels up to --max-class-weight times more than background, so the
trained network over-predicts markings (wide, blobby lines: high recall, low precision). Adding a
constant to the background logit undoes that prior shift without retraining. The offset is chosen
on the **val** split only (the test split stays unread: data.open_split refuses it). --write saves
a copy of the checkpoint with the offset folded into the final bias (model.add_background_bias),
so export.py, parity.py and every consumer of the ONNX file see the calibrated model, and
export.py records the offset in the JSON card.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import MEAN_255, STD_255, open_split  # noqa: E402
from metrics import SegMetrics  # noqa: E402
from model import add_background_bias, load_checkpoint, model_from_checkpoint  # noqa: E402


def parse_range(spec: str) -> List[float]:
    """'LO:HI:STEP' -> [LO, LO+STEP, ..., HI]; ValueError with a one-line reason otherwise."""
    parts = spec.split(":")
    if len(parts) != 3:
        raise ValueError(f"--biases must be LO:HI:STEP, got {spec!r}")
    lo, hi, step = (float(v) for v in parts)
    if not (step > 0 and hi >= lo):
        raise ValueError(f"--biases needs STEP > 0 and HI >= LO, got {spec!r}")
    n = int(round((hi - lo) / step)) + 1
    if n > 200:
        raise ValueError(f"--biases gives {n} offsets; at most 200")
    return [round(lo + i * step, 4) for i in range(n)]


def fmt(v: object) -> str:
    return "-" if v is None else f"{float(v):.4f}"  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint to calibrate")
    ap.add_argument("--data", required=True, help="data set root; its val split is used")
    ap.add_argument("--images", type=int, default=120, help="val images to score (default 120)")
    ap.add_argument("--biases", default="-1:4:0.5", help="offsets LO:HI:STEP to try (default -1:4:0.5)")
    ap.add_argument("--json", help="write every offset's metrics here")
    ap.add_argument("--write", metavar="CKPT", help="write the checkpoint with the best offset folded in")
    args = ap.parse_args()

    try:
        biases = parse_range(args.biases)
    except ValueError as e:
        ap.error(str(e))
    if not Path(args.checkpoint).is_file():
        ap.error(f"no checkpoint at {args.checkpoint}")
    torch.set_grad_enabled(False)
    ckpt = load_checkpoint(args.checkpoint)
    model, cfg = model_from_checkpoint(ckpt)
    # On the GPU machine the forward passes and the 11 confusion matrices run on the GPU (seconds
    # instead of minutes of its scarce time); the written checkpoint is CPU tensors either way.
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = model.to(device).eval()
    mult = cfg.size_multiple
    metrics: Dict[float, SegMetrics] = {b: SegMetrics(device=device) for b in biases}
    ds = open_split(args.data, "val", augment=False, max_items=args.images)
    mean = torch.tensor(MEAN_255, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD_255, device=device).view(1, 3, 1, 1)
    for i in range(len(ds)):
        img, lab = ds.load(i)
        h, w = (s // mult * mult for s in img.shape[:2])
        x = torch.from_numpy(np.ascontiguousarray(img[:h, :w])).permute(2, 0, 1)[None].float().to(device)
        logits = model((x - mean) / std)
        y = torch.from_numpy(np.ascontiguousarray(lab[:h, :w])).long()[None].to(device)
        for b in biases:
            shifted = logits.clone()
            shifted[:, 0] += b
            metrics[b].update(shifted.argmax(1), y)

    rows = []
    for b in biases:
        m = metrics[b].compute()
        rows.append({"background_bias": b, **{k: m[k] for k in ("lane_miou", "binary_iou", "relaxed_f1_3px", "relaxed_precision_3px", "relaxed_recall_3px") if k in m}})
    # A metric is None when the scored images hold no marking (tiny smoke sets): it ranks last.
    best = max(rows, key=lambda r: -1.0 if r["lane_miou"] is None else float(r["lane_miou"]))
    print(f"{'bias':>6} {'lane mIoU':>10} {'binary IoU':>11} {'relaxed F1':>11}")
    for r in rows:
        mark = "  <- best" if r is best else ""
        print(f"{r['background_bias']:>6.2f} {fmt(r['lane_miou']):>10} {fmt(r['binary_iou']):>11} "
              f"{fmt(r['relaxed_f1_3px']):>11}{mark}")
    print(f"best background bias on {len(ds)} val images: {best['background_bias']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"images": len(ds), "rows": rows, "best": best}, indent=2))
    if args.write:
        model = model.cpu()
        add_background_bias(model, float(best["background_bias"]))
        prior = ckpt.get("calibration") or {}
        ckpt["model"] = model.state_dict()
        ckpt["calibration"] = {
            "background_logit_bias": float(best["background_bias"]) + float(prior.get("background_logit_bias", 0.0)),
            "selected_on": f"val split, {len(ds)} images, max lane mIoU",
            "val_metrics": best,
        }
        torch.save(ckpt, args.write)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
