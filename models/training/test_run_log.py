"""A run's log says which code trained it: the git commit of the checkout train.py runs from and
whether its tracked files differ from it, or null outside a git checkout (never a failure).

    /usr/bin/python3 -m unittest models/training/test_run_log.py      (from the repo root)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import train  # noqa: E402
from toy_data import write_toy_dataset  # noqa: E402

HAS_GIT = shutil.which("git") is not None


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


class GitState(unittest.TestCase):
    @unittest.skipUnless(HAS_GIT, "no git")
    def test_commit_and_dirty_tree_of_a_checkout_and_null_outside_one(self) -> None:
        with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {"GIT_CEILING_DIRECTORIES": tmp}):
            # The ceiling keeps git from finding a checkout above the temporary folder (a TMPDIR
            # inside one would make "not a checkout" one).
            repo = Path(tmp) / "repo"
            repo.mkdir()
            self.assertIsNone(train.git_state(repo))  # not a checkout (yet)
            git(repo, "init", "-q")
            self.assertIsNone(train.git_state(repo))  # a checkout without a commit
            (repo / "a.py").write_text("x = 1\n")
            git(repo, "add", "a.py")
            git(repo, "commit", "-q", "-m", "a")
            head = git(repo, "rev-parse", "HEAD")
            (repo / "scratch.txt").write_text("untracked\n")
            self.assertEqual(train.git_state(repo), {"commit": head, "dirty": False})
            (repo / "a.py").write_text("x = 2\n")
            self.assertEqual(train.git_state(repo), {"commit": head, "dirty": True})

    def test_the_run_log_records_the_checkout_train_py_runs_from(self) -> None:
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            data = write_toy_dataset(Path(tmp) / "toy", count=6, size=64, seed=3, split="50,30,20")
            run = Path(tmp) / "run"
            argv = ["--data", str(data), "--run-dir", str(run), "--device", "cpu", "--workers", "0",
                    "--model", "lite-s", "--crop", "32", "--batch", "2", "--epochs", "1", "--steps-per-epoch", "1",
                    "--max-val-images", "1", "--log-every", "0", "--cache-images", "off"]
            inside = HAS_GIT and subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True).returncode == 0
            # Before and after: others may commit in this tree while the run trains.
            heads = {git(HERE, "rev-parse", "HEAD")} if inside else set()
            self.assertEqual(train.main(argv), 0)
            heads |= {git(HERE, "rev-parse", "HEAD")} if inside else set()
            config = json.loads((run / "log.jsonl").read_text().splitlines()[0])
            self.assertIn("git", config["env"])
            recorded = config["env"]["git"]
            if inside:
                self.assertIn(recorded["commit"], heads)
                self.assertIn(recorded["dirty"], (True, False))
            else:
                self.assertIsNone(recorded)


if __name__ == "__main__":
    unittest.main()
