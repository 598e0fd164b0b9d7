"""Resuming from a checkpoint continues the same run (issue 4's "must show"), and a resume on
another validation set does not compare best scores across the two sets. A resume refuses what is
not the same run (other data, a calibrated or from_onnx checkpoint, another value of a flag the run
fixes, such as --lr) and does nothing for a run that is over (early stopping, time budget).

    /usr/bin/python3 -m unittest models/training/test_resume.py      (from the repo root)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train  # noqa: E402
from model import load_checkpoint  # noqa: E402
from toy_data import write_toy_dataset  # noqa: E402

# One warm-up step, so the cosine over epochs x steps-per-epoch decides the LR of every later step
# (with the default 100 warm-up steps every step of these runs was warm-up, and a resume that
# changed the schedule's horizon went unseen).
COMMON = ["--device", "cpu", "--workers", "0", "--model", "lite-s", "--crop", "64", "--batch", "2",
          "--steps-per-epoch", "3", "--warmup-steps", "1", "--max-val-images", "2", "--patience", "0",
          "--log-every", "1000", "--seed", "5", "--cache-images", "off"]


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

    def refused(self, argv: list) -> str:
        """train.main refuses argv: one line on stderr, exit code 2."""
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as stop:
            train.main(argv)
        self.assertEqual(stop.exception.code, 2, err.getvalue())
        lines = err.getvalue().strip().splitlines()
        self.assertEqual(len(lines), 1, err.getvalue())
        return lines[0]

    def interrupt_after_epoch_1(self, run: Path) -> None:
        """What a crash during epoch 2 leaves: epoch 1's checkpoint as last.pt, its log lines."""
        shutil.copyfile(run / "epoch_001.pt", run / "last.pt")
        (run / "epoch_002.pt").unlink()
        recs = log_records(run)
        keep = [r for r in recs if r["type"] == "config" or (r["type"] == "epoch" and r["epoch"] == 1)]
        (run / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in keep))

    def test_resume_gives_the_same_weights_as_an_uninterrupted_run(self) -> None:
        root = Path(self.tmp.name)
        straight, split = root / "straight", root / "split"
        self.run_train(["--data", str(self.data), "--run-dir", str(straight), "--epochs", "2", *COMMON])
        # Truly interrupted: the same 2-epoch run, cut after epoch 1, resumed without --epochs.
        self.run_train(["--data", str(self.data), "--run-dir", str(split), "--epochs", "2", *COMMON])
        self.interrupt_after_epoch_1(split)
        self.run_train(["--resume", str(split / "last.pt")])
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
        lr = {r["epoch"]: r["lr"] for r in log_records(straight) if r["type"] == "epoch"}
        self.assertGreater(lr[1], lr[2])  # the cosine really decays within these runs
        self.assertEqual(lr, {r["epoch"]: r["lr"] for r in log_records(split) if r["type"] == "epoch"})

    def test_a_larger_epochs_on_resume_re_spans_the_cosine(self) -> None:
        # Documented (--epochs help, README): a resume with another --epochs is not the straight run
        # of that length; the cosine is re-spanned over the new count from the current step.
        root = Path(self.tmp.name)
        straight, extended = root / "straight-3", root / "extended"
        self.run_train(["--data", str(self.data), "--run-dir", str(straight), "--epochs", "2", *COMMON])
        self.run_train(["--data", str(self.data), "--run-dir", str(extended), "--epochs", "1", *COMMON])
        self.run_train(["--resume", str(extended / "last.pt"), "--epochs", "2"])
        lr_s = {r["epoch"]: r["lr"] for r in log_records(straight) if r["type"] == "epoch"}
        lr_e = {r["epoch"]: r["lr"] for r in log_records(extended) if r["type"] == "epoch"}
        self.assertLess(lr_e[1], lr_s[1])  # epoch 1 ended at the end of a 1-epoch cosine ...
        self.assertAlmostEqual(lr_e[2], lr_s[2])  # ... epoch 2 on the 2-epoch one
        a, b = weights(straight / "last.pt"), weights(extended / "last.pt")
        self.assertFalse(all(torch.equal(a[k], b[k]) for k in a))
        epochs_help = next(a.help for a in train.build_parser()._actions if a.dest == "epochs")
        self.assertIn("re-spans the cosine", epochs_help)
        self.assertIn("re-spans the cosine", (Path(train.__file__).parent / "README.md").read_text())

    def test_resume_onto_other_data_is_refused(self) -> None:
        root = Path(self.tmp.name)
        run = root / "other-data"
        self.run_train(["--data", str(self.data), "--run-dir", str(run), "--epochs", "1", *COMMON])
        other = write_toy_dataset(root / "toy-other", count=10, size=96, seed=4, split="50,30,20")
        before = (run / "log.jsonl").read_text()
        line = self.refused(["--resume", str(run / "last.pt"), "--epochs", "2", "--data", str(other)])
        self.assertIn("differs from the run's", line)
        self.assertIn("--init-weights", line)
        self.assertEqual((run / "log.jsonl").read_text(), before)
        # The same files elsewhere (a copy, or regenerated with another --out in its manifest) are
        # the same data.
        copy = root / "toy-copy"
        shutil.copytree(self.data, copy)
        (copy / "manifest.json").write_text((copy / "manifest.json").read_text().replace("{", '{"out": "x", ', 1))
        self.run_train(["--resume", str(run / "last.pt"), "--epochs", "2", "--data", str(copy)])
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 2)

    def test_resume_refuses_flags_the_run_fixes_when_they_change(self) -> None:
        # `--resume last.pt --lr 1e-4` must not look like a run at 1e-4 that silently kept 3e-3.
        run = Path(self.tmp.name) / "fixed-flags"
        self.run_train(["--data", str(self.data), "--run-dir", str(run), "--epochs", "1", *COMMON])
        before = (run / "log.jsonl").read_text()
        line = self.refused(["--resume", str(run / "last.pt"), "--epochs", "2", "--lr", "1e-4", "--batch", "4"])
        self.assertIn("--batch 4 (the run has 2)", line)
        self.assertIn("--lr 0.0001 (the run has 0.003)", line)
        self.assertIn("--init-weights", line)
        self.assertEqual((run / "log.jsonl").read_text(), before)
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 1)
        # The run's own value, however spelt, and the flags a resume may change are accepted.
        self.run_train(["--resume", str(run / "last.pt"), "--lr", "3e-3", "--epochs", "2", "--time-budget-min", "5"])
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 2)
        resume_help = next(a.help for a in train.build_parser()._actions if a.dest == "resume")
        self.assertIn("is refused", resume_help)

    def test_resume_refuses_checkpoints_that_are_not_training_state(self) -> None:
        root = Path(self.tmp.name)
        run = root / "not-state"
        self.run_train(["--data", str(self.data), "--run-dir", str(run), "--epochs", "1", *COMMON])
        ck = load_checkpoint(str(run / "last.pt"))
        calibrated = dict(ck, calibration={"background_logit_bias": 0.5})  # as calibrate.py --write
        torch.save(calibrated, run / "calibrated.pt")
        torch.save({"model": ck["model"], "model_config": ck["model_config"],  # as from_onnx.py writes
                    "init_from_onnx": "m.onnx", "init_from_version": None}, run / "warm.pt")
        before = (run / "log.jsonl").read_text()
        for name in ("calibrated.pt", "warm.pt"):
            with self.subTest(name=name):
                self.assertIn("--init-weights", self.refused(["--resume", str(run / name), "--epochs", "2"]))
        self.assertEqual((run / "log.jsonl").read_text(), before)
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 1)

    def test_resume_after_early_stopping_does_nothing_unless_patience_is_raised(self) -> None:
        run = Path(self.tmp.name) / "early"
        # --min-delta 1: no epoch after the first can improve, so patience 1 stops after epoch 2.
        args = [a for a in COMMON]
        args[args.index("--patience") + 1] = "1"
        self.run_train(["--data", str(self.data), "--run-dir", str(run), "--epochs", "5", "--min-delta", "1", *args])
        self.assertEqual(log_records(run)[-1]["reason"], "early_stopping")
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 2)
        self.run_train(["--resume", str(run / "last.pt")])
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 2)
        end = log_records(run)[-1]
        self.assertEqual((end["type"], end["reason"], end["epoch"]), ("end", "early_stopping", 2))
        self.run_train(["--resume", str(run / "last.pt"), "--patience", "2"])
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 3)

    def test_end_record_keeps_the_epoch_when_the_budget_is_already_spent(self) -> None:
        run = Path(self.tmp.name) / "spent"
        self.run_train(["--data", str(self.data), "--run-dir", str(run), "--epochs", "1", *COMMON])
        self.run_train(["--resume", str(run / "last.pt"), "--epochs", "5", "--time-budget-min", "1e-6"])
        end = log_records(run)[-1]
        self.assertEqual((end["type"], end["reason"], end["epoch"]), ("end", "time_budget", 1))
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 1)

    def test_best_checkpoint_is_written_when_val_holds_no_marking(self) -> None:
        import cv2
        import numpy as np

        root = Path(self.tmp.name)
        data = root / "toy-nomark"
        shutil.copytree(self.data, data)
        for lab in (data / "ann_dir" / "val").glob("*.png"):
            shape = cv2.imread(str(lab), cv2.IMREAD_UNCHANGED).shape
            cv2.imwrite(str(lab), np.zeros(shape, np.uint8))  # background only
        run = root / "nomark"
        self.run_train(["--data", str(data), "--run-dir", str(run), "--epochs", "2", *COMMON])
        epochs = [r for r in log_records(run) if r["type"] == "epoch"]
        self.assertIsNone(epochs[0]["val"]["lane_miou"])
        self.assertTrue((run / "best.pt").is_file())
        self.assertEqual(load_checkpoint(str(run / "best.pt"))["epoch"], 1)

    def test_relative_data_is_stored_absolute_so_resume_works_from_anywhere(self) -> None:
        root = Path(self.tmp.name)
        run = root / "relative"
        cwd = os.getcwd()
        try:
            os.chdir(self.data.parent)
            self.run_train(["--data", self.data.name, "--run-dir", str(run), "--epochs", "1", *COMMON])
            os.chdir("/")
            self.run_train(["--resume", str(run / "last.pt"), "--epochs", "2"])
        finally:
            os.chdir(cwd)
        config = log_records(run)[0]
        self.assertEqual(config["args"]["data"], str(self.data.resolve()))
        self.assertEqual(config["data"]["root"], str(self.data.resolve()))
        self.assertEqual(load_checkpoint(str(run / "last.pt"))["epoch"], 2)

    def test_keep_epoch_checkpoints_keeps_the_newest_by_number(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for n in (998, 999, 1000, 1001):
                (Path(tmp) / f"epoch_{n:03d}.pt").write_bytes(b"")
            train.prune_epoch_checkpoints(Path(tmp), 2)
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["epoch_1000.pt", "epoch_1001.pt"])

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
