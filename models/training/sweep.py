"""A small learning-rate x batch-size grid of short training runs, ranked by val lane mIoU.

    python3 models/training/sweep.py --data DATA --out runs/sweep1 --lrs 1e-3,3e-3,6e-3 --batches 8,16 \\
        -- --time-budget-min 1 --epochs 100 --steps-per-epoch 100

Everything after `--` is passed to every train.py run (same seed, same budget: a fair comparison
is equal time or equal epochs, pick one with --time-budget-min or --epochs); it is read with
train.py's own parser, so a flag the sweep sets (--data, --run-dir, --lr, --batch, --resume) is
refused in any spelling (--batch=4, --ba 4). Each run writes its own run dir
OUT/lr<lr>_b<batch>/, named from the parsed number (a value given twice however spelt, 1e-3 and
0.001, is refused); the sweep writes OUT/results.json and OUT/results.md, whose lr and batch are
the ones each run recorded in its log.
Runs are sequential (one GPU). Selection uses the val split only; the test split is never read.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cli_errors import OneLineArgumentParser  # noqa: E402

# train.py flags (argparse dests) the sweep sets itself for every run.
SWEEP_SETS = ("data", "run_dir", "lr", "batch", "resume")


def read_log(run_dir: Path) -> Dict[str, Any]:
    epochs, end, config = [], None, None
    log = run_dir / "log.jsonl"
    if log.is_file():
        for line in log.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("type") == "epoch":
                epochs.append(rec)
            elif rec.get("type") == "end":
                end = rec
            elif rec.get("type") == "config" and config is None:
                config = rec
    best = max(epochs, key=lambda r: r["val"]["lane_miou"] or -1.0) if epochs else None
    # lr and batch as the run recorded them (not as the grid meant them): an existing run dir
    # read back, or a run started otherwise, is labelled with what it really trained with.
    run_args = (config or {}).get("args") or {}
    recorded = {k: run_args[k] for k in ("lr", "batch") if run_args.get(k) is not None}
    return {
        **recorded,
        "epochs": len(epochs),
        "steps": epochs[-1]["global_step"] if epochs else 0,
        "final_train_loss": epochs[-1]["train_loss"] if epochs else None,
        "best_epoch": best["epoch"] if best else None,
        "best_lane_miou": best["val"]["lane_miou"] if best else None,
        "best_binary_iou": best["val"]["binary_iou"] if best else None,
        "best_relaxed_f1_3px": best["val"]["relaxed_f1_3px"] if best else None,
        "img_per_s": round(sum(e["img_per_s"] for e in epochs) / len(epochs), 1) if epochs else None,
        "stop_reason": end["reason"] if end else "crashed",
        "wall_s": end["wall_s"] if end else None,
    }


def fmt(v: Any, nd: int = 4) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def markdown(rows: List[Dict[str, Any]], train_args: List[str]) -> str:
    lines = [
        "# LR x batch sweep",
        "",
        f"train.py arguments shared by every run: `{' '.join(train_args)}`",
        "",
        "| rank | lr | batch | best val lane mIoU | epoch | binary IoU | relaxed F1@3px | final train loss | img/s | stop | wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, r in enumerate(rows, 1):
        lines.append(
            f"| {i} | {r['lr']:g} | {r['batch']} | {fmt(r['best_lane_miou'])} | {fmt(r['best_epoch'])} | "
            f"{fmt(r['best_binary_iou'])} | {fmt(r['best_relaxed_f1_3px'])} | {fmt(r['final_train_loss'])} | "
            f"{fmt(r['img_per_s'], 1)} | {r['stop_reason']} | {fmt(r['wall_s'], 0)} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    train_args: List[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, train_args = argv[:i], argv[i + 1:]
    ap = OneLineArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="data set root (train and val splits are used)")
    ap.add_argument("--out", required=True, help="sweep folder: one run dir per grid point + results")
    ap.add_argument("--lrs", default="1e-3,3e-3,6e-3", help="comma-separated peak learning rates")
    ap.add_argument("--batches", default="8,16", help="comma-separated batch sizes")
    ap.add_argument("--python", default=sys.executable, help="interpreter for train.py (default: this one)")
    args = ap.parse_args(argv)
    # train.py's own parser (abbreviations, --flag=value), so what train.py would read as one of the
    # sweep's flags is refused, however it is spelt; it also refuses a bad value before any run.
    import train  # noqa: E402  (needs torch; train.py does anyway)

    given = train.explicit_flags(train_args)
    for dest in SWEEP_SETS:
        if dest in given:
            ap.error(f"--{dest.replace('_', '-')} is set by the sweep; do not pass it after --")

    try:
        lrs = [float(v) for v in args.lrs.split(",") if v.strip()]
        batches = [int(v) for v in args.batches.split(",") if v.strip()]
    except ValueError:
        ap.error(f"--lrs takes numbers and --batches integers, comma-separated: got {args.lrs!r}, {args.batches!r}")
    if not lrs or not all(math.isfinite(lr) and lr > 0 for lr in lrs):
        ap.error(f"--lrs needs one or more learning rates > 0, got {args.lrs!r}")
    if not batches or not all(b >= 1 for b in batches):
        ap.error(f"--batches needs one or more batch sizes >= 1, got {args.batches!r}")
    # Names come from the parsed numbers, so 1e-3 and 0.001 are one grid point: run twice, the
    # second would only read the first's log back as another row of the table.
    for flag, text, names in (("--lrs", args.lrs, [f"lr{lr:g}" for lr in lrs]),
                              ("--batches", args.batches, [f"b{b}" for b in batches])):
        tokens = [v.strip() for v in text.split(",") if v.strip()]
        for i, name in enumerate(names):
            if name in names[:i]:
                first = tokens[names.index(name)]
                ap.error(f"{flag} {text}: {first} and {tokens[i]} share a run folder ({name}_..., 6 significant "
                         "digits): give each value once")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: List[Dict[str, Any]] = []
    for lr in lrs:
        for batch in batches:
            run_dir = out / f"lr{lr:g}_b{batch}"
            cmd = [args.python, str(HERE / "train.py"), "--data", args.data, "--run-dir", str(run_dir),
                   "--lr", repr(lr), "--batch", str(batch), *train_args]
            if (run_dir / "log.jsonl").exists():
                print(f"[sweep] {run_dir} exists: reading its results", flush=True)
                rc = 0
            else:
                print(f"[sweep] lr={lr:g} batch={batch}: {' '.join(cmd)}", flush=True)
                t0 = time.time()
                rc = subprocess.call(cmd)
                print(f"[sweep] finished in {time.time() - t0:.0f}s (exit {rc})", flush=True)
            # read_log's lr and batch (the run's config record) take precedence over the grid's.
            row = {"lr": lr, "batch": batch, "run_dir": str(run_dir), "exit_code": rc, **read_log(run_dir)}
            rows.append(row)
            ranked = sorted(rows, key=lambda r: -(r["best_lane_miou"] if r["best_lane_miou"] is not None else -1))
            # Rewritten after each run, so a sweep cut short still leaves its table.
            (out / "results.json").write_text(json.dumps({"train_args": train_args, "runs": ranked}, indent=2))
            (out / "results.md").write_text(markdown(ranked, train_args))
    print((out / "results.md").read_text())
    return 0 if all(r["exit_code"] == 0 for r in rows) else 1


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("sweep.py", main)
