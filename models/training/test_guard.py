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

    def symlinked_root(self, tmp: str) -> Path:
        """A copy of the toy root whose folders can be replaced by symlinks."""
        import shutil

        root = Path(tmp) / "linked"
        shutil.copytree(self.root, root)
        return root

    @staticmethod
    def relink(link: Path, target: Path) -> None:
        import shutil

        if link.is_symlink():
            link.unlink()
        else:
            shutil.rmtree(link)
        link.symlink_to(target, target_is_directory=True)

    def test_split_folders_that_resolve_into_test_are_refused(self) -> None:
        for split in ("val", "train"):
            for sub in ("img_dir", "ann_dir"):
                with self.subTest(split=split, sub=sub), tempfile.TemporaryDirectory() as tmp:
                    root = self.symlinked_root(tmp)
                    self.relink(root / sub / split, root / sub / "test")
                    with self.assertRaises(TestSplitForbidden):
                        open_split(root, split, augment=split == "train")
                    with self.assertRaises(TestSplitForbidden):
                        data.file_list_sha256(root)
        with tempfile.TemporaryDirectory() as tmp:
            root = self.symlinked_root(tmp)
            # The test images kept elsewhere under another name, img_dir/test a link to them.
            holdout = Path(tmp) / "holdout"
            (root / "img_dir" / "test").rename(holdout)
            (root / "img_dir" / "test").symlink_to(holdout, target_is_directory=True)
            self.relink(root / "img_dir" / "val", holdout)
            with self.assertRaises(TestSplitForbidden):
                open_split(root, "val")
            # A folder named test in any case, outside the root.
            upper = Path(tmp) / "TEST"
            upper.mkdir()
            self.relink(root / "img_dir" / "val", upper)
            with self.assertRaises(TestSplitForbidden):
                open_split(root, "val")
            with self.assertRaises(TestSplitForbidden):
                open_split(root, "Test")
            # A symlinked split that is not test is fine, and evaluation still opens test.
            other = Path(tmp) / "val-images"
            import shutil

            shutil.copytree(self.root / "img_dir" / "val", other)
            self.relink(root / "img_dir" / "val", other)
            self.assertEqual(len(open_split(root, "val")), len(open_split(self.root, "val")))
            self.assertGreater(len(SegDataset(root, "test", evaluation_only=True)), 0)

    def test_files_that_resolve_into_test_are_refused(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = self.symlinked_root(tmp)
            test_img = sorted((root / "img_dir" / "test").iterdir())[0]
            (root / "img_dir" / "val" / f"leak{test_img.suffix}").symlink_to(test_img)
            (root / "ann_dir" / "val" / "leak.png").symlink_to(root / "ann_dir" / "test" / f"{test_img.stem}.png")
            with self.assertRaises(TestSplitForbidden):
                open_split(root, "val")
        with tempfile.TemporaryDirectory() as tmp:
            root = self.symlinked_root(tmp)
            val_lab = sorted((root / "ann_dir" / "val").iterdir())[0]
            val_lab.unlink()
            val_lab.symlink_to(sorted((root / "ann_dir" / "test").iterdir())[0])
            with self.assertRaises(TestSplitForbidden):
                open_split(root, "val")

    def test_a_run_on_a_linked_test_split_fails_and_leaves_no_run_folder(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = self.symlinked_root(tmp)
            self.relink(root / "img_dir" / "val", root / "img_dir" / "test")
            run_dir = Path(tmp) / "run"
            with self.assertRaises(TestSplitForbidden):
                train.main(["--data", str(root), "--run-dir", str(run_dir), "--device", "cpu", "--crop", "32",
                            "--batch", "2", "--epochs", "1", "--steps-per-epoch", "1", "--workers", "0"])
            self.assertFalse(run_dir.exists())

    def test_label_outside_the_classes_names_its_file(self) -> None:
        import cv2
        import numpy as np

        with tempfile.TemporaryDirectory() as tmp:
            lab = np.zeros((4, 4), np.uint8)
            lab[1, 1], lab[2, 2] = 255, 6
            cv2.imwrite(f"{tmp}/ok.png", lab)
            self.assertEqual(int(data.read_label(Path(f"{tmp}/ok.png")).max()), 255)
            lab[3, 3] = 9
            cv2.imwrite(f"{tmp}/bad.png", lab)
            with self.assertRaises(ValueError) as e:
                data.read_label(Path(f"{tmp}/bad.png"))
            self.assertIn("bad.png", str(e.exception))
            self.assertIn("class id 9", str(e.exception))

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
