"""Export a trained checkpoint to ONNX (opset 17) and write the model JSON beside it.

    python3 models/training/export.py --checkpoint RUN/best.pt --name lanesegnet-lite --version 1.0.0
    python3 models/training/export.py --preset lite --random-init --out-dir /tmp/x  # latency only

Writes <out-dir>/<name>.onnx and <out-dir>/<name>.json. Works on PyTorch 1.13 and 2.x: on 2.x the
TorchScript exporter is selected with dynamo=False (the dynamo exporter needs onnxscript and
handles dynamic_axes differently); the opset is pinned to 17 on both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import inspect
import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_errors import OneLineArgumentParser, require_modules  # noqa: E402

require_modules("export.py", "numpy", "torch", "cv2")

import torch

from data import MEAN_255, STD_255  # noqa: E402
from metrics import CLASS_NAMES  # noqa: E402
from model import (ModelConfig, build_model, count_parameters, load_checkpoint,  # noqa: E402
                   model_from_checkpoint, preset)

OPSET = 17
REPO_ROOT = Path(__file__).resolve().parents[2]
REGISTRY_TS = REPO_ROOT / "shared" / "src" / "classes.ts"


def registry_classes(path: Path = REGISTRY_TS) -> List[Dict[str, Any]]:
    """Class ids and names from the TS registry (the contract); checked against metrics.CLASS_NAMES."""
    names = list(CLASS_NAMES)
    if path.is_file():
        m = re.search(r"LANE_CLASS_NAMES\s*=\s*\[(.*?)\]\s*as const", path.read_text(), re.S)
        if not m:
            raise RuntimeError(f"cannot find LANE_CLASS_NAMES in {path}")
        ts_names = re.findall(r'"([a-z_]+)"', m.group(1))
        if ts_names != names:
            raise RuntimeError(f"class registry {path} ({ts_names}) differs from training ({names})")
    return [{"id": i, "name": n} for i, n in enumerate(names)]


def export_onnx(model: torch.nn.Module, path: Path, sample_size: int = 64) -> None:
    model = model.eval().cpu()
    dummy = torch.zeros(1, 3, sample_size, sample_size)
    kwargs: Dict[str, Any] = dict(
        opset_version=OPSET,
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"},
                      "logits": {0: "batch", 2: "height", 3: "width"}},
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    path.parent.mkdir(parents=True, exist_ok=True)
    # The TorchScript exporter warns about its own shape inference (prim::Constant); the parity
    # check is what says whether the graph is right, so its warnings only bury the real messages.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
        torch.onnx.export(model, (dummy,), str(path), **kwargs)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_range(text: Optional[str]) -> Optional[Tuple[float, float]]:
    """'min,max' in m/px -> (min, max); ValueError with a one-line reason otherwise."""
    if not text:
        return None
    parts = text.split(",")
    try:
        a, b = (float(t) for t in parts)
    except ValueError:
        raise ValueError(f"--gsd-range must be 'min,max' in m/px, got {text!r}") from None
    if not (0 < a <= b):
        raise ValueError(f"--gsd-range needs 0 < min <= max, got {text!r}")
    return (a, b)


#: A model name is a file stem in --out-dir, never a path.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def gsd_range_from_manifest(manifest: Optional[Dict[str, Any]]) -> Optional[Tuple[float, float]]:
    """Ground resolution range of the TRAIN split, from the data manifest (best effort).

    Prefers per-scene values (scene generator: scenes[].gsdM with scenes[].split), then a range the
    manifest states (options.gsdMin/gsdMax, gsd_range_m, ...)."""
    if not manifest:
        return None
    vals = []
    for key in ("scenes", "items", "images"):
        items = manifest.get(key)
        if isinstance(items, list):
            for it in items:
                if isinstance(it, dict) and it.get("split", "train") == "train":
                    for k in ("gsdM", "gsd_ground_m", "gsdGroundM", "gsd_m", "gsd"):
                        if isinstance(it.get(k), (int, float)):
                            vals.append(float(it[k]))
                            break
    if vals:
        return (min(vals), max(vals))
    for src in (manifest, manifest.get("options") or {}):
        if isinstance(src.get("gsdMin"), (int, float)) and isinstance(src.get("gsdMax"), (int, float)):
            return (float(src["gsdMin"]), float(src["gsdMax"]))
        for key in ("gsd_range_m", "gsdRangeM", "gsd_range", "gsdRange"):
            v = src.get(key)
            if isinstance(v, (list, tuple)) and len(v) == 2:
                return (float(v[0]), float(v[1]))
            if isinstance(v, dict) and "min" in v and "max" in v:
                return (float(v["min"]), float(v["max"]))
    return None


def model_card(name: str, version: str, onnx_path: Path, cfg: ModelConfig, n_params: int,
               ckpt: Optional[Dict[str, Any]], gsd: Optional[Tuple[float, float]]) -> Dict[str, Any]:
    run: Optional[Dict[str, Any]] = None
    if ckpt is not None:
        args = ckpt.get("args", {})
        run = {
            "run_dir": ckpt.get("run_dir"),
            "run_id": ckpt.get("run_id"),
            "epoch": ckpt.get("epoch"),
            "global_step": ckpt.get("global_step"),
            "best_epoch": ckpt.get("best_epoch"),
            "best_val_lane_miou": ckpt.get("best_metric"),
            "val_metrics": ckpt.get("val_metrics"),
            "train_seconds": ckpt.get("elapsed_s"),
            "data_root": args.get("data"),
            "data_manifest_sha256": ckpt.get("data_manifest_sha256"),
            "data_files_sha256": ckpt.get("data_files_sha256"),
            "n_train_images": ckpt.get("n_train"),
            "crop": args.get("crop"),
            "batch": args.get("batch"),
            "lr": args.get("lr"),
            "seed": args.get("seed"),
            # A run warm-started from another model's weights (train.py --init-weights).
            "init_weights": args.get("init_weights"),
            "torch": ckpt.get("torch_version"),
            "device": ckpt.get("device_name"),
        }
    return {
        "name": name,
        "version": version,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "bytes": onnx_path.stat().st_size,
        "opset": OPSET,
        "architecture": cfg.to_dict(),
        "parameters": n_params,
        "classes": registry_classes(),
        "input": {
            "name": "image",
            "dtype": "float32",
            "layout": "NCHW",
            "channel_order": "RGB",
            # x = (pixel_0_255 - mean[c]) / std[c]
            "normalization": {"scale": "0-255", "mean": list(MEAN_255), "std": list(STD_255)},
            "size_multiple": cfg.size_multiple,
            "dynamic_axes": ["batch", "height", "width"],
        },
        "output": {
            "name": "logits",
            "dtype": "float32",
            "layout": "NCHW",
            "num_classes": cfg.num_classes,
            "resolution": "full (same height and width as the input)",
            "activation": "none: apply softmax over the class axis for probabilities",
        },
        "trained_gsd_m": {"min": gsd[0], "max": gsd[1]} if gsd else None,
        "training": run,
        "calibration": ckpt.get("calibration") if ckpt else None,
        # Filled later by the TS evaluation CLI, one entry per evaluation set.
        "metrics": {},
    }


def trained_card(path: Path) -> bool:
    """Whether a model card is there and describes a trained model (not a --random-init export)."""
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError):
        return path.exists()  # there, but unreadable: not ours to overwrite either
    training = card.get("training") if isinstance(card, dict) else None
    return not (isinstance(training, dict) and training.get("untrained") is True)


def main(argv: Optional[List[str]] = None) -> int:
    ap = OneLineArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="training checkpoint (.pt), e.g. RUN/best.pt")
    ap.add_argument("--preset", help="model preset for --random-init exports (lite, lite-wide, ...); "
                    "not with --checkpoint")
    ap.add_argument("--random-init", action="store_true",
                    help="export an untrained network (latency experiments only; never ship it)")
    ap.add_argument("--name", default="lanesegnet-lite", help="model name: file stem of .onnx/.json")
    ap.add_argument("--version", default="0.0.0", help="model version recorded in the JSON")
    ap.add_argument("--out-dir", default=str(REPO_ROOT / "models"), help="output folder (default: models/)")
    ap.add_argument("--gsd-range", help="trained ground resolution range 'min,max' in m/px "
                    "(default: from the data manifest when it states one)")
    ap.add_argument("--max-mb", type=float, default=16.0, help="fail if the ONNX file is larger")
    args = ap.parse_args(argv)
    if not NAME_RE.match(args.name):
        ap.error(f"--name must be 1-64 letters, digits, '.', '_' or '-' (a file stem), got {args.name!r}")
    if not args.max_mb > 0:
        ap.error(f"--max-mb must be > 0, got {args.max_mb}")
    try:
        gsd = parse_range(args.gsd_range)
    except ValueError as e:
        ap.error(str(e))

    # The checkpoint decides the architecture and the weights: either flag beside it was ignored.
    if args.checkpoint and (args.random_init or args.preset):
        given = " and ".join(f for f, v in (("--random-init", args.random_init), ("--preset", args.preset)) if v)
        ap.error(f"--checkpoint exports its own trained network: {given} cannot go with it")
    ckpt = None
    if args.checkpoint:
        ckpt = load_checkpoint(args.checkpoint)
        model, cfg = model_from_checkpoint(ckpt)
    elif args.random_init:
        cfg = preset(args.preset or "lite")
        torch.manual_seed(0)
        model = build_model(cfg)
    else:
        ap.error("give --checkpoint, or --random-init (with --preset) for latency experiments")
    out_dir = Path(args.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        ap.error(f"--out-dir {out_dir} is not a folder")
    onnx_path = out_dir / f"{args.name}.onnx"
    # An untrained network never replaces a trained model (the defaults name the shipped one).
    if args.random_init and trained_card(out_dir / f"{args.name}.json"):
        ap.error(f"--random-init would replace the trained model {onnx_path}: give another --name or --out-dir")
    out_dir.mkdir(parents=True, exist_ok=True)
    # Written beside the target and moved over it only once it passes the size check, so a failed
    # export never replaces (or leaves next to its card) the model already there.
    partial = out_dir / f".{args.name}.onnx.partial"
    try:
        export_onnx(model, partial)
        size_mb = partial.stat().st_size / 1e6
        if size_mb > args.max_mb:
            raise SystemExit(f"export.py: the model is {size_mb:.1f} MB > --max-mb {args.max_mb}; nothing written")
        os.replace(partial, onnx_path)
    finally:
        partial.unlink(missing_ok=True)
    if gsd is None and ckpt is not None:
        gsd = gsd_range_from_manifest(ckpt.get("data_manifest"))
    card = model_card(args.name, args.version, onnx_path, cfg, count_parameters(model), ckpt, gsd)
    if args.random_init:
        card["training"] = {"untrained": True}
    json_path = out_dir / f"{args.name}.json"
    json_path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {onnx_path} ({size_mb:.2f} MB, {card['parameters']} params) and {json_path}")
    return 0


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("export.py", main)
