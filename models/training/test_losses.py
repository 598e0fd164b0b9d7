"""Unit tests of the loss terms (run by scripts/model/train-smoke.sh, i.e. `npm run train:smoke`)."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))

from losses import IGNORE, SegLoss, lovasz_softmax  # noqa: E402


def one_hot(labels: torch.Tensor, n: int = 7) -> torch.Tensor:
    return F.one_hot(labels, n).permute(0, 3, 1, 2).float()


class LovaszTest(unittest.TestCase):
    def test_hard_predictions_give_one_minus_iou(self) -> None:
        # On one-hot probabilities the Lovász extension equals the Jaccard loss exactly.
        g = torch.Generator().manual_seed(1)
        target = torch.randint(0, 3, (2, 12, 12), generator=g)
        pred = target.clone()
        flip = torch.rand((2, 12, 12), generator=g) < 0.3
        pred[flip] = torch.randint(0, 3, (int(flip.sum()),), generator=g)
        loss = lovasz_softmax(one_hot(pred, 3), target, classes=[1, 2])
        ious = []
        for k in (1, 2):
            inter = ((pred == k) & (target == k)).sum().item()
            union = ((pred == k) | (target == k)).sum().item()
            ious.append(inter / union)
        self.assertAlmostEqual(float(loss), 1 - sum(ious) / 2, places=5)

    def test_ignored_pixels_and_absent_classes_do_not_count(self) -> None:
        target = torch.zeros((1, 8, 8), dtype=torch.long)
        target[0, 2, :] = 1
        pred = target.clone()
        target_ignored = target.clone()
        target_ignored[0, 5, :] = IGNORE
        pred[0, 5, :] = 1  # wrong, but only where the label is ignored
        loss = lovasz_softmax(one_hot(pred, 7), target_ignored, classes=range(1, 7))
        self.assertAlmostEqual(float(loss), 0.0, places=6)

    def test_segloss_adds_the_term_only_when_weighted_and_it_has_a_gradient(self) -> None:
        torch.manual_seed(0)
        target = torch.randint(0, 7, (2, 16, 16))
        logits = torch.randn(2, 7, 16, 16, requires_grad=True)
        off = SegLoss([1.0] * 7).components(logits, target)
        on = SegLoss([1.0] * 7, lovasz_weight=0.5).components(logits, target)
        self.assertEqual(float(off[3]), 0.0)
        self.assertGreater(float(on[3]), 0.0)
        self.assertAlmostEqual(float(on[0]), float(off[0]) + 0.5 * float(on[3]), places=5)
        on[0].backward()
        self.assertGreater(float(logits.grad.abs().sum()), 0.0)


if __name__ == "__main__":
    unittest.main()
