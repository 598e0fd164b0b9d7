"""A tiny throw-away data set in MMSegmentation layout, for tests and the CI smoke run only.

    python3 models/training/toy_data.py --out /tmp/toy --count 12 --size 256 --seed 1

Grey asphalt with noise and straight/curved lane lines of the seven classes (white/yellow,
solid/dashed, double). It is NOT a training set for a real model (use the scene generator:
`npm run scenes`); it exists so the pipeline can be tested without Node or real data.
Labels follow DATA.md loosely: one line of width max(3 px, paint/gsd) per marking, dashed lines
labelled continuously (gaps included), double lines as one band covering both strokes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_errors import OneLineArgumentParser, require_modules  # noqa: E402

require_modules("toy_data.py", "numpy", "cv2")

import cv2
import numpy as np

WHITE = (235, 235, 230)
YELLOW = (225, 190, 40)
# class id -> (colour, dashed, double)
STYLE = {1: (WHITE, False, False), 2: (WHITE, True, False), 3: (YELLOW, False, False),
         4: (YELLOW, True, False), 5: (WHITE, False, True), 6: (YELLOW, False, True)}


def polyline(rng: np.random.Generator, size: int) -> np.ndarray:
    """A gently curved line crossing the tile, as float pixel coordinates."""
    ang = rng.uniform(0, np.pi)
    d = np.array([np.cos(ang), np.sin(ang)])
    n = np.array([-d[1], d[0]])
    c = np.array([size / 2, size / 2]) + n * rng.uniform(-size / 3, size / 3)
    t = np.linspace(-size, size, 64)
    bend = rng.uniform(-0.15, 0.15) * size * (t / size) ** 2
    return c + t[:, None] * d + bend[:, None] * n


def draw(img: np.ndarray, lab: np.ndarray, pts: np.ndarray, cls: int, gsd: float,
         rng: np.random.Generator) -> None:
    colour, dashed, double = STYLE[cls]
    stroke = max(1, int(round(0.15 / gsd)))
    label_w = max(3, int(np.ceil((0.4 if double else 0.15) / gsd)))
    p = np.round(pts * 16).astype(np.int32)  # fixed point, shift=4: sub-pixel lines
    cv2.polylines(lab, [p], False, int(cls), thickness=label_w, lineType=cv2.LINE_8, shift=4)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    dash, gap = 3.0 / gsd, 9.0 / gsd
    offsets = [0.0] if not double else [-0.125 / gsd, 0.125 / gsd]
    d = np.diff(pts, axis=0, append=pts[-1:] + (pts[-1:] - pts[-2:-1]))
    nrm = np.stack([-d[:, 1], d[:, 0]], 1) / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    shade = rng.uniform(0.8, 1.0)
    col = tuple(int(c * shade) for c in colour[::-1])  # BGR canvas
    for off in offsets:
        q = pts + nrm * off
        for i in range(len(q) - 1):
            if dashed and (s[i] % (dash + gap)) > dash:
                continue
            a = tuple(np.round(q[i] * 16).astype(int))
            b = tuple(np.round(q[i + 1] * 16).astype(int))
            cv2.line(img, a, b, col, thickness=stroke, lineType=cv2.LINE_AA, shift=4)


def make_scene(rng: np.random.Generator, size: int):
    gsd = float(rng.uniform(0.09, 0.33))
    base = rng.uniform(60, 120)
    img = np.clip(rng.normal(base, 12, (size, size, 3)), 0, 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    lab = np.zeros((size, size), np.uint8)
    for _ in range(int(rng.integers(2, 5))):
        draw(img, lab, polyline(rng, size), int(rng.integers(1, 7)), gsd, rng)
    if rng.random() < 0.3:  # a dark "vehicle" over paint: label stays (lane lines, not paint)
        x, y = (int(v) for v in rng.integers(0, size - 30, 2))
        cv2.rectangle(img, (x, y), (x + 25, y + 12), (30, 30, 40), -1)
    return img, lab, gsd


def split_counts(count: int, split: str) -> tuple:
    """Scenes per split (train, val, test) for `count` scenes and "train,val,test" percentages: val
    and test get at least one each, train the rest, which must be at least one too. ValueError
    (with the reason) when the percentages or the count cannot give that."""
    parts = split.split(",")
    try:
        pct = [float(v) for v in parts]
    except ValueError:
        raise ValueError(f"--split wants three numbers train,val,test, got {split!r}") from None
    if len(pct) != 3 or any(not (v >= 0) for v in pct) or pct[0] <= 0:
        raise ValueError(f"--split wants three non-negative percentages with train > 0, got {split!r}")
    n_val = max(1, int(round(count * pct[1] / 100)))
    n_test = max(1, int(round(count * pct[2] / 100)))
    n_train = count - n_val - n_test
    if n_train < 1:
        raise ValueError(f"--count {count} with --split {split} leaves no training scene (val {n_val}, test {n_test})")
    return n_train, n_val, n_test


def write_toy_dataset(root: str | Path, count: int = 12, size: int = 256, seed: int = 1,
                      split: str = "70,10,20") -> Path:
    rng = np.random.default_rng(seed)
    n_train, n_val, n_test = split_counts(count, split)
    splits = ["train"] * n_train + ["val"] * n_val + ["test"] * n_test
    root = Path(root)
    items = []
    for i, name in enumerate(splits):
        img, lab, gsd = make_scene(rng, size)
        (root / "img_dir" / name).mkdir(parents=True, exist_ok=True)
        (root / "ann_dir" / name).mkdir(parents=True, exist_ok=True)
        sid = f"toy_{i:05d}"
        ext = ".jpg" if i % 2 == 0 else ".png"  # both encodings occur in real data sets
        cv2.imwrite(str(root / "img_dir" / name / f"{sid}{ext}"), img)
        cv2.imwrite(str(root / "ann_dir" / name / f"{sid}.png"), lab)
        items.append({"id": sid, "split": name, "gsd_ground_m": gsd})
    (root / "manifest.json").write_text(json.dumps({"generator": "toy_data.py", "seed": seed,
                                                    "scenes": items}, indent=1))
    return root


def toy_manifest(path: Path) -> bool:
    """Whether a manifest is there and was written by this tool."""
    try:
        return json.loads(path.read_text()).get("generator") == "toy_data.py"
    except (OSError, ValueError, AttributeError):
        return False


def main() -> int:
    ap = OneLineArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root (MMSegmentation layout)")
    ap.add_argument("--count", type=int, default=12, help="number of scenes (default 12; every split gets at least one)")
    ap.add_argument("--size", type=int, default=256, help="scene side in pixels (default 256)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--split", default="70,10,20", help="train,val,test percentages (default 70,10,20)")
    args = ap.parse_args()
    try:
        split_counts(args.count, args.split)
    except ValueError as e:
        ap.error(str(e))
    if args.size < 16:
        ap.error(f"--size must be at least 16, got {args.size}")
    if not 0 <= args.seed < 2**32:
        ap.error(f"--seed must be 0 to 2**32 - 1, got {args.seed}")
    # Another data set there would be overwritten in part and mixed with toy scenes.
    manifest = Path(args.out) / "manifest.json"
    if Path(args.out).exists() and not toy_manifest(manifest) and any(Path(args.out).iterdir()):
        ap.error(f"--out {args.out} holds something not made by toy_data.py; give an empty or new folder")
    write_toy_dataset(args.out, args.count, args.size, args.seed, args.split)
    print(f"wrote {args.count} toy scenes to {args.out}")
    return 0


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("toy_data.py", main)
