"""Resuming from a checkpoint continues the same run (issue 4's "must show"), and a resume on
another validation set does not compare best scores across the two sets."""

from __future__ import annotations

import json
import sys
import tempfile
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train  # noqa: E402
from model import load_checkpoint  # noqa: E402
from toy_data import write_toy_dataset  # noqa: E402

COMMON = ["--device", "cpu", "--workers", "0", "--model", "lite-s", "--crop", "64", "--batch", "2",
          "--steps-per-epoch", "2", "--max-val-images", "2", "--patience", "0", "--log-every", "1000",
          "--seed", "5", "--cache-images", "off"]


def weights(path: Path) -> dict:
    return load_checkpoint(str(path))["model"]


def log_records(run: Path) -> list:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = write_toy_dataset(Path(cls.tmp.name) / "toy", count=10, size=96, seed=3, split="50,30,20")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def run_train(self, args: list) -> None:
        self.assertEqual(train.main(args), 0)

    def test_resume_gives_the_same_weights_as_an_uninterrupted_run(self) -> None:
        root = Path(self.tmp.name)
        straight, split = root / "straight", root / "split"
        self.run_train(["--data", str(self.data), "--run-dir", str(straight), "--epochs", "2", *COMMON])
        self.run_train(["--data", str(self.data), "--run-dir", str(split), "--epochs", "1", *COMMON])
        self.run_train(["--resume", str(split / "last.pt"), "--epochs", "2"])
        a, b = weights(straight / "last.pt"), weights(split / "last.pt")
        self.assertEqual(a.keys(), b.keys())
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)
        ck_a, ck_b = load_checkpoint(str(straight / "last.pt")), load_checkpoint(str(split / "last.pt"))
        for k in ("epoch", "global_step", "best_metric", "best_epoch", "run_id"):
            if k == "run_id":
                self.assertNotEqual(ck_a[k], ck_b[k])  # two runs; the resumed one kept its own id
                self.assertEqual(ck_b[k], log_records(split)[0]["run_id"])
            else:
                self.assertEqual(ck_a[k], ck_b[k], k)

    def test_resume_on_another_validation_set_starts_selection_over(self) -> None:
        run = Path(self.tmp.name) / "other-val"
        self.run_train(["--data", str(self.data), "--run-dir", str(run), "--epochs", "1", *COMMON])
        self.run_train(["--resume", str(run / "last.pt"), "--epochs", "2", "--max-val-images", "1"])
        resumed = [r for r in log_records(run) if r.get("type") == "resume"]
        self.assertEqual(len(resumed), 1)
        self.assertTrue(resumed[0]["data"].get("val_set_changed"))
        # The epoch after the resume is the first of the new comparison, so it is the best.
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["best_epoch"], 2)


if __name__ == "__main__":
    unittest.main()
