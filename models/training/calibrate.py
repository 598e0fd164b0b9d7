"""Choose the background-logit offset that maximises val lane mIoU (prior correction).

    python3 models/training/calibrate.py --checkpoint RUN/best.pt --data DATA [--images 120]
        --write RUN/calibrated.pt
    python3 models/training/export.py --checkpoint RUN/calibrated.pt ...

Why: the loss weights marking pixels up to --max-class-weight times more than background, so the
trained network over-predicts markings (wide, blobby lines: high recall, low precision). Adding a
constant to the background logit undoes that prior shift without retraining. The offset is chosen
on the **val** split only (the test split stays unread: data.open_split refuses it). --write saves
a copy of the checkpoint with the offset folded into the final bias (model.add_logit_biases),
so export.py, parity.py and every consumer of the ONNX file see the calibrated model, and
export.py records the offset in the JSON card.

--per-class then searches one offset per marking class (coordinate ascent on val lane mIoU, the
background offset held at its best): the weighted loss does not shift every class by the same
amount, and a rare class the network over-predicts (e.g. double white on faint single lines)
costs the IoU of the class it is confused with as well. Same split, same guard.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_errors import OneLineArgumentParser, image_count, output_file_problem, require_modules  # noqa: E402

require_modules("calibrate.py", "numpy", "torch", "cv2")

import numpy as np
import torch

from data import MEAN_255, STD_255, open_split  # noqa: E402
from metrics import SegMetrics  # noqa: E402
from model import add_logit_biases, load_checkpoint, model_from_checkpoint  # noqa: E402


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
    ap = OneLineArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint to calibrate")
    ap.add_argument("--data", required=True, help="data set root; its val split is used")
    ap.add_argument("--images", type=image_count, default=120, help="val images to score, 0 = all (default 120)")
    ap.add_argument("--biases", default="-1:4:0.5", help="offsets LO:HI:STEP to try (default -1:4:0.5)")
    ap.add_argument("--per-class", action="store_true",
                    help="then search one offset per marking class (coordinate ascent, see above)")
    ap.add_argument("--class-biases", default="-1.5:1.5:0.25",
                    help="per-class offsets LO:HI:STEP to try with --per-class (default -1.5:1.5:0.25)")
    ap.add_argument("--rounds", type=int, default=2, help="coordinate-ascent rounds with --per-class (default 2)")
    ap.add_argument("--json", help="write every offset's metrics here")
    ap.add_argument("--write", metavar="CKPT", help="write the checkpoint with the best offset folded in")
    args = ap.parse_args()

    try:
        biases = parse_range(args.biases)
        class_biases = parse_range(args.class_biases)
    except ValueError as e:
        ap.error(str(e))
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    for flag, path in (("--json", args.json), ("--write", args.write)):
        problem = output_file_problem(path) if path else None
        if problem:
            ap.error(f"{flag} {path}: {problem}")
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
    kept: List[Tuple[torch.Tensor, torch.Tensor]] = []  # (fp16 logits, labels) for --per-class
    for i in range(len(ds)):
        img, lab = ds.load(i)
        h, w = (s // mult * mult for s in img.shape[:2])
        x = torch.from_numpy(np.ascontiguousarray(img[:h, :w])).permute(2, 0, 1)[None].float().to(device)
        logits = model((x - mean) / std)
        y = torch.from_numpy(np.ascontiguousarray(lab[:h, :w])).long()[None].to(device)
        if args.per_class:
            kept.append((logits.half(), y.to(torch.uint8)))
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
    offsets = [float(best["background_bias"])] + [0.0] * (cfg.num_classes - 1)
    per_class = None
    if args.per_class:
        offsets, per_class = search_class_offsets(kept, offsets, class_biases, args.rounds, device)
        print("per-class offsets (background first): " + ", ".join(f"{v:+.2f}" for v in offsets))
        print(f"val lane mIoU {fmt(best['lane_miou'])} -> {fmt(per_class['lane_miou'])}, "
              f"binary IoU {fmt(best['binary_iou'])} -> {fmt(per_class['binary_iou'])}, "
              f"relaxed F1 {fmt(best['relaxed_f1_3px'])} -> {fmt(per_class['relaxed_f1_3px'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"images": len(ds), "rows": rows, "best": best, "class_offsets": offsets, "per_class": per_class},
            indent=2))
    if args.write:
        model = model.cpu()
        add_logit_biases(model, offsets)
        prior = ckpt.get("calibration") or {}
        prior_vec = prior.get("class_logit_bias") or (
            [float(prior.get("background_logit_bias", 0.0))] + [0.0] * (cfg.num_classes - 1))
        total = [round(a + float(b), 4) for a, b in zip(offsets, prior_vec)]
        ckpt["model"] = model.state_dict()
        ckpt["calibration"] = {
            "background_logit_bias": total[0],
            "class_logit_bias": total,
            "selected_on": f"val split, {len(ds)} images, max lane mIoU"
                           + (" (background offset, then per-class coordinate ascent)" if per_class else ""),
            "val_metrics": per_class or best,
        }
        torch.save(ckpt, args.write)
        print(f"wrote {args.write}")


class OffsetScorer:
    """Confusion matrices of argmax(logits + offsets) for many offset vectors, fast.

    Only pixels whose argmax can change are kept: with the background offset fixed and every marking
    offset within [lo, hi], a pixel whose background logit beats every marking logit + hi, or
    whose class k beats every other class even with k at lo and the others at hi, always gets the
    same class. Those pixels (the vast majority) are counted once; each trial scores only the rest.
    """

    def __init__(self, kept: List[Tuple[torch.Tensor, torch.Tensor]], background: float, lo: float, hi: float,
                 n: int, device: torch.device):
        self.n = n
        self.fixed = torch.zeros(n * n, dtype=torch.int64, device=device)
        var_logits, var_labels = [], []
        for logits16, y in kept:
            t = y.long().flatten()
            z = logits16.float()[0].reshape(n, -1)
            valid = t != 255
            t, z = t[valid], z[:, valid]
            z[0] += background
            marks = z[1:]
            top2 = marks.topk(2, dim=0)
            always_bg = z[0] > top2.values[0] + hi
            best_k = top2.indices[0] + 1
            always_k = (top2.values[0] + lo > top2.values[1] + hi) & (top2.values[0] + lo > z[0])
            pred = torch.where(always_bg, torch.zeros_like(best_k), best_k)
            fixed = always_bg | always_k
            self.fixed += torch.bincount(t[fixed] * n + pred[fixed], minlength=n * n)
            var_logits.append(z[:, ~fixed].T.contiguous())
            var_labels.append(t[~fixed])
        self.var_logits = torch.cat(var_logits) if var_logits else torch.zeros((0, n), device=device)
        self.var_labels = torch.cat(var_labels) if var_labels else torch.zeros(0, dtype=torch.int64, device=device)

    def confusion(self, offsets: torch.Tensor) -> torch.Tensor:
        """offsets: the marking classes' offsets at index 1..n-1 (index 0, background, is ignored)."""
        o = offsets.clone()
        o[0] = 0.0  # the background offset is already inside the kept logits
        pred = (self.var_logits + o.view(1, -1)).argmax(1)
        conf = self.fixed + torch.bincount(self.var_labels * self.n + pred, minlength=self.n * self.n)
        return conf.view(self.n, self.n)


def lane_miou_of(conf: torch.Tensor) -> float:
    c = conf.double()
    tp, gt, pr = c.diag(), c.sum(1), c.sum(0)
    ious = [float(tp[k] / (gt[k] + pr[k] - tp[k])) for k in range(1, c.shape[0]) if gt[k] > 0]
    return sum(ious) / len(ious) if ious else -1.0


def search_class_offsets(kept: List[Tuple[torch.Tensor, torch.Tensor]], start: List[float], grid: List[float],
                         rounds: int, device: torch.device) -> Tuple[List[float], Dict[str, object]]:
    """Coordinate ascent on lane mIoU over the marking classes' offsets (background held fixed)."""
    n = len(start)
    cur = torch.tensor(start, dtype=torch.float32, device=device)
    scorer = OffsetScorer(kept, float(cur[0]), min(min(grid), 0.0), max(max(grid), 0.0), n, device)
    print(f"per-class search over {scorer.var_labels.numel()} pixels whose class an offset can change")
    best_score = lane_miou_of(scorer.confusion(cur))
    for r in range(rounds):
        changed = False
        for k in range(1, n):
            for v in grid:
                trial = cur.clone()
                trial[k] = v
                score = lane_miou_of(scorer.confusion(trial))
                if score > best_score + 1e-6:
                    best_score, cur, changed = score, trial, True
            print(f"round {r + 1}, class {k}: offset {float(cur[k]):+.2f}, val lane mIoU {best_score:.4f}",
                  flush=True)
        if not changed:
            break
    final = SegMetrics(device=device)
    for logits, y in kept:
        final.update((logits.float() + cur.view(1, -1, 1, 1)).argmax(1), y.long())
    m = final.compute()
    return [round(float(v), 4) for v in cur], {
        k: m[k] for k in ("lane_miou", "binary_iou", "relaxed_f1_3px", "relaxed_precision_3px", "relaxed_recall_3px")}


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("calibrate.py", main)
