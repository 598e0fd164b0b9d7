"""Segmentation metrics over a whole split, as DATA.md defines them.

One confusion matrix is accumulated over every pixel of the split (not a mean of per-image
scores); ignore pixels (255) count nowhere.
- per-class IoU = TP / (TP + FP + FN);
- lane mIoU = mean IoU over classes 1-6 that occur in the ground truth;
- mIoU (MMSeg convention, flattering) = the same over classes 0-6 that occur in the ground truth;
- binary marking IoU = IoU of "any marking" (class >= 1) vs background;
- relaxed F1 at 3 px: precision = predicted marking pixels within 3 px (Euclidean) of a true
  marking pixel / predicted marking pixels; recall = true marking pixels within 3 px of a predicted
  marking pixel / true marking pixels; counts are summed over the split.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

CLASS_NAMES: List[str] = [
    "background",
    "single_white_solid",
    "single_white_dashed",
    "single_yellow_solid",
    "single_yellow_dashed",
    "double_white_solid",
    "double_yellow_solid",
]
NUM_CLASSES = len(CLASS_NAMES)
MARKING_CLASSES = list(range(1, NUM_CLASSES))
IGNORE = 255
RELAX_PX = 3


def disk_kernel(radius: int, device: torch.device) -> torch.Tensor:
    r = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    d2 = r.view(-1, 1) ** 2 + r.view(1, -1) ** 2
    return (d2 <= radius * radius).float().view(1, 1, 2 * radius + 1, 2 * radius + 1)


def dilate(mask: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Binary dilation of [N,H,W] bool by a (2r+1)^2 kernel: pixels within r of a true pixel."""
    pad = kernel.shape[-1] // 2
    x = mask.unsqueeze(1).float()
    return (F.conv2d(x, kernel, padding=pad) > 0.5).squeeze(1)


class SegMetrics:
    def __init__(self, num_classes: int = NUM_CLASSES, device: torch.device | str = "cpu"):
        self.num_classes = num_classes
        self.device = torch.device(device)
        self.kernel = disk_kernel(RELAX_PX, self.device)
        self.reset()

    def reset(self) -> None:
        n = self.num_classes
        self.conf = torch.zeros((n, n), dtype=torch.int64, device=self.device)  # rows GT, cols pred
        self.relaxed = torch.zeros(4, dtype=torch.int64, device=self.device)  # pred, pred_hit, gt, gt_hit

    @torch.no_grad()
    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        """pred: [N,H,W] class ids; target: [N,H,W] class ids with 255 = ignore."""
        pred = pred.to(self.device).long()
        target = target.to(self.device).long()
        if pred.dim() == 2:
            pred, target = pred.unsqueeze(0), target.unsqueeze(0)
        valid = target != IGNORE
        n = self.num_classes
        idx = target[valid] * n + pred[valid].clamp(0, n - 1)
        self.conf += torch.bincount(idx, minlength=n * n).view(n, n)
        gt_m = valid & (target > 0)
        pr_m = valid & (pred > 0)
        gt_near = dilate(gt_m, self.kernel)
        pr_near = dilate(pr_m, self.kernel)
        self.relaxed += torch.stack([
            pr_m.sum(), (pr_m & gt_near).sum(), gt_m.sum(), (gt_m & pr_near).sum(),
        ])

    def compute(self) -> Dict[str, object]:
        conf = self.conf.double().cpu()
        tp = conf.diag()
        gt = conf.sum(1)
        pr = conf.sum(0)
        union = gt + pr - tp
        iou: List[Optional[float]] = []
        for c in range(self.num_classes):
            iou.append(float(tp[c] / union[c]) if gt[c] > 0 else None)
        lane = [iou[c] for c in MARKING_CLASSES if iou[c] is not None]
        allc = [v for v in iou if v is not None]
        # Binary: marking vs background.
        tp_b = conf[1:, 1:].sum()
        fp_b = conf[0, 1:].sum()
        fn_b = conf[1:, 0].sum()
        den_b = tp_b + fp_b + fn_b
        n_pred, pred_hit, n_gt, gt_hit = (int(v) for v in self.relaxed.cpu())
        prec = pred_hit / n_pred if n_pred else None
        rec = gt_hit / n_gt if n_gt else None
        # As scripts/eval/metrics.ts: None only when neither side can be measured; one unmeasured
        # side (nothing predicted, or nothing true) counts 0.
        f1 = None if prec is None and rec is None else (
            2 * (prec or 0) * (rec or 0) / ((prec or 0) + (rec or 0)) if (prec or 0) + (rec or 0) > 0 else 0.0)
        total = float(conf.sum())
        names = CLASS_NAMES[: self.num_classes]
        return {
            "lane_miou": sum(lane) / len(lane) if lane else None,
            "miou_mmseg": sum(allc) / len(allc) if allc else None,
            "binary_iou": float(tp_b / den_b) if den_b > 0 else None,
            "relaxed_f1_3px": f1,
            "relaxed_precision_3px": prec,
            "relaxed_recall_3px": rec,
            "pixel_accuracy": float(tp.sum() / total) if total else None,
            "per_class_iou": {names[c]: iou[c] for c in range(self.num_classes)},
            "gt_pixels": {names[c]: int(gt[c]) for c in range(self.num_classes)},
            "pixels": int(total),
        }
