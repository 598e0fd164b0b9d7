"""train.py refuses bad flags in one line with exit code 2, before it writes anything.

    /usr/bin/python3 -m unittest models/training/test_args.py      (from the repo root)
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import train  # noqa: E402


class TestTrainArgs(unittest.TestCase):
    def refused(self, argv: list) -> str:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as stop:
            train.main(argv)
        self.assertEqual(stop.exception.code, 2)
        lines = err.getvalue().strip().splitlines()
        self.assertEqual(len(lines), 1, err.getvalue())
        return lines[0]

    def test_bad_values_are_one_line_and_write_nothing(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            data.mkdir()
            run_dir = Path(tmp) / "run"
            base = ["--data", str(data), "--run-dir", str(run_dir)]
            cases = [
                (["--bogus"], "unrecognized arguments"),
                (["--epochs", "abc"], "invalid int value"),
                (["--epochs", "0"], "--epochs must be at least 1"),
                (["--steps-per-epoch", "0"], "--steps-per-epoch must be at least 1"),
                (["--batch", "0"], "--batch must be at least 1"),
                (["--crop", "100"], "--crop must be a multiple of 16"),
                (["--scale-range", "abc"], "--scale-range must be 'min,max'"),
                (["--scale-range", "2,1"], "0 < min <= max"),
                (["--subset-schedule", "x:y"], "--subset-schedule must be"),
                (["--model-opt", "foo"], "--model-opt needs KEY=VALUE"),
                (["--model-opt", "widths=a,b"], "widths takes integers"),
                (["--init-weights", str(Path(tmp) / "none.pt")], "is not a file"),
                # NaN, infinities and out-of-range numbers pass argparse's float() and int().
                (["--lr", "nan"], "--lr must be a number > 0, got nan"),
                (["--lr", "0"], "--lr must be a number > 0"),
                (["--min-lr-ratio", "5"], "--min-lr-ratio must be a number >= 0 and <= 1"),
                (["--dice-weight", "inf"], "--dice-weight must be a number >= 0"),
                (["--max-class-weight", "0"], "--max-class-weight must be a number >= 1"),
                (["--batch", "1000000000"], "--batch must be a number >= 1 and <= 4096"),
                (["--seed=-1"], "--seed must be a number >= 0"),
                (["--seed", "4294967296"], "--seed must be a number >= 0 and <= 4294967295"),
                (["--focus", "5"], "--focus must be a number >= 0 and <= 1"),
                (["--scale-range", "1,inf"], "finite"),
                (["--run-dir", "/proc/version"], "--run-dir /proc/version is not a folder"),
            ]
            for extra, message in cases:
                with self.subTest(extra=extra):
                    self.assertIn(message, self.refused(base + extra))
            self.assertIn("is not a folder", self.refused(["--data", str(Path(tmp) / "nope"), "--run-dir", str(run_dir)]))
            self.assertIn("is not a file", self.refused(["--resume", str(Path(tmp) / "none.pt")]))
            self.assertFalse(run_dir.exists())

    def test_subset_schedule_must_reach_all_in_increasing_stages(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp) / "run"
            base = ["--data", tmp, "--run-dir", str(run_dir)]
            for schedule in ("3,all", "all,3:2", "all:2,all", "0:2,all", "3:0,all", "-1:2,all",
                             "3:-1,all", "5:2,3:2,all", "3:2,3:2,all", "3:2,5:2,all:-1"):
                with self.subTest(schedule=schedule):
                    self.assertIn("--subset-schedule must be", self.refused(base + [f"--subset-schedule={schedule}"]))
            self.assertFalse(run_dir.exists())
        self.assertEqual(train.parse_subset_schedule("3:2,5:1,all"), [(3, 2), (5, 1), (None, None)])
        self.assertEqual(train.parse_subset_schedule("all"), [(None, None)])
        self.assertEqual(train.parse_subset_schedule("3:2,10"), [(3, 2), (10, None)])

    def test_values_that_make_no_run_are_refused_before_the_run_folder(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = Path(tmp) / "run"
            base = ["--data", tmp, "--run-dir", str(run_dir)]
            cases = [
                (["--max-val-images", "-1"], "--max-val-images must be a number >= 0"),
                (["--patience", "-1"], "--patience must be a number >= 0"),
                (["--workers", "-5"], "--workers must be a number >= -1"),
                (["--model-opt", "detail=-1"], "detail must be an integer >= 0"),
                (["--model-opt", "blocks=0,0"], "blocks must be 2 integers >= 1"),
                (["--model-opt", "context_dilations="], "context_dilations must be one or more integers"),
                (["--model-opt", "num_classes=9"], "num_classes must be 7"),
                (["--model-opt", "widths=1,2"], "widths must be 4 integers"),
                (["--model-opt", "head=foo"], "head must be one of shuffle, bilinear"),
                (["--steps-per-epoch", "100000000000"], "--steps-per-epoch x --batch must be at most"),
                (["--steps-per-epoch", "2500000", "--batch", "8"], "crops per epoch"),
            ]
            import torch

            if not torch.cuda.is_available():
                cases.append((["--device", "cuda"], "--device cuda but CUDA is not available"))
            for extra, message in cases:
                with self.subTest(extra=extra):
                    self.assertIn(message, self.refused(base + extra))
            self.assertFalse(run_dir.exists())


if __name__ == "__main__":
    unittest.main()
