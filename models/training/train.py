"""Train LaneSegNet-Lite on an MMSegmentation-layout data set (train split; val for selection).

Runs unchanged on PyTorch 1.13 CPU (Debian, /usr/bin/python3) and PyTorch 2.x + CUDA.

  # tiny CPU check
  /usr/bin/python3 models/training/train.py --data /tmp/scenes --run-dir /tmp/run --device cpu \\
      --crop 128 --batch 4 --epochs 3 --steps-per-epoch 10
  # GPU, six minutes, bf16
  python3 models/training/train.py --data DATA --run-dir runs/r1 --time-budget-min 6 --epochs 100
  # continue the same run (optimizer, schedule, epoch, RNG, log appended); a different --epochs
  # or --time-budget-min re-spans the cosine LR schedule over the new length
  python3 models/training/train.py --resume runs/r1/last.pt [--time-budget-min 12]

Outputs in --run-dir: log.jsonl (first line config + data identity, then one line per epoch),
epoch_XXX.pt every epoch, last.pt, best.pt (best val lane mIoU).
The test split is never opened here (data.open_split refuses it).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_errors import OneLineArgumentParser, require_modules  # noqa: E402

require_modules("train.py", "numpy", "torch", "cv2")

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from data import (AugmentConfig, EpochSampler, available_ram_bytes,  # noqa: E402
                  class_frequencies, cpu_count, file_list_sha256, manifest_sha256, norm_tensors,
                  normalise, open_split, read_manifest, subset_order, worker_init)
from losses import SegLoss, class_weights_from_frequencies  # noqa: E402
from metrics import SegMetrics  # noqa: E402
from model import (PRESETS, ModelConfig, build_model, check_config,  # noqa: E402
                   count_parameters, load_checkpoint, parse_model_overrides, preset)

DEFAULT_RUNS = Path(__file__).resolve().parent / "runs"
# Flags that may change when a run is resumed (machine, budget, stopping); everything else is
# taken from the checkpoint so the run stays the same run.
RESUME_OVERRIDABLE = ("data", "device", "workers", "cache_images", "epochs", "time_budget_min",
                      "patience", "max_val_images", "log_every", "compile", "keep_epoch_checkpoints",
                      "loader_timeout")
# EpochSampler draws an epoch's sample keys as one list in memory: cap steps x batch.
MAX_CROPS_PER_EPOCH = 10**7
# What --resume needs from a checkpoint: a run's own training state (epoch_XXX.pt, last.pt, best.pt).
TRAINING_STATE_KEYS = ("args", "model", "optimizer", "epoch", "global_step", "elapsed_s", "best_metric",
                       "best_epoch", "bad_epochs", "rng", "run_id", "class_weights", "class_freq")


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_argument_group("data and run")
    g.add_argument("--data", help="data set root (MMSegmentation layout: img_dir/, ann_dir/, manifest.json)")
    g.add_argument("--run-dir", help=f"output folder for log and checkpoints (default: {DEFAULT_RUNS}/<time>)")
    g.add_argument("--resume", metavar="CKPT",
                   help="continue the run that wrote CKPT (its run dir, config, optimizer, epoch, RNG); "
                        f"only {', '.join('--' + k.replace('_', '-') for k in RESUME_OVERRIDABLE)} may change; another "
                        "flag given with a value other than the run's is refused (exit 2): start a new run "
                        "with --init-weights CKPT instead")
    g.add_argument("--init-weights", metavar="CKPT",
                   help="start a new run from the weights in CKPT (any checkpoint of ours, or from_onnx.py's "
                        "output): fresh optimizer, schedule and epoch count; the architecture comes from CKPT")
    g.add_argument("--seed", type=int, default=0, help="seed for init, sampling and augmentation (default 0)")
    g.add_argument("--subset-schedule", default="all",
                   help="progressive training subsets: 'SIZE:EPOCHS,...,all', e.g. '5000:3,15000:3,all' = "
                        "first 5000 images of a fixed permutation for 3 epochs, 15000 for 3, then all; every stage "
                        "but the last needs SIZE:EPOCHS (both >= 1), sizes strictly increase, 'all' only last "
                        "(default all)")
    g = ap.add_argument_group("model")
    g.add_argument("--model", default="lite", choices=sorted(PRESETS), help="architecture preset (default lite)")
    g.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field, e.g. widths=24,64,128,256 detail=0 (repeatable)")
    g = ap.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, default=50,
                   help="maximum epochs (default 50); the cosine LR schedule spans them. On --resume, leave "
                        "it out to continue an interrupted run exactly; a different --epochs re-spans the "
                        "cosine over the new count from the current step (the LR jumps to the new "
                        "schedule's value, e.g. up again when extending a finished run)")
    g.add_argument("--steps-per-epoch", type=int, default=300,
                   help="optimizer steps per epoch: an epoch is a fixed number of steps so a huge data set "
                        "still validates regularly (default 300)")
    g.add_argument("--batch", type=int, default=16, help="batch size (default 16)")
    g.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of AdamW (default 3e-3)")
    g.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay on conv weights (default 1e-4)")
    g.add_argument("--warmup-steps", type=int, default=100, help="linear LR warm-up steps (default 100)")
    g.add_argument("--schedule", default="cosine", choices=["cosine", "constant"],
                   help="LR after warm-up: cosine decay to lr*min-lr-ratio over the epochs or the time budget, "
                        "whichever ends first (default cosine)")
    g.add_argument("--min-lr-ratio", type=float, default=0.02, help="final LR as a fraction of --lr (default 0.02)")
    g.add_argument("--time-budget-min", type=float, default=0.0,
                   help="stop cleanly (validate, checkpoint) when this many minutes of run time are spent, "
                        "counting validation and earlier resumed sessions; the LR schedule spans it (0 = none)")
    g.add_argument("--grad-clip", type=float, default=5.0, help="clip the gradient norm (0 = off; default 5)")
    g.add_argument("--dice-weight", type=float, default=1.0, help="weight of the soft Dice term (default 1)")
    g.add_argument("--freeze-bn", action="store_true",
                   help="keep every BatchNorm as the warm start left it (running statistics, affine "
                        "parameters): for fine-tuning with batches far smaller than the original run's")
    g.add_argument("--lovasz-weight", type=float, default=0.0,
                   help="weight of a Lovász-softmax term over the marking classes (default 0 = off; for "
                        "fine-tuning a CE-trained network towards IoU, see losses.py)")
    g.add_argument("--max-class-weight", type=float, default=10.0,
                   help="cap of the CE class weights sqrt(f_bg/f_c) (default 10)")
    g = ap.add_argument_group("augmentation")
    g.add_argument("--crop", type=int, default=512, help="training crop side in pixels (default 512)")
    g.add_argument("--scale-range", default="0.75,1.33",
                   help="scale jitter range 'min,max' (it changes the ground resolution: keep it modest; default 0.75,1.33)")
    g.add_argument("--focus", type=float, default=0.5,
                   help="probability of centring a crop near a marking pixel (default 0.5)")
    g.add_argument("--no-photometric", action="store_true", help="disable colour/blur/noise/JPEG augmentation")
    g = ap.add_argument_group("validation and stopping")
    g.add_argument("--max-val-images", type=int, default=100,
                   help="validate on at most this many val images, evenly spread over the split (0 = all; default 100)")
    g.add_argument("--patience", type=int, default=8,
                   help="stop after this many epochs without a better val lane mIoU (0 = never; default 8)")
    g.add_argument("--min-delta", type=float, default=1e-4, help="improvement that resets patience (default 1e-4)")
    g = ap.add_argument_group("runtime")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto = cuda if available (default auto)")
    g.add_argument("--amp", default="bf16", choices=["bf16", "off"],
                   help="bf16 autocast on CUDA (ignored on CPU; default bf16)")
    g.add_argument("--workers", type=int, default=-1,
                   help="DataLoader worker processes (-1 = auto: min(16, cores) on CUDA, 0 on CPU)")
    g.add_argument("--loader-timeout", type=float, default=300.0,
                   help="seconds a DataLoader worker may take for one batch before the run fails loudly "
                        "(a deadlocked worker must not eat the time budget; default 300)")
    g.add_argument("--cache-images", default="auto", choices=["auto", "on", "off"],
                   help="decode all train/val images into RAM once (auto: if they take < 30%% of free RAM)")
    g.add_argument("--compile", action="store_true", help="torch.compile the training forward pass (PyTorch 2.x; costs start-up time; untested)")
    g.add_argument("--log-every", type=int, default=50, help="print training loss every N steps (default 50)")
    g.add_argument("--keep-epoch-checkpoints", type=int, default=0,
                   help="keep only the newest N epoch_XXX.pt files (0 = keep all; default 0)")
    return ap


def explicit_flags(argv: List[str]) -> set:
    """Names of the flags given on the command line (so resume can tell overrides from defaults)."""
    ap = build_parser()
    for a in ap._actions:
        a.default = argparse.SUPPRESS
    ns, _ = ap.parse_known_args(argv)
    return set(vars(ns))


def check_args(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse values that would fail deep inside the run, or train nothing, before anything is written."""
    if args.data and not Path(args.data).is_dir():
        ap.error(f"--data {args.data} is not a folder")
    if args.resume and not Path(args.resume).is_file():
        ap.error(f"--resume {args.resume} is not a file")
    if args.init_weights and not Path(args.init_weights).is_file():
        ap.error(f"--init-weights {args.init_weights} is not a file")
    for name in ("batch", "epochs", "steps_per_epoch"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.crop < 32 or args.crop % 16:
        ap.error(f"--crop must be a multiple of 16 and at least 32, got {args.crop}")
    # Numbers a run cannot use: NaN and infinities pass every comparison argparse's type makes, and
    # a negative seed or a huge batch failed only after the run folder was made.
    ranges = {
        "lr": (0, None, False), "weight_decay": (0, None, True), "min_lr_ratio": (0, 1, True),
        "time_budget_min": (0, None, True), "grad_clip": (0, None, True), "dice_weight": (0, None, True),
        "lovasz_weight": (0, None, True), "max_class_weight": (1, None, True), "focus": (0, 1, True),
        "min_delta": (0, None, True), "loader_timeout": (0, None, True), "warmup_steps": (0, None, True),
        "log_every": (0, None, True), "keep_epoch_checkpoints": (0, None, True), "batch": (1, 4096, True),
        "seed": (0, 2**32 - 1, True), "max_val_images": (0, None, True), "patience": (0, None, True),
        "workers": (-1, None, True),
    }
    for name, (lo_v, hi_v, inclusive) in ranges.items():
        v = getattr(args, name)
        ok = math.isfinite(v) and (v >= lo_v if inclusive else v > lo_v) and (hi_v is None or v <= hi_v)
        if not ok:
            bound = f"{'>=' if inclusive else '>'} {lo_v}" + ("" if hi_v is None else f" and <= {hi_v}")
            ap.error(f"--{name.replace('_', '-')} must be a number {bound}, got {v}")
    if args.steps_per_epoch * args.batch > MAX_CROPS_PER_EPOCH:
        ap.error(f"--steps-per-epoch x --batch must be at most {MAX_CROPS_PER_EPOCH} crops per epoch "
                 f"(validation comes every epoch), got {args.steps_per_epoch} x {args.batch}")
    if args.device == "cuda" and not torch.cuda.is_available():
        ap.error("--device cuda but CUDA is not available here (use --device cpu or auto)")
    if args.run_dir and Path(args.run_dir).exists() and not Path(args.run_dir).is_dir():
        ap.error(f"--run-dir {args.run_dir} is not a folder")
    try:
        lo, hi = (float(v) for v in args.scale_range.split(","))
    except ValueError:
        ap.error(f"--scale-range must be 'min,max', got {args.scale_range}")
    if not (0 < lo <= hi and math.isfinite(hi)):
        ap.error(f"--scale-range needs 0 < min <= max, finite, got {args.scale_range}")
    try:
        parse_subset_schedule(args.subset_schedule)
    except ValueError as e:
        ap.error(f"--subset-schedule must be 'SIZE:EPOCHS,...,all' ({e}), got {args.subset_schedule}")
    for pair in args.model_opt:
        key, eq, value = pair.partition("=")
        if not eq or key not in ModelConfig.__dataclass_fields__ or key == "arch":
            fields = ", ".join(k for k in ModelConfig.__dataclass_fields__ if k != "arch")
            ap.error(f"--model-opt needs KEY=VALUE with KEY one of {fields}, got {pair}")
        try:
            parse_model_overrides([pair])
        except ValueError:
            ap.error(f"--model-opt {pair}: {key} takes integers")
    # The whole model config, as main() builds it, so a value that makes no working network (or
    # not the registry's classes) is refused here, before the run folder exists.
    try:
        check_config(ModelConfig.from_dict({**preset(args.model).to_dict(), **parse_model_overrides(args.model_opt)}))
    except ValueError as e:
        ap.error(f"--model-opt: {e}")


def log(msg: str) -> None:
    print(f"[{dt.datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_subset_schedule(text: str) -> List[Tuple[Optional[int], Optional[int]]]:
    """'SIZE:EPOCHS,...,all' -> [(size or None for all, epochs or None)]; ValueError (saying why)
    unless every stage but the last is SIZE:EPOCHS with both >= 1, 'all' comes only last, and the
    sizes strictly increase (a later stage never trains on fewer images)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    stages: List[Tuple[Optional[int], Optional[int]]] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        size_s, colon, ep_s = part.partition(":")
        size = None if size_s.strip().lower() == "all" else int(size_s)
        epochs = int(ep_s) if colon else None
        if size is None and not last:
            raise ValueError("'all' may only be the last stage")
        if size is not None and size < 1:
            raise ValueError(f"stage {part!r}: SIZE must be at least 1")
        if epochs is None and not last:
            raise ValueError(f"stage {part!r} needs SIZE:EPOCHS (only the last stage runs to the end)")
        if epochs is not None and epochs < 1:
            raise ValueError(f"stage {part!r}: EPOCHS must be at least 1")
        if stages and size is not None and size <= (stages[-1][0] or 0):
            raise ValueError(f"stage {part!r}: sizes must strictly increase")
        stages.append((size, epochs))
    if not stages:
        stages = [(None, None)]
    return stages


def subset_size_for_epoch(stages: List[Tuple[Optional[int], Optional[int]]], epoch: int, n: int) -> int:
    start = 0
    for i, (size, eps) in enumerate(stages):
        last = i == len(stages) - 1
        if last or eps is None or epoch < start + eps:
            return n if size is None else max(1, min(size, n))
        start += eps
    return n


def lr_factor(step: int, elapsed: float, args: argparse.Namespace) -> float:
    if step < args.warmup_steps:
        return (step + 1) / args.warmup_steps
    if args.schedule == "constant":
        return 1.0
    total = args.epochs * args.steps_per_epoch
    p = (step - args.warmup_steps) / max(1, total - args.warmup_steps)
    if args.time_budget_min > 0:
        p = max(p, elapsed / (args.time_budget_min * 60.0))
    p = min(max(p, 0.0), 1.0)
    m = args.min_lr_ratio
    return m + (1 - m) * 0.5 * (1 + math.cos(math.pi * p))


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("train.py: --device cuda but CUDA is not available here (use --device cpu or auto)")
    return torch.device(name)


def rng_state(device: torch.device) -> Dict[str, Any]:
    st: Dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state(),
                          "torch": torch.get_rng_state()}
    if device.type == "cuda":
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def set_rng_state(st: Dict[str, Any], device: torch.device) -> None:
    random.setstate(st["python"])
    np.random.set_state(st["numpy"])
    torch.set_rng_state(st["torch"].cpu() if hasattr(st["torch"], "cpu") else st["torch"])
    if device.type == "cuda" and "cuda" in st:
        try:
            torch.cuda.set_rng_state_all([s.cpu() for s in st["cuda"]])
        except RuntimeError as e:  # a different GPU count: the data order does not depend on it
            log(f"warning: CUDA RNG state not restored ({e})")


def freeze_batchnorm(model: torch.nn.Module) -> None:
    """Stop training every BatchNorm's affine parameters (train_mode keeps its statistics fixed)."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            for p in m.parameters():
                p.requires_grad_(False)


def train_mode(model: torch.nn.Module, freeze_bn: bool) -> None:
    """model.train(), with every BatchNorm kept in eval mode (running statistics) when frozen."""
    model.train()
    if freeze_bn:
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()


def param_groups(model: torch.nn.Module, weight_decay: float) -> List[Dict[str, Any]]:
    decay, no_decay = [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue  # frozen (--freeze-bn)
        (decay if p.dim() == 4 else no_decay).append(p)  # conv kernels decay; BN and biases do not
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def autocast(enabled: bool) -> Any:
    """bf16 autocast on CUDA; a no-op context otherwise (1.13's autocast probes CUDA even when disabled)."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)


def pad_to_multiple(x: torch.Tensor, mult: int) -> Tuple[torch.Tensor, int, int]:
    """Pad a normalised batch on the right/bottom with 0 (the mean colour), as the backend pads
    tiles; the logits of the padding are cropped off again."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % mult, (-w) % mult
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="constant", value=0.0)
    return x, h, w


@torch.no_grad()
def validate(model: torch.nn.Module, loader: DataLoader, device: torch.device, amp: bool,
             mult: int, crit: SegLoss, channels_last: bool) -> Dict[str, Any]:
    model.eval()
    mean, std = norm_tensors(device)
    metrics = SegMetrics(device=device)
    loss_sum, n = 0.0, 0
    for img, lab in loader:
        x = normalise(img.to(device, non_blocking=True), mean, std)
        x, h, w = pad_to_multiple(x, mult)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = lab.to(device, non_blocking=True).long()
        with autocast(amp):
            logits = model(x)
        logits = logits[:, :, :h, :w].float()
        loss_sum += float(crit(logits, y))
        n += 1
        metrics.update(logits.argmax(1), y)
    out = metrics.compute()
    out["loss"] = loss_sum / max(1, n)
    out["images"] = n
    model.train()
    return out


def save_checkpoint(path: Path, state: Dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written last.pt


def prune_epoch_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the newest `keep` epoch_N.pt, newest by epoch number (as text, epoch_1000
    would sort before epoch_999 and the newest checkpoint would go)."""
    numbered = [p for p in run_dir.glob("epoch_*.pt") if p.stem[len("epoch_"):].isdigit()]
    for p in sorted(numbered, key=lambda p: int(p.stem[len("epoch_"):]))[:-keep]:
        p.unlink()


def git_state(where: Path = Path(__file__).resolve().parent) -> Optional[Dict[str, Any]]:
    """The commit of the checkout this code runs from, and whether its tracked files differ from it
    (untracked files are others' scratch in a shared tree); None outside a git checkout (the GPU
    machine's copy) or without git: a run never fails for want of it."""
    def git(*cmd: str) -> Optional[str]:
        try:
            # --no-optional-locks: status would otherwise refresh the index under index.lock and
            # could fail a commit made in the same tree at that moment.
            r = subprocess.run(["git", "--no-optional-locks", *cmd], cwd=where, capture_output=True,
                               text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout if r.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def append_log(run_dir: Path, record: Dict[str, Any]) -> None:
    with open(run_dir / "log.jsonl", "a") as f:
        f.write(json.dumps(record, default=str) + "\n")


def main(argv: Optional[List[str]] = None) -> int:
    made: List[Path] = []
    try:
        return run(argv, made)
    except BaseException:
        # A run that fails before it writes anything leaves no empty run folder behind (rmdir
        # removes only an empty folder; a run with a log or checkpoints stays).
        for d in made:
            with contextlib.suppress(OSError):
                d.rmdir()
        raise


def run(argv: Optional[List[str]], made: List[Path]) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    if args.data:
        # Absolute, so the run (and its resume) does not depend on the working directory.
        args.data = str(Path(args.data).resolve())
    t_session = time.time()

    ckpt: Optional[Dict[str, Any]] = None
    if args.resume:
        ckpt = load_checkpoint(args.resume)
        if isinstance(ckpt, dict) and "calibration" in ckpt:
            # calibrate.py's output: its logit offsets are folded into the weights (for export);
            # training on from there would learn on top of shifted logits.
            parser.error(f"--resume {args.resume} is a calibrated checkpoint, not a run's training "
                         "checkpoint: start a new run from it with --init-weights")
        missing = [k for k in TRAINING_STATE_KEYS if not isinstance(ckpt, dict) or k not in ckpt]
        if missing:
            parser.error(f"--resume {args.resume} is not a run's training checkpoint (no {', '.join(missing)}; "
                         "e.g. from_onnx.py's output): start a new run from it with --init-weights")
        given = explicit_flags(argv)
        # Flags added since that run was saved take their defaults (their default is the old behaviour).
        saved = {**vars(build_parser().parse_args([])), **dict(ckpt["args"])}
        overrides = {k: getattr(args, k) for k in RESUME_OVERRIDABLE if k in given and getattr(args, k) != saved.get(k)}
        refused = sorted(k for k in given - set(RESUME_OVERRIDABLE) - {"resume"} if getattr(args, k) != saved.get(k))
        if refused:
            # Refused, not ignored: `--resume last.pt --lr 1e-4` looks like it trains at 1e-4.
            changed = ", ".join(f"--{k.replace('_', '-')} {getattr(args, k)} (the run has {saved.get(k)})"
                                for k in refused)
            parser.error(f"--resume keeps the run's configuration, so {changed} cannot change: "
                         f"start a new run from its weights with --init-weights {args.resume}")
        old_epochs = saved.get("epochs")
        saved.update(overrides)
        saved["resume"] = args.resume
        args = argparse.Namespace(**saved)
        run_dir = Path(args.resume).resolve().parent
        if not args.data or not Path(args.data).is_dir():
            parser.error(f"the run's data {args.data} is not a folder (moved? give --data)")
        args.data = str(Path(args.data).resolve())  # a run saved before paths were stored absolute
        if args.device == "cuda" and not torch.cuda.is_available():
            parser.error("the run used --device cuda and CUDA is not available here: give --device cpu or auto")
        # The same data, wherever it lies: the file list (names and sizes) is the identity; the
        # manifest also records the generator's --out path, so it decides only where a checkpoint
        # has no file-list hash. Other data is another run, never a silent continuation.
        old_files, old_manifest = ckpt.get("data_files_sha256"), ckpt.get("data_manifest_sha256")
        if old_files is not None:
            differs = old_files != file_list_sha256(args.data)
        else:
            differs = old_manifest is not None and old_manifest != manifest_sha256(args.data)
        if differs:
            parser.error(f"the data in {args.data} differs from the run's (its train/val files or manifest "
                         "hash): start a new run on it with --init-weights instead")
        if old_files is not None and old_manifest not in (None, manifest_sha256(args.data)):
            log("resume: same train/val files, another manifest (the data generated or copied elsewhere?)")
        if "epochs" in overrides and args.schedule == "cosine":
            log(f"resume: --epochs {old_epochs} -> {args.epochs}: the cosine LR schedule now spans "
                f"{args.epochs} epochs (the LR jumps to its value at this step)")
    else:
        if not args.data:
            build_parser().error("--data is required (or --resume)")
        overrides = {}
        run_dir = Path(args.run_dir) if args.run_dir else DEFAULT_RUNS / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        if (run_dir / "log.jsonl").exists():
            raise SystemExit(f"train.py: {run_dir} already holds a run: use --resume {run_dir}/last.pt or another --run-dir")
    if not run_dir.exists():
        made.append(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SystemExit(f"train.py: cannot create the run folder {run_dir}: {e.strerror}")

    device = resolve_device(args.device)
    use_amp = args.amp == "bf16" and device.type == "cuda"
    channels_last = device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    workers = args.workers if args.workers >= 0 else (min(16, cpu_count()) if device.type == "cuda" else 0)

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    # Data: train and val only, through the training path that refuses the test split.
    lo, hi = (float(v) for v in args.scale_range.split(","))
    aug = AugmentConfig(crop=args.crop, scale_min=lo, scale_max=hi, focus=args.focus)
    if args.no_photometric:
        aug = AugmentConfig(crop=args.crop, scale_min=lo, scale_max=hi, focus=args.focus, brightness=0.0,
                            contrast=(1.0, 1.0), gamma=(1.0, 1.0), channel_gain=0.0, saturation=(1.0, 1.0),
                            hue_deg=0.0, blur_p=0.0, resample_p=0.0, noise_p=0.0, jpeg_p=0.0)
    train_ds = open_split(args.data, "train", augment=True, aug=aug, seed=args.seed)
    val_ds = open_split(args.data, "val", augment=False, max_items=args.max_val_images or None)
    if len(train_ds) == 0 or len(val_ds) == 0:
        raise SystemExit(f"empty split in {args.data}: train={len(train_ds)} val={len(val_ds)}")
    cache = args.cache_images == "on" or (
        args.cache_images == "auto"
        and (train_ds.estimated_bytes() + val_ds.estimated_bytes()) < 0.3 * available_ram_bytes())
    if cache:
        t0 = time.time()
        train_ds.preload(threads=max(2, workers))
        val_ds.preload(threads=max(2, workers))
        log(f"cached {len(train_ds)} train + {len(val_ds)} val images in RAM in {time.time() - t0:.1f}s")

    # Model, loss, optimizer.
    init: Optional[Dict[str, Any]] = load_checkpoint(args.init_weights) if getattr(args, "init_weights", None) and ckpt is None else None
    if ckpt is not None:
        mcfg = ModelConfig.from_dict(ckpt["model_config"])
    elif init is not None:
        mcfg = ModelConfig.from_dict(init["model_config"])
    else:
        mcfg = ModelConfig.from_dict({**preset(args.model).to_dict(), **parse_model_overrides(args.model_opt)})
    model = build_model(mcfg)
    if init is not None:
        model.load_state_dict(init["model"])
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if ckpt is not None:
        class_weights = list(ckpt["class_weights"])
        class_freq = list(ckpt["class_freq"])
    else:
        class_freq = [float(v) for v in class_frequencies(train_ds)]
        class_weights = [float(v) for v in class_weights_from_frequencies(class_freq, args.max_class_weight)]
    crit = SegLoss(class_weights, dice_weight=args.dice_weight, lovasz_weight=args.lovasz_weight).to(device)
    if args.freeze_bn:
        freeze_batchnorm(model)
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.999))

    start_epoch, global_step, elapsed_before = 0, 0, 0.0
    best_metric, best_epoch, bad_epochs = -1.0, 0, 0
    run_id = uuid.uuid4().hex[:12]
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start_epoch = int(ckpt["epoch"])
        global_step = int(ckpt["global_step"])
        elapsed_before = float(ckpt["elapsed_s"])
        best_metric = float(ckpt["best_metric"])
        best_epoch = int(ckpt["best_epoch"])
        bad_epochs = int(ckpt["bad_epochs"])
        run_id = ckpt["run_id"]
        set_rng_state(ckpt["rng"], device)
    fwd_model: torch.nn.Module = model
    if args.compile and hasattr(torch, "compile"):
        fwd_model = torch.compile(model)  # type: ignore[assignment]

    order = subset_order(len(train_ds), args.seed)
    stages = parse_subset_schedule(args.subset_schedule)
    sampler = EpochSampler(order, args.steps_per_epoch * args.batch, args.seed)
    dl_kwargs: Dict[str, Any] = dict(num_workers=workers, pin_memory=device.type == "cuda",
                                     worker_init_fn=worker_init if workers > 0 else None)
    if workers > 0:
        # timeout: a stuck worker fails the run loudly instead of silently eating the time budget.
        dl_kwargs.update(persistent_workers=True, prefetch_factor=4, timeout=getattr(args, "loader_timeout", 300.0))
    train_loader = DataLoader(train_ds, batch_size=args.batch, sampler=sampler, drop_last=True, **dl_kwargs)
    val_kwargs = dict(dl_kwargs)
    val_kwargs.update(num_workers=min(workers, 4), persistent_workers=min(workers, 4) > 0)
    if val_kwargs["num_workers"] == 0:
        for k in ("prefetch_factor", "timeout"):
            val_kwargs.pop(k, None)
        val_kwargs["worker_init_fn"] = None
    val_loader = DataLoader(val_ds, batch_size=1, shuffle=False, **val_kwargs)

    data_manifest = read_manifest(args.data)
    data_id: Dict[str, Any] = {"root": str(args.data), "manifest_sha256": manifest_sha256(args.data),
                               "n_train": len(train_ds), "n_val": len(val_ds),
                               "val_ids_sha256": hashlib.sha256(",".join(val_ds.ids()).encode()).hexdigest()}
    # Always: the manifest records the command line (its --out path), so the same data generated
    # into another folder hashes differently; the file list (names and sizes) does not.
    data_id["files_sha256"] = file_list_sha256(args.data)
    env = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
           "device": str(device), "device_name": torch.cuda.get_device_name(0) if device.type == "cuda" else
           platform.processor() or platform.machine(), "cpus": cpu_count(), "workers": workers,
           "amp": "bf16" if use_amp else "off", "channels_last": channels_last, "cache_images": cache,
           "host": platform.node(), "git": git_state()}
    if ckpt is not None and ckpt.get("val_ids_sha256") not in (None, data_id["val_ids_sha256"]):
        # Another validation set (a changed --data or --max-val-images): the saved best score was
        # measured on other images, so it cannot be compared with the next ones. Selection and
        # patience start over; the best checkpoint so far stays on disk under its own epoch.
        log("resume: the validation set differs from the checkpoint's: best score and patience start over")
        best_metric, best_epoch, bad_epochs = -1.0, 0, 0
        data_id["val_set_changed"] = True
    if ckpt is None:
        append_log(run_dir, {"type": "config", "run_id": run_id, "time": dt.datetime.now().isoformat(),
                             "args": vars(args), "model_config": mcfg.to_dict(),
                             "params": count_parameters(model), "augment": aug.to_dict(),
                             "class_freq": class_freq, "class_weights": class_weights,
                             "data": data_id, "env": env})
    else:
        append_log(run_dir, {"type": "resume", "time": dt.datetime.now().isoformat(), "from": args.resume,
                             "epoch": start_epoch, "global_step": global_step, "overrides": overrides,
                             "data": data_id, "env": env})
    log(f"run {run_id} in {run_dir}: {count_parameters(model)} params, device {device} ({env['device_name']}), "
        f"amp {env['amp']}, workers {workers}, train {len(train_ds)} val {len(val_ds)} images")

    mean, std = norm_tensors(device)
    budget_s = args.time_budget_min * 60.0
    last_val_s = 0.0
    stop_reason = "epochs"
    end_epoch = args.epochs
    if budget_s > 0 and elapsed_before >= budget_s:
        log("time budget already spent: nothing to do (give a larger --time-budget-min to continue)")
        stop_reason = "time_budget"
        end_epoch = start_epoch  # no epoch to run; the end record keeps the real epoch
    elif args.patience > 0 and bad_epochs >= args.patience:
        # The run ended by early stopping (a --patience raised on resume above bad_epochs continues).
        log(f"early stopping already reached ({bad_epochs} epochs without improvement): nothing to do "
            "(give a larger --patience to continue)")
        stop_reason = "early_stopping"
        end_epoch = start_epoch

    def elapsed() -> float:
        return elapsed_before + (time.time() - t_session)

    epochs_done = start_epoch
    for epoch in range(start_epoch, end_epoch):
        t_epoch = time.time()
        n_subset = subset_size_for_epoch(stages, epoch, len(train_ds))
        sampler.set_epoch(epoch, order[:n_subset])
        train_mode(model, args.freeze_bn)
        loss_acc = torch.zeros(4, device=device)
        steps = 0
        time_up = False
        t_data, t0 = 0.0, time.time()
        for img, lab in train_loader:
            t_data += time.time() - t0
            if budget_s > 0 and elapsed() + last_val_s * 1.2 + 2.0 >= budget_s:
                time_up = True
                break
            f = lr_factor(global_step, elapsed(), args)
            for gr in opt.param_groups:
                gr["lr"] = args.lr * f
            x = normalise(img.to(device, non_blocking=True), mean, std)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            y = lab.to(device, non_blocking=True)
            with autocast(use_amp):
                logits = fwd_model(x)
            loss, ce, dice, lovasz = crit.components(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
            opt.step()
            loss_acc += torch.stack([loss.detach(), ce, dice, lovasz])
            steps += 1
            global_step += 1
            if args.log_every and global_step % args.log_every == 0:
                la = (loss_acc / steps).tolist()
                log(f"epoch {epoch + 1} step {global_step} loss {la[0]:.4f} (ce {la[1]:.4f} dice {la[2]:.4f}"
                    + (f" lovasz {la[3]:.4f}" if args.lovasz_weight > 0 else "") + ") "
                    f"lr {args.lr * f:.2e} {steps * args.batch / (time.time() - t_epoch):.1f} img/s")
            t0 = time.time()
        train_s = time.time() - t_epoch
        if steps == 0 and time_up:
            stop_reason = "time_budget"
            break
        t_val = time.time()
        # The eager model: val images vary in size, which would make a compiled model recompile.
        val = validate(model, val_loader, device, use_amp, mcfg.size_multiple, crit, channels_last)
        last_val_s = time.time() - t_val
        metric = val["lane_miou"] if val["lane_miou"] is not None else -1.0
        if val["lane_miou"] is None and best_epoch == 0:
            log("warning: the val images hold no marking pixels, so lane mIoU is undefined: best.pt is "
                "this first epoch (model selection needs val images with markings)")
        # best_epoch 0 = no best yet (a new run, or a new val set): the first epoch is the best so far
        # even when lane mIoU is undefined (no marking in val, scored -1), so best.pt always exists.
        # Written rather than refused: with few val images (--max-val-images) a val set without
        # markings is a data problem to report, not a reason to lose the run's checkpoints.
        improved = best_epoch == 0 or metric > best_metric + args.min_delta
        if improved:
            best_metric, best_epoch, bad_epochs = metric, epoch + 1, 0
        else:
            bad_epochs += 1
        la = (loss_acc / max(1, steps)).tolist()
        rec = {"type": "epoch", "epoch": epoch + 1, "global_step": global_step, "steps": steps,
               "partial": time_up, "subset": n_subset, "lr": args.lr * lr_factor(global_step, elapsed(), args),
               "train_loss": la[0], "train_ce": la[1], "train_dice": la[2], "train_lovasz": la[3], "val": val,
               "best_lane_miou": best_metric, "best_epoch": best_epoch, "improved": improved,
               "train_s": round(train_s, 2), "data_wait_s": round(t_data, 2), "val_s": round(last_val_s, 2),
               "img_per_s": round(steps * args.batch / max(train_s, 1e-9), 2), "wall_s": round(elapsed(), 2),
               "time": dt.datetime.now().isoformat()}
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                 "global_step": global_step, "elapsed_s": elapsed(), "best_metric": best_metric,
                 "best_epoch": best_epoch, "bad_epochs": bad_epochs, "rng": rng_state(device),
                 "args": vars(args), "model_config": mcfg.to_dict(), "class_weights": class_weights,
                 "class_freq": class_freq, "run_id": run_id, "run_dir": str(run_dir),
                 "data_manifest_sha256": data_id["manifest_sha256"], "data_files_sha256": data_id.get("files_sha256"),
                 "data_manifest": data_manifest, "n_train": len(train_ds), "val_metrics": val,
                 "val_ids_sha256": data_id["val_ids_sha256"],
                 "torch_version": torch.__version__, "device_name": env["device_name"]}
        ep_path = run_dir / f"epoch_{epoch + 1:03d}.pt"
        save_checkpoint(ep_path, state)
        shutil.copyfile(ep_path, run_dir / "last.pt.tmp")
        os.replace(run_dir / "last.pt.tmp", run_dir / "last.pt")
        if improved:
            shutil.copyfile(ep_path, run_dir / "best.pt.tmp")
            os.replace(run_dir / "best.pt.tmp", run_dir / "best.pt")
        if args.keep_epoch_checkpoints > 0:
            prune_epoch_checkpoints(run_dir, args.keep_epoch_checkpoints)
        rec["wall_s"] = round(elapsed(), 2)
        append_log(run_dir, rec)
        epochs_done = epoch + 1
        log(f"epoch {epoch + 1}: loss {la[0]:.4f} val lane mIoU {metric:.4f} (best {best_metric:.4f} @ {best_epoch}) "
            f"binary IoU {val['binary_iou'] or 0:.4f} relaxed F1 {val['relaxed_f1_3px'] or 0:.4f} "
            f"[{train_s:.0f}s train, {last_val_s:.0f}s val, {rec['img_per_s']} img/s, wall {elapsed():.0f}s]")
        if time_up:
            stop_reason = "time_budget"
            break
        if args.patience > 0 and bad_epochs >= args.patience:
            stop_reason = "early_stopping"
            break
        if budget_s > 0 and elapsed() + last_val_s + 2.0 >= budget_s:
            stop_reason = "time_budget"
            break
    append_log(run_dir, {"type": "end", "reason": stop_reason, "epoch": epochs_done,
                         "global_step": global_step, "best_lane_miou": best_metric, "best_epoch": best_epoch,
                         "wall_s": round(elapsed(), 2), "time": dt.datetime.now().isoformat()})
    log(f"done ({stop_reason}): best val lane mIoU {best_metric:.4f} at epoch {best_epoch}; {run_dir}/best.pt")
    return 0


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("train.py", main)
