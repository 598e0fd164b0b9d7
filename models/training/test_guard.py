"""Test-split isolation: the training path can never read the test split.

    /usr/bin/python3 -m unittest models/training/test_guard.py      (from the repo root)
"""

from __future__ import annotations

import re
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402
import train  # noqa: E402
from data import SegDataset, TestSplitForbidden, open_split  # noqa: E402
from toy_data import write_toy_dataset  # noqa: E402


class TestSplitGuard(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = write_toy_dataset(Path(cls.tmp.name) / "toy", count=8, size=64, seed=3)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_dataset_refuses_test_split_by_default(self) -> None:
        with self.assertRaises(TestSplitForbidden):
            SegDataset(self.root, "test")
        with self.assertRaises(TestSplitForbidden):
            SegDataset(self.root, "test", augment=True)

    def test_training_path_refuses_test_split(self) -> None:
        with self.assertRaises(TestSplitForbidden):
            open_split(self.root, "test", augment=True)
        # The training path cannot be talked into it either.
        with self.assertRaises(TestSplitForbidden):
            open_split(self.root, "test", augment=False, evaluation_only=True)

    def test_test_split_spelled_otherwise_is_still_refused(self) -> None:
        for spelling in ("test/", "./test", "train/../test"):
            with self.assertRaises(TestSplitForbidden, msg=spelling):
                open_split(self.root, spelling, augment=True)

    def test_colour_label_is_refused_not_read_as_one_channel(self) -> None:
        import cv2
        import numpy as np

        with tempfile.TemporaryDirectory() as tmp:
            grey_as_colour = np.dstack([np.full((4, 4), 3, np.uint8)] * 3)
            cv2.imwrite(f"{tmp}/grey.png", grey_as_colour)
            self.assertEqual(int(data.read_label(Path(f"{tmp}/grey.png"))[0, 0]), 3)
            colour = grey_as_colour.copy()
            colour[:, :, 2] = 200  # what OpenCV makes of a palette PNG: its colours, not its indices
            cv2.imwrite(f"{tmp}/colour.png", colour)
            with self.assertRaises(ValueError):
                data.read_label(Path(f"{tmp}/colour.png"))

    def test_evaluation_only_flag_opens_test_split(self) -> None:
        ds = SegDataset(self.root, "test", evaluation_only=True)
        self.assertGreater(len(ds), 0)
        with self.assertRaises(ValueError):
            SegDataset(self.root, "test", evaluation_only=True, augment=True)

    def test_train_and_sweep_sources_never_pass_the_flag(self) -> None:
        for name in ("train.py", "sweep.py"):
            src = (HERE / name).read_text()
            self.assertNotIn("evaluation_only", src, name)
            self.assertNotIn("SegDataset(", src, f"{name} must open data through open_split")
            self.assertIsNone(re.search(r"""["']test["']""", src), f"{name} names the test split")

    def test_a_training_run_reads_only_train_and_val(self) -> None:
        seen = []
        real = data.list_split

        def spy(root, split):  # records every split the run lists
            seen.append(split)
            return real(root, split)

        data.list_split = spy
        try:
            with tempfile.TemporaryDirectory() as run_dir:
                rc = train.main(["--data", str(self.root), "--run-dir", run_dir, "--device", "cpu",
                                 "--crop", "32", "--batch", "2", "--epochs", "1", "--steps-per-epoch", "1",
                                 "--log-every", "0", "--workers", "0"])
                self.assertEqual(rc, 0)
                self.assertTrue((Path(run_dir) / "best.pt").is_file())
        finally:
            data.list_split = real
        self.assertIn("train", seen)
        self.assertIn("val", seen)
        self.assertNotIn("test", seen)


if __name__ == "__main__":
    unittest.main()
