"""metrics.py agrees with scripts/eval/metrics.ts where a side of the relaxed F1 is unmeasured."""
import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import SegMetrics  # noqa: E402


def score(pred, target):
    m = SegMetrics()
    m.update(torch.tensor(pred), torch.tensor(target))
    return m.compute()


class RelaxedF1Test(unittest.TestCase):
    def test_one_unmeasured_side_counts_zero_and_both_give_none(self) -> None:
        blank = [[0] * 8 for _ in range(8)]
        line = [[1 if x == 3 else 0 for x in range(8)] for _ in range(8)]
        # True markings, none predicted: recall 0, precision unmeasured -> F1 0 (as the TS CLI).
        missed = score(blank, line)
        self.assertIsNone(missed["relaxed_precision_3px"])
        self.assertEqual(missed["relaxed_recall_3px"], 0.0)
        self.assertEqual(missed["relaxed_f1_3px"], 0.0)
        # Markings predicted where there are none: precision 0 -> F1 0.
        self.assertEqual(score(line, blank)["relaxed_f1_3px"], 0.0)
        # Nothing on either side: nothing to measure.
        self.assertIsNone(score(blank, blank)["relaxed_f1_3px"])
        # Both measured: the harmonic mean.
        self.assertAlmostEqual(score(line, line)["relaxed_f1_3px"], 1.0)


if __name__ == "__main__":
    unittest.main()
