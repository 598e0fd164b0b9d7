"""The training tools end bad input with one line on stderr and a non-zero exit, never a traceback,
and a failed export writes nothing (cli_errors.run_main, export.py's checks)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LSN_DEBUG"}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True,
                          timeout=300, env=env)


class OneLineFailures(unittest.TestCase):
    def assert_one_line(self, r: subprocess.CompletedProcess, prog: str, code: int = 1) -> None:
        self.assertEqual(r.returncode, code, r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith(f"{prog}: "), lines[0])
        self.assertNotIn("Traceback", r.stderr)

    def test_missing_data_and_corrupt_checkpoints(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            junk = Path(tmp) / "junk.pt"
            junk.write_bytes(b"not a checkpoint")
            empty = Path(tmp) / "empty"
            empty.mkdir()
            self.assert_one_line(run("train.py", "--data", str(empty), "--run-dir",
                                     str(Path(tmp) / "run"), "--device", "cpu"), "train.py")
            self.assert_one_line(run("train.py", "--resume", str(junk), "--device", "cpu"), "train.py")
            self.assert_one_line(run("export.py", "--checkpoint", str(junk), "--out-dir", tmp), "export.py")
            self.assert_one_line(run("calibrate.py", "--checkpoint", str(junk), "--data", tmp), "calibrate.py")

    def test_toy_data_refuses_splits_without_a_training_scene(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            for args in (["--count", "-1"], ["--count", "3", "--split", "10,60,30"],
                         ["--split", "0,50,50"], ["--split", "70,30"]):
                r = run("toy_data.py", "--out", str(Path(tmp) / "toy"), *args)
                self.assertEqual(r.returncode, 2, (args, r.stderr))
                self.assertIn("toy_data.py: error: --", r.stderr)
                self.assertFalse((Path(tmp) / "toy").exists(), args)
            r = run("toy_data.py", "--out", str(Path(tmp) / "toy"), "--count", "3")
            self.assertEqual(r.returncode, 0, r.stderr)
            for split in ("train", "val", "test"):
                self.assertEqual(len(list((Path(tmp) / "toy" / "img_dir" / split).iterdir())), 1, split)
            # Its own set may be made again; another data set is never written into.
            self.assertEqual(run("toy_data.py", "--out", str(Path(tmp) / "toy"), "--count", "3").returncode, 0)
            other = Path(tmp) / "scenes"
            other.mkdir()
            (other / "manifest.json").write_text('{"generator": "lanesegnet-scenes"}')
            r = run("toy_data.py", "--out", str(other), "--count", "3")
            self.assert_one_line(r, "toy_data.py", code=2)
            self.assertEqual(sorted(p.name for p in other.iterdir()), ["manifest.json"])

    def test_failed_export_writes_nothing(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            r = run("export.py", "--random-init", "--preset", "lite", "--out-dir", tmp, "--max-mb", "0.001")
            self.assert_one_line(r, "export.py")
            self.assertEqual(sorted(os.listdir(tmp)), [])
            # A name is a file stem, never a path out of --out-dir.
            r = run("export.py", "--random-init", "--out-dir", tmp, "--name", "../escaped")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("--name must be", r.stderr)
            self.assertFalse((Path(tmp).parent / "escaped.onnx").exists())
            r = run("export.py", "--random-init", "--out-dir", tmp, "--gsd-range", "0.3,0.1")
            self.assertEqual(r.returncode, 2, r.stderr)
            # Usage errors are one line, as the Node tools' are (argparse printed its usage first).
            self.assert_one_line(r, "export.py", code=2)

    def test_export_refuses_random_init_or_preset_beside_a_checkpoint(self) -> None:
        # Both were silently ignored: the checkpoint's trained network was exported (and with
        # --random-init its card said untrained).
        import torch

        sys.path.insert(0, str(HERE))
        from model import build_model, preset

        with tempfile.TemporaryDirectory() as tmp:
            ckpt = Path(tmp) / "c.pt"
            cfg = preset("lite-s")
            torch.save({"model": build_model(cfg).state_dict(), "model_config": cfg.to_dict()}, ckpt)
            for extra, named in ((["--random-init"], "--random-init"), (["--preset", "lite-wide"], "--preset"),
                                 (["--random-init", "--preset", "lite"], "--random-init and --preset")):
                with self.subTest(extra=extra):
                    r = run("export.py", "--checkpoint", str(ckpt), *extra, "--out-dir", tmp, "--name", "m")
                    self.assert_one_line(r, "export.py", code=2)
                    self.assertIn(f"{named} cannot go with it", r.stderr)
            self.assertEqual(sorted(os.listdir(tmp)), ["c.pt"])

    def test_random_init_never_replaces_a_trained_model(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            card = Path(tmp) / "m.json"
            card.write_text('{"name": "m", "training": {"steps": 1000}}')
            (Path(tmp) / "m.onnx").write_bytes(b"trained")
            r = run("export.py", "--random-init", "--out-dir", tmp, "--name", "m")
            self.assert_one_line(r, "export.py", code=2)
            self.assertIn("would replace the trained model", r.stderr)
            self.assertEqual((Path(tmp) / "m.onnx").read_bytes(), b"trained")
            # An earlier untrained export of that name may be replaced.
            card.write_text('{"name": "m", "training": {"untrained": true}}')
            r = run("export.py", "--random-init", "--out-dir", tmp, "--name", "m")
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_calibrate_refuses_an_unwritable_output_before_scoring(self) -> None:
        # --write (and --json) failed only after the scoring, which takes minutes on real data.
        import torch

        sys.path.insert(0, str(HERE))
        from model import build_model, preset
        from toy_data import write_toy_dataset

        with tempfile.TemporaryDirectory() as tmp:
            data = write_toy_dataset(Path(tmp) / "toy", count=6, size=64, seed=3, split="50,30,20")
            cfg = preset("lite-s")
            ckpt = Path(tmp) / "c.pt"
            torch.save({"model": build_model(cfg).state_dict(), "model_config": cfg.to_dict()}, ckpt)
            base = ["--checkpoint", str(ckpt), "--data", str(data), "--images", "1", "--biases", "0:0:1"]
            for flag, path, message in (
                ("--write", Path(tmp) / "nodir" / "cal.pt", "there is no folder"),
                ("--write", Path(tmp), "it is a folder"),
                ("--json", Path(tmp) / "nodir" / "cal.json", "there is no folder"),
            ):
                with self.subTest(flag=flag, path=path):
                    r = run("calibrate.py", *base, flag, str(path))
                    self.assert_one_line(r, "calibrate.py", code=2)
                    self.assertIn(f"{flag} {path}: {message}", r.stderr)
                    self.assertNotIn("best background bias", r.stdout)  # refused before scoring
            self.assertFalse((Path(tmp) / "nodir").exists())
            # A writable target is checked without being left behind when the run then fails.
            r = run("calibrate.py", "--checkpoint", str(Path(tmp) / "none.pt"), "--data", str(data),
                    "--write", str(Path(tmp) / "cal.pt"))
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertFalse((Path(tmp) / "cal.pt").exists())

    def test_parity_refuses_a_tolerance_that_is_not_a_finite_number_at_least_0(self) -> None:
        # float() takes them: nan or a negative tolerance failed every sample, inf passed any logits.
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            for value in ("nan", "inf", "-inf", "-1e-3"):
                with self.subTest(value=value):
                    r = run("parity.py", "--checkpoint", str(Path(tmp) / "c.pt"), "--data", tmp, "--out", str(out),
                            f"--max-diff={value}")
                    self.assert_one_line(r, "parity.py", code=2)
                    self.assertIn(f"--max-diff must be a finite number >= 0, got {float(value)}", r.stderr)
            self.assertFalse(out.exists())

    def test_negative_image_counts_are_refused(self) -> None:
        # A negative count silently meant every val image (data.open_split); 0 = all is documented.
        with tempfile.TemporaryDirectory() as tmp:
            ckpt, out = str(Path(tmp) / "c.pt"), Path(tmp) / "out"
            for script, args in (
                ("parity.py", ["--checkpoint", ckpt, "--data", tmp, "--out", str(out), "--count=-1"]),
                ("calibrate.py", ["--checkpoint", ckpt, "--data", tmp, "--images=-1"]),
                ("from_onnx.py", ["--onnx", "m.onnx", "--model-json", "m.json", "--data", tmp,
                                  "--out", str(out), "--images=-1"]),
            ):
                r = run(script, *args)
                self.assert_one_line(r, script, code=2)
                self.assertIn("must be an integer >= 0 (0 = all), got -1", r.stderr)
                self.assertFalse(out.exists(), script)


if __name__ == "__main__":
    unittest.main()
