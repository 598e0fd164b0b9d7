"""sweep.py refuses, in any spelling train.py would accept, the train.py flags it sets itself, and
a grid value given twice however spelt (1e-3 and 0.001: one run folder); it labels each run in its
table with the lr and batch the run recorded.

    /usr/bin/python3 -m unittest models/training/test_sweep.py      (from the repo root)
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sweep  # noqa: E402


class SweepArgs(unittest.TestCase):
    def refused(self, argv: list) -> str:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as stop:
            sweep.main(argv)
        self.assertEqual(stop.exception.code, 2, err.getvalue())
        lines = err.getvalue().strip().splitlines()
        self.assertEqual(len(lines), 1, err.getvalue())
        return lines[0]

    def test_flags_the_sweep_sets_are_refused_however_spelt(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sweep"
            base = ["--data", tmp, "--out", str(out), "--lrs", "1e-3", "--batches", "2", "--"]
            cases = [
                (["--batch=4"], "--batch is set by the sweep"),
                (["--lr=0.5"], "--lr is set by the sweep"),
                (["--ba", "4"], "--batch is set by the sweep"),  # an abbreviation train.py accepts
                (["--l", "0.5"], "ambiguous option"),  # train.py would refuse it too
                (["--data=/elsewhere"], "--data is set by the sweep"),
                (["--run-dir=/elsewhere"], "--run-dir is set by the sweep"),
                (["--resume=x.pt"], "--resume is set by the sweep"),
                (["--epochs", "3", "--batch", "4"], "--batch is set by the sweep"),
            ]
            for extra, message in cases:
                with self.subTest(extra=extra):
                    self.assertIn(message, self.refused(base + extra))
            self.assertFalse(out.exists())

    def test_equal_values_spelt_differently_are_refused(self) -> None:
        # 1e-3 and 0.001 name the same run folder: the second "run" was the first read back.
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sweep"
            for lrs, batches, message in (("1e-3,0.001", "2", "--lrs 1e-3,0.001: 1e-3 and 0.001 share a run folder"),
                                          ("3e-3,1e-3,0.0010", "2", "1e-3 and 0.0010 share a run folder"),
                                          ("1e-3", "2,4,02", "--batches 2,4,02: 2 and 02 share a run folder")):
                with self.subTest(lrs=lrs, batches=batches):
                    self.assertIn(message, self.refused(["--data", tmp, "--out", str(out), "--lrs", lrs,
                                                         "--batches", batches]))
            self.assertFalse(out.exists())

    def test_table_shows_the_lr_and_batch_each_run_recorded(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "lr0.001_b2"
            run.mkdir()
            recs = [{"type": "config", "args": {"lr": 0.5, "batch": 4}},
                    {"type": "epoch", "epoch": 1, "global_step": 3, "train_loss": 1.0, "img_per_s": 10.0,
                     "val": {"lane_miou": 0.1, "binary_iou": 0.2, "relaxed_f1_3px": 0.3}},
                    {"type": "end", "reason": "epochs", "wall_s": 1.0}]
            (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
            with contextlib.redirect_stdout(io.StringIO()):
                rc = sweep.main(["--data", tmp, "--out", tmp, "--lrs", "1e-3", "--batches", "2"])
            self.assertEqual(rc, 0)
            row = json.loads((Path(tmp) / "results.json").read_text())["runs"][0]
            self.assertEqual((row["lr"], row["batch"]), (0.5, 4))
            self.assertIn("| 1 | 0.5 | 4 |", (Path(tmp) / "results.md").read_text())


if __name__ == "__main__":
    unittest.main()
