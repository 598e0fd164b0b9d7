"""MMSegmentation-layout data sets, geometry-respecting augmentation, and the epoch sampler.

Layout: ROOT/img_dir/{train,val,test}/<id>.jpg|png, ROOT/ann_dir/{split}/<id>.png (8-bit class
ids 0-6, 255 = ignore), ROOT/manifest.json.

Test isolation: `SegDataset` refuses the `test` split unless it is built with
`evaluation_only=True`. Training and sweeps never pass that flag (test_guard.py proves it).

Determinism: every training sample is addressed by a key (index, epoch, position) drawn by
`EpochSampler` in the main process; its augmentation RNG is seeded from (seed, epoch, position,
index), so a run is reproducible whatever the number of DataLoader workers, and a resumed run sees
exactly the samples it would have seen.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

# No OpenCV thread pool in this process: DataLoader workers are forked, and on the GPU machine
# (OpenCV 5, 16 threads) a worker forked after the pool existed deadlocked in its first cv2 call.
# Parallelism comes from the workers (and a thread pool for preloading) instead.
cv2.setNumThreads(0)

IMAGE_EXTS = (".jpg", ".jpeg", ".png")
IGNORE = 255
NUM_CLASSES = 7
# Normalisation recorded in the model JSON (MMSegmentation's ImageNet values on the 0-255 scale).
MEAN_255 = (123.675, 116.28, 103.53)
STD_255 = (58.395, 57.12, 57.375)
PAD_RGB = tuple(int(round(v)) for v in MEAN_255)


class TestSplitForbidden(RuntimeError):
    """Raised when anything but an explicit evaluation asks for the test split."""


# ---------------------------------------------------------------------------------------------
# Files


def names_test_split(split: str) -> bool:
    """Whether a split name is the test split, however spelt: "test/", "./test", "x/../test", "Test"."""
    return Path(os.path.normpath(split)).name.lower() == "test"


def _refuse_test(what: str) -> "TestSplitForbidden":
    return TestSplitForbidden(
        f"{what} is the test split, which is for final evaluation only: training, validation and "
        "sweeps must never read it (pass evaluation_only=True from an evaluation tool)")


def check_not_test(root: str | Path, split: str, items: Sequence[Tuple[str, Path, Optional[Path]]] = ()) -> None:
    """Refuse a split that is the test split by its name or by where it really is: a split folder,
    or any file listed in it, that resolves (symlinks followed) into a folder named test (any case)
    or into this root's resolved img_dir/test or ann_dir/test."""
    if names_test_split(split):
        raise _refuse_test(f"split {split!r}")
    root = Path(root)
    test_dirs = {os.path.realpath(root / sub / "test") for sub in ("img_dir", "ann_dir")}

    def in_test(folder: str) -> bool:
        return os.path.basename(folder).lower() == "test" or folder in test_dirs

    for sub in ("img_dir", "ann_dir"):
        real = os.path.realpath(root / sub / split)
        if in_test(real):
            raise _refuse_test(f"{root / sub / split} (really {real})")
    for _, img, ann in items:
        for f in (img, ann):
            if f is not None and in_test(os.path.dirname(os.path.realpath(f))):
                raise _refuse_test(f"{f} (really {os.path.realpath(f)})")


def list_split(root: str | Path, split: str, *,
               evaluation_only: bool = False) -> List[Tuple[str, Path, Optional[Path]]]:
    """(id, image path, label path or None) for every image of a split, sorted by id.

    Refuses the test split (check_not_test: by name, or a folder or file that resolves into it)
    unless evaluation_only, so nothing listed here for training ever comes from test."""
    root = Path(root)
    if not evaluation_only:
        check_not_test(root, split)
    img_dir = root / "img_dir" / split
    ann_dir = root / "ann_dir" / split
    if not img_dir.is_dir():
        raise FileNotFoundError(f"no image folder {img_dir}")
    items = []
    for p in sorted(img_dir.iterdir()):
        if p.suffix.lower() not in IMAGE_EXTS:
            continue
        ann = ann_dir / f"{p.stem}.png"
        items.append((p.stem, p, ann if ann.is_file() else None))
    if not evaluation_only:
        check_not_test(root, split, items)
    return items


def manifest_sha256(root: str | Path) -> Optional[str]:
    p = Path(root) / "manifest.json"
    if not p.is_file():
        return None
    return hashlib.sha256(p.read_bytes()).hexdigest()


def file_list_sha256(root: str | Path, splits: Sequence[str] = ("train", "val")) -> str:
    """Identity of the files a run used (names and sizes): the same for the same data in any folder."""
    h = hashlib.sha256()
    for split in splits:
        for sid, img, ann in list_split(root, split):
            h.update(f"{split}/{img.name}:{img.stat().st_size};".encode())
            if ann is not None:
                h.update(f"{ann.name}:{ann.stat().st_size};".encode())
    return h.hexdigest()


def read_manifest(root: str | Path) -> Optional[Dict[str, Any]]:
    p = Path(root) / "manifest.json"
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


def read_image_rgb(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)  # BGR uint8; drops alpha, expands grey
    if img is None:
        raise IOError(f"cannot read image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_label(path: Path) -> np.ndarray:
    lab = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if lab is None:
        raise IOError(f"cannot read label {path}")
    if lab.ndim == 3:
        # Grey stored as colour is fine; anything else (a palette PNG, which OpenCV expands to its
        # colours) does not hold class ids, and one channel of it would be silently wrong.
        if not all(np.array_equal(lab[:, :, 0], lab[:, :, c]) for c in range(1, lab.shape[2])):
            raise ValueError(f"label {path} is a colour or palette image, expected 8-bit greyscale class ids")
        lab = lab[:, :, 0]
    if lab.dtype != np.uint8:
        raise ValueError(f"label {path} is {lab.dtype}, expected 8-bit class ids")
    bad = lab[(lab >= NUM_CLASSES) & (lab != IGNORE)]
    if bad.size:  # else CE or the confusion matrix fails later without saying which file
        raise ValueError(f"label {path} holds class id {int(bad[0])}, expected 0-{NUM_CLASSES - 1} or {IGNORE} (ignore)")
    return lab


# ---------------------------------------------------------------------------------------------
# Augmentation


@dataclass
class AugmentConfig:
    crop: int = 512
    scale_min: float = 0.75  # scale jitter changes the ground resolution: keep it modest
    scale_max: float = 1.33
    flip: bool = True
    rot90: bool = True
    # Probability of centring a crop on a marking pixel (markings are 1-3 % of pixels).
    focus: float = 0.5
    brightness: float = 25.0  # +- on 0-255
    contrast: Tuple[float, float] = (0.75, 1.3)
    gamma: Tuple[float, float] = (0.7, 1.4)
    channel_gain: float = 0.06  # +- per-channel gain (white balance)
    # Saturation and hue stay small: class 1/2 vs 3/4 is white vs yellow paint.
    saturation: Tuple[float, float] = (0.7, 1.3)
    hue_deg: float = 8.0
    blur_p: float = 0.3
    blur_sigma: Tuple[float, float] = (0.3, 1.3)
    resample_p: float = 0.15  # down- then up-sample: softer imagery from another provider
    noise_p: float = 0.3
    noise_sigma: Tuple[float, float] = (2.0, 8.0)
    jpeg_p: float = 0.4
    jpeg_quality: Tuple[int, int] = (35, 95)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def random_crop_affine(img: np.ndarray, lab: np.ndarray, rng: np.random.Generator,
                       cfg: AugmentConfig) -> Tuple[np.ndarray, np.ndarray]:
    """Scale jitter + crop in one warp: image bilinear, label nearest, outside = 0 / ignore."""
    h, w = lab.shape
    crop = cfg.crop
    # Log-uniform scale so zoom-in and zoom-out are equally likely.
    s = float(np.exp(rng.uniform(np.log(cfg.scale_min), np.log(cfg.scale_max))))
    win = crop / s  # source window side in pixels
    cx = cy = None
    if cfg.focus > 0 and rng.random() < cfg.focus:
        # Subsample the marking pixels: nonzero on a strided view is cheap on big images.
        ys, xs = np.nonzero((lab[::4, ::4] > 0) & (lab[::4, ::4] != IGNORE))
        if len(ys):
            k = int(rng.integers(len(ys)))
            cy = ys[k] * 4 + rng.uniform(-win / 3, win / 3)
            cx = xs[k] * 4 + rng.uniform(-win / 3, win / 3)
    if cx is None:
        cx = rng.uniform(min(win / 2, w / 2), max(w - win / 2, w / 2))
        cy = rng.uniform(min(win / 2, h / 2), max(h - win / 2, h / 2))
    x0 = float(np.clip(cx - win / 2, min(0.0, w - win), max(0.0, w - win)))
    y0 = float(np.clip(cy - win / 2, min(0.0, h - win), max(0.0, h - win)))
    if s == 1.0:
        # Without scale jitter the crop starts on a whole pixel: a fractional origin would resample
        # the image (bilinear, a sub-pixel shift and blur) but not the label (nearest), so a 2-4 px
        # line's label would sit up to half a pixel off its paint, which the IoU metrics punish.
        x0, y0 = float(round(x0)), float(round(y0))
    m = np.array([[s, 0.0, -x0 * s], [0.0, s, -y0 * s]], dtype=np.float64)
    # Outside the image: the mean colour (0 after normalisation, as the backend pads tiles), label ignore.
    img_out = cv2.warpAffine(img, m, (crop, crop), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=PAD_RGB)
    lab_out = cv2.warpAffine(lab, m, (crop, crop), flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=IGNORE)
    return img_out, lab_out


def flip_rotate(img: np.ndarray, lab: np.ndarray, rng: np.random.Generator,
                cfg: AugmentConfig) -> Tuple[np.ndarray, np.ndarray]:
    if cfg.flip and rng.random() < 0.5:
        img, lab = img[:, ::-1], lab[:, ::-1]
    if cfg.rot90:
        k = int(rng.integers(4))
        if k:
            img, lab = np.rot90(img, k), np.rot90(lab, k)
    return np.ascontiguousarray(img), np.ascontiguousarray(lab)


def photometric(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Brightness/contrast/gamma/white balance as one LUT per channel, then HSV sat/hue."""
    x = np.arange(256, dtype=np.float32) / 255.0
    gamma = float(np.exp(rng.uniform(np.log(cfg.gamma[0]), np.log(cfg.gamma[1]))))
    contrast = rng.uniform(*cfg.contrast)
    bright = rng.uniform(-cfg.brightness, cfg.brightness)
    mean = float(img.mean())
    luts = []
    for _ in range(3):
        gain = 1.0 + rng.uniform(-cfg.channel_gain, cfg.channel_gain)
        v = (x ** gamma) * 255.0 * gain
        v = (v - mean) * contrast + mean + bright
        luts.append(np.clip(v + 0.5, 0, 255).astype(np.uint8))
    lut = np.stack(luts, axis=1)[:, None, :]  # 256x1x3 for cv2.LUT on a 3-channel image
    img = cv2.LUT(img, lut)
    sat = rng.uniform(*cfg.saturation)
    hue = rng.uniform(-cfg.hue_deg, cfg.hue_deg) / 2.0  # OpenCV hue unit is 2 degrees
    if abs(sat - 1) > 1e-3 or abs(hue) > 0.25:
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
        h = hsv[:, :, 0].astype(np.int16) + int(round(hue))
        hsv[:, :, 0] = np.mod(h, 180).astype(np.uint8)
        hsv[:, :, 1] = np.clip(hsv[:, :, 1].astype(np.float32) * sat, 0, 255).astype(np.uint8)
        img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return img


def degrade(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """Sensor and delivery artefacts: blur or resampling, noise, JPEG re-encoding."""
    if rng.random() < cfg.blur_p:
        sigma = rng.uniform(*cfg.blur_sigma)
        img = cv2.GaussianBlur(img, (0, 0), sigmaX=sigma)
    elif rng.random() < cfg.resample_p:
        h, w = img.shape[:2]
        f = rng.uniform(0.5, 0.9)
        small = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < cfg.noise_p:
        sigma = rng.uniform(*cfg.noise_sigma)
        # OpenCV's generator, seeded from ours (deterministic; 4x faster than numpy's normals).
        noise = np.empty(img.shape, np.int16)
        cv2.setRNGSeed(int(rng.integers(1 << 31)))
        cv2.randn(noise.reshape(noise.shape[0], -1), 0.0, sigma)  # one channel: sigma on every value
        img = cv2.add(img, noise, dtype=cv2.CV_8U)  # saturating
    if rng.random() < cfg.jpeg_p:
        q = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            img = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return img


def augment(img: np.ndarray, lab: np.ndarray, rng: np.random.Generator,
            cfg: AugmentConfig) -> Tuple[np.ndarray, np.ndarray]:
    img, lab = random_crop_affine(img, lab, rng, cfg)
    img, lab = flip_rotate(img, lab, rng, cfg)
    img = photometric(img, rng, cfg)
    img = degrade(img, rng, cfg)
    return img, lab


# ---------------------------------------------------------------------------------------------
# Data set


class SegDataset(Dataset):
    """One split of an MMSegmentation-layout data set.

    Training mode (augment=True) is indexed by sampler keys (index, epoch, position) and returns
    an augmented crop; evaluation mode (augment=False) is indexed by int and returns the whole image.
    Items are uint8 tensors (image CHW RGB, label HW): normalisation happens on the device.
    """

    def __init__(self, root: str | Path, split: str, *, augment: bool = False,
                 aug: Optional[AugmentConfig] = None, seed: int = 0, evaluation_only: bool = False,
                 max_items: Optional[int] = None, require_labels: bool = True):
        # The folder the split names, not its spelling: "test/", "./test" and "x/../test" are "test";
        # list_split also follows symlinks (a val folder or file that is really test is refused).
        if names_test_split(split) and not evaluation_only:
            raise _refuse_test(f"split {split!r}")
        if evaluation_only and augment:
            raise ValueError("evaluation_only data sets are never augmented")
        self.root = Path(root)
        self.split = split
        self.augment = augment
        self.aug = aug or AugmentConfig()
        self.seed = seed
        items = list_split(self.root, split, evaluation_only=True) if evaluation_only else \
            list_split(self.root, split)
        if require_labels:
            missing = [sid for sid, _, ann in items if ann is None]
            if missing:
                raise FileNotFoundError(f"{len(missing)} images in {split} have no label, e.g. {missing[0]}")
        if max_items is not None and 0 < max_items < len(items):
            # Evenly spread over the sorted ids: ids are often grouped by city or region.
            keep = np.unique(np.linspace(0, len(items) - 1, num=max_items).round().astype(int))
            items = [items[int(i)] for i in keep]
        self.items = items
        self._cache: Optional[List[Tuple[np.ndarray, np.ndarray]]] = None

    def __len__(self) -> int:
        return len(self.items)

    def ids(self) -> List[str]:
        return [sid for sid, _, _ in self.items]

    def load(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        if self._cache is not None:
            return self._cache[index]
        _, img_path, ann_path = self.items[index]
        img = read_image_rgb(img_path)
        lab = read_label(ann_path) if ann_path is not None else np.full(img.shape[:2], IGNORE, np.uint8)
        if lab.shape != img.shape[:2]:
            raise ValueError(f"label {ann_path} is {lab.shape}, image is {img.shape[:2]}")
        return img, lab

    def estimated_bytes(self) -> int:
        if not self.items:
            return 0
        img, _ = self.load(0)
        return len(self.items) * img.shape[0] * img.shape[1] * 4

    def preload(self, threads: int = 8) -> None:
        """Decode every image once into RAM (shared copy-on-write with forked workers)."""
        with ThreadPoolExecutor(max_workers=max(1, threads)) as ex:  # cv2 releases the GIL
            self._cache = list(ex.map(self.load, range(len(self.items))))

    def __getitem__(self, key: Any) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.augment:
            index, epoch, pos = key
            img, lab = self.load(index)
            rng = np.random.default_rng([self.seed, epoch, pos, index])
            img, lab = augment(img, lab, rng, self.aug)
        else:
            img, lab = self.load(int(key))
        img_t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        return img_t, torch.from_numpy(np.ascontiguousarray(lab))


def open_split(root: str | Path, split: str, **kwargs: Any) -> SegDataset:
    """The only way train.py and sweep.py open data: no evaluation_only flag can be passed here."""
    if "evaluation_only" in kwargs:
        raise TestSplitForbidden("open_split is the training data path; it never opens evaluation data")
    return SegDataset(root, split, **kwargs)


class EpochSampler(Sampler):
    """Draws `num_samples` keys per epoch from a pool of indices (the current subset).

    An epoch is a fixed number of steps, so a huge data set still validates regularly. Keys are
    (index, epoch, position); iterated in the main process, so changing `epoch`/`pool` works
    with persistent workers.
    """

    def __init__(self, pool: Sequence[int], num_samples: int, seed: int):
        self.pool = list(pool)
        self.num_samples = num_samples
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int, pool: Optional[Sequence[int]] = None) -> None:
        self.epoch = epoch
        if pool is not None:
            self.pool = list(pool)

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[Tuple[int, int, int]]:
        rng = np.random.default_rng([self.seed, self.epoch, 7919])
        drawn: List[int] = []
        while len(drawn) < self.num_samples:
            drawn.extend(int(i) for i in rng.permutation(self.pool))
        for pos in range(self.num_samples):
            yield (drawn[pos], self.epoch, pos)


def subset_order(n: int, seed: int) -> List[int]:
    """A fixed permutation of the training set: subset N is its first N (nested subsets)."""
    return [int(i) for i in np.random.default_rng([seed, 104729]).permutation(n)]


def worker_init(_: int) -> None:
    # One torch thread per worker: many workers each spawning many threads thrash the CPU.
    # Do not touch cv2's thread settings here (see cv2.setNumThreads(0) at the top).
    torch.set_num_threads(1)


def normalise(img_u8: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 NCHW RGB -> float32 normalised NCHW (the model's input contract)."""
    return (img_u8.float() - mean) / std


def norm_tensors(device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    mean = torch.tensor(MEAN_255, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD_255, device=device).view(1, 3, 1, 1)
    return mean, std


def class_frequencies(ds: SegDataset, max_images: int = 200) -> np.ndarray:
    """Pixel frequency of each class over (up to) max_images evenly spread training labels."""
    counts = np.zeros(NUM_CLASSES, dtype=np.float64)
    n = len(ds)
    idx = np.unique(np.linspace(0, n - 1, num=min(n, max_images)).round().astype(int)) if n else []
    for i in idx:
        _, ann = ds.items[int(i)][1], ds.items[int(i)][2]
        if ann is None:
            continue
        lab = read_label(ann)
        counts += np.bincount(lab[lab != IGNORE].ravel(), minlength=256)[:NUM_CLASSES]
    total = counts.sum()
    return counts / total if total > 0 else np.full(NUM_CLASSES, 1.0 / NUM_CLASSES)


def available_ram_bytes() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
