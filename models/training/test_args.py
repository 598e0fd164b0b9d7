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


if __name__ == "__main__":
    unittest.main()
