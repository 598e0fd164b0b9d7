"""Augmentation keeps labels on their paint (run by `npm run train:smoke`)."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import AugmentConfig, random_crop_affine  # noqa: E402


class CropWithoutScaleJitterTest(unittest.TestCase):
    def test_crop_is_an_exact_window_of_image_and_label(self) -> None:
        # Every pixel distinct, so any resampling or half-pixel shift changes some value.
        rng_img = np.random.default_rng(0)
        img = rng_img.integers(0, 256, size=(96, 96, 3), dtype=np.uint8)
        lab = rng_img.integers(0, 7, size=(96, 96), dtype=np.uint8)
        cfg = AugmentConfig(crop=32, scale_min=1.0, scale_max=1.0, focus=0.5)
        rng = np.random.default_rng(1)
        for _ in range(50):
            out_img, out_lab = random_crop_affine(img, lab, rng, cfg)
            # The one window the image crop equals, then the label crop must be the same window.
            found = [
                (y, x)
                for y in range(96 - 32 + 1)
                for x in range(96 - 32 + 1)
                if np.array_equal(img[y : y + 32, x : x + 32], out_img)
            ]
            self.assertEqual(len(found), 1, "the image crop is not an exact window of the image")
            y, x = found[0]
            np.testing.assert_array_equal(out_lab, lab[y : y + 32, x : x + 32])


if __name__ == "__main__":
    unittest.main()
