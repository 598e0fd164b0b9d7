"""--freeze-bn keeps every BatchNorm as the warm start left it (run by `npm run train:smoke`)."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model import build_model  # noqa: E402
from train import freeze_batchnorm, param_groups, train_mode  # noqa: E402


def batchnorms(model: torch.nn.Module):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


class FreezeBatchNormTest(unittest.TestCase):
    def test_frozen_batchnorm_keeps_statistics_and_parameters(self) -> None:
        torch.manual_seed(0)
        model = build_model(None)
        self.assertTrue(batchnorms(model))
        freeze_batchnorm(model)
        train_mode(model, freeze_bn=True)
        before = [(bn.running_mean.clone(), bn.running_var.clone(), bn.weight.clone()) for bn in batchnorms(model)]
        groups = param_groups(model, 1e-4)
        opt = torch.optim.AdamW(groups, lr=1e-2)
        x = torch.randn(2, 3, 64, 64) * 3 + 1
        model(x).square().mean().backward()
        opt.step()
        for bn, (mean, var, weight) in zip(batchnorms(model), before):
            self.assertFalse(bn.training)
            self.assertTrue(torch.equal(bn.running_mean, mean))
            self.assertTrue(torch.equal(bn.running_var, var))
            self.assertTrue(torch.equal(bn.weight, weight))
        trained = sum(p.numel() for g in groups for p in g["params"])
        frozen = sum(p.numel() for bn in batchnorms(model) for p in bn.parameters())
        self.assertEqual(trained + frozen, sum(p.numel() for p in model.parameters()))

    def test_without_the_flag_batchnorm_trains(self) -> None:
        torch.manual_seed(0)
        model = build_model(None)
        train_mode(model, freeze_bn=False)
        bn = batchnorms(model)[0]
        mean = bn.running_mean.clone()
        model(torch.randn(2, 3, 64, 64) * 3 + 1)
        self.assertTrue(bn.training)
        self.assertFalse(torch.equal(bn.running_mean, mean))


if __name__ == "__main__":
    unittest.main()
