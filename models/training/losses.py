"""Loss for extreme class imbalance: weighted cross-entropy + soft Dice over the marking classes.

Why this pair (README.md has the longer version):
- Markings are ~1-3 % of pixels. Plain CE is dominated by background and learns to predict
  background everywhere with thin, broken lines.
- Class weights (inverse square root of pixel frequency, clipped) keep CE's per-pixel gradient
  well-behaved and calibrated enough for the confidence the API reports, while boosting markings.
- Soft Dice is computed per marking class over the whole batch: it is a region overlap, so it is
  insensitive to how few pixels a class has, and it directly optimises what we report (IoU-like
  overlap of thin structures). Dice is averaged over the marking classes present in the batch's
  ground truth, so rare classes (double yellow) are not drowned, and absent classes do not reward
  predicting nothing.
- Lovász-softmax optimises IoU more directly but needs a per-class sort of all pixels per step
  (slower at 512^2 x batch 32) and is unstable early in training; Dice + CE is the standard,
  cheap, robust choice. Lovász is available as an extra term (--lovasz-weight, off by default) for
  what its authors recommend: fine-tuning a network already trained with CE, where the IoU's own
  surrogate can move the boundaries of thin lines that CE + Dice leave a pixel off.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IGNORE = 255


def class_weights_from_frequencies(freq: Sequence[float], max_weight: float = 10.0) -> np.ndarray:
    """w_c = sqrt(f_background / f_c), clipped to [1, max_weight]; unseen classes get max_weight."""
    f = np.asarray(freq, dtype=np.float64)
    bg = max(f[0], 1e-12)
    w = np.where(f > 0, np.sqrt(bg / np.maximum(f, 1e-12)), max_weight)
    return np.clip(w, 1.0, max_weight).astype(np.float32)


def lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovász extension of the Jaccard loss w.r.t. sorted errors (Berman et al. 2018)."""
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1.0 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if gt_sorted.numel() > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1].clone()
    return jaccard


def lovasz_softmax(probs: torch.Tensor, target: torch.Tensor, classes: Sequence[int],
                   ignore_index: int = IGNORE) -> torch.Tensor:
    """Lovász-softmax over the whole batch, averaged over the given classes present in `target`.

    probs: [N, C, H, W] softmax probabilities; target: [N, H, W] class ids (ignore_index skipped).
    """
    c = probs.shape[1]
    p = probs.permute(0, 2, 3, 1).reshape(-1, c)
    t = target.reshape(-1)
    valid = t != ignore_index
    p, t = p[valid], t[valid]
    losses = []
    for k in classes:
        fg = (t == k).to(p.dtype)
        if not bool(fg.any()):
            continue
        errors = (fg - p[:, k]).abs()
        errors_sorted, perm = torch.sort(errors, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
    if not losses:
        return p.sum() * 0.0
    return torch.stack(losses).mean()


class SegLoss(nn.Module):
    def __init__(self, class_weights: Optional[Sequence[float]] = None, dice_weight: float = 1.0,
                 marking_classes: Sequence[int] = (1, 2, 3, 4, 5, 6), ignore_index: int = IGNORE,
                 lovasz_weight: float = 0.0):
        super().__init__()
        self.lovasz_weight = lovasz_weight
        w = torch.tensor(class_weights, dtype=torch.float32) if class_weights is not None else None
        self.register_buffer("class_weights", w if w is not None else torch.ones(0), persistent=False)
        self.use_weights = w is not None
        self.dice_weight = dice_weight
        self.marking_classes = list(marking_classes)
        self.ignore_index = ignore_index

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.components(logits, target)[0]

    def components(self, logits: torch.Tensor, target: torch.Tensor):
        logits = logits.float()  # loss in fp32 even under bf16 autocast
        target = target.long()
        ce = F.cross_entropy(logits, target, weight=self.class_weights if self.use_weights else None,
                             ignore_index=self.ignore_index)
        zero = torch.zeros((), device=logits.device)
        if self.dice_weight <= 0 and self.lovasz_weight <= 0:
            return ce, ce.detach(), zero, zero
        valid = (target != self.ignore_index)
        softmax = torch.softmax(logits, dim=1)
        lovasz = (lovasz_softmax(softmax, target, self.marking_classes, self.ignore_index)
                  if self.lovasz_weight > 0 else zero)
        if self.dice_weight <= 0:
            return ce + self.lovasz_weight * lovasz, ce.detach(), zero, lovasz.detach()
        probs = softmax * valid.unsqueeze(1)
        safe_t = torch.where(valid, target, torch.zeros_like(target))
        onehot = F.one_hot(safe_t, logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
        onehot = onehot * valid.unsqueeze(1)
        idx = torch.tensor(self.marking_classes, device=logits.device)
        p = probs.index_select(1, idx)
        t = onehot.index_select(1, idx)
        inter = (p * t).sum(dim=(0, 2, 3))
        denom = p.sum(dim=(0, 2, 3)) + t.sum(dim=(0, 2, 3))
        dice = (2 * inter + 1.0) / (denom + 1.0)
        present = (t.sum(dim=(0, 2, 3)) > 0).to(dice.dtype)
        n_present = present.sum()
        on_present = ((1 - dice) * present).sum() / n_present.clamp(min=1)
        # No marking in the batch: penalise predicted marking mass instead (false positives).
        # torch.where instead of an if: no host-device sync per step.
        fp_mass = p.sum() / (valid.sum() + 1.0)
        dice_loss = torch.where(n_present > 0, on_present, fp_mass)
        total = ce + self.dice_weight * dice_loss + self.lovasz_weight * lovasz
        return total, ce.detach(), dice_loss.detach(), lovasz.detach()
