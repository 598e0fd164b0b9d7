"""Rebuild a trainable PyTorch checkpoint from one of our exported ONNX models (warm start).

    python3 models/training/from_onnx.py --onnx models/lanesegnet-lite.onnx \
        --model-json models/lanesegnet-lite.json --data DATA --out /tmp/init.pt
    python3 models/training/train.py --data DATA --init-weights /tmp/init.pt ...

Why this exists: the shipped model's PyTorch checkpoint lives only where it was trained, but the
ONNX file is in the repository. Fine-tuning it is cheaper than training from scratch (hours on a
CPU). Needs the `onnx` Python package (Debian: python3-onnx).

The exporter folds every BatchNorm into the convolution before it (ONNX keeps one Conv with a
bias). Convolutions are matched to the PyTorch modules in call order and checked by shape. A
folded BN cannot be "unfolded" exactly, so each BN is set to reproduce the folded function while
staying trainable: its running mean/variance are the statistics of the convolution's output on
real val images, gamma = sqrt(var + eps) and beta = mean + folded bias. In eval mode that is
exactly the ONNX function; in train mode (batch statistics) it is the same up to batch noise.
Use parity.py / `npm run model:parity` on the output to confirm the match.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_errors import OneLineArgumentParser, image_count, require_modules  # noqa: E402

require_modules("from_onnx.py", "numpy", "torch", "cv2")

import numpy as np
import torch
import torch.nn as nn

from data import MEAN_255, STD_255, open_split  # noqa: E402
from model import ModelConfig, build_model  # noqa: E402


def onnx_convs(path: str) -> List[Tuple[np.ndarray, np.ndarray]]:
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise SystemExit("from_onnx.py needs the onnx package (Debian: apt-get install python3-onnx)") from None

    m = onnx.load(path)
    inits: Dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    convs = []
    for node in m.graph.node:
        if node.op_type != "Conv":
            continue
        w = inits[node.input[1]]
        b = inits[node.input[2]] if len(node.input) > 2 else np.zeros(w.shape[0], np.float32)
        convs.append((w, b))
    return convs


def convs_in_call_order(model: nn.Module, size: int) -> List[str]:
    """Conv2d module names in the order forward() calls them (= ONNX node order)."""
    order: List[str] = []
    hooks = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            hooks.append(mod.register_forward_hook(lambda _m, _i, _o, n=name: order.append(n)))
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return order


def bn_after(model: nn.Module, conv_name: str) -> nn.BatchNorm2d | None:
    """Our convs that carry a BN sit at index 0 of an nn.Sequential whose index 1 is the BN."""
    parent_name, _, idx = conv_name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    if isinstance(parent, nn.Sequential) and idx == "0" and len(parent) > 1 and isinstance(parent[1], nn.BatchNorm2d):
        return parent[1]
    return None


def main() -> None:
    ap = OneLineArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True, help="exported model (BN folded into convs)")
    ap.add_argument("--model-json", required=True, help="its JSON card (architecture)")
    ap.add_argument("--data", required=True, help="data set whose val split calibrates the BN statistics")
    ap.add_argument("--images", type=image_count, default=32,
                    help="val images used for the statistics, 0 = all (default 32)")
    ap.add_argument("--out", required=True, help="checkpoint to write (model + model_config)")
    args = ap.parse_args()

    for f in (args.onnx, args.model_json):
        if not Path(f).is_file():
            ap.error(f"no file at {f}")
    card = json.loads(Path(args.model_json).read_text())
    cfg = ModelConfig.from_dict(card["architecture"])
    model = build_model(cfg).eval()
    order = convs_in_call_order(model, 64)
    convs = onnx_convs(args.onnx)
    if len(order) != len(convs):
        raise SystemExit(f"{args.onnx}: {len(convs)} Conv nodes, the architecture has {len(order)} convolutions")

    folded: Dict[str, np.ndarray] = {}
    with torch.no_grad():
        for name, (w, b) in zip(order, convs):
            conv = model.get_submodule(name)
            assert isinstance(conv, nn.Conv2d)
            if tuple(conv.weight.shape) != w.shape:
                raise SystemExit(f"shape mismatch at {name}: {tuple(conv.weight.shape)} vs {w.shape}")
            conv.weight.copy_(torch.from_numpy(w))
            bn = bn_after(model, name)
            if bn is None:
                if conv.bias is None:
                    raise SystemExit(f"{name} has a folded bias but neither a bias nor a BN in PyTorch")
                conv.bias.copy_(torch.from_numpy(b))
            else:
                # Identity BN plus the folded bias (eval mode): exactly the ONNX function.
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
                bn.weight.fill_(1.0)
                bn.bias.copy_(torch.from_numpy(b))
                folded[name] = b

    # Statistics of each folded conv's output (before its bias) on real images.
    sums: Dict[str, torch.Tensor] = {}
    sqs: Dict[str, torch.Tensor] = {}
    counts: Dict[str, int] = {}

    def stat_hook(name: str):
        def hook(_m: nn.Module, _i: object, out: torch.Tensor) -> None:
            x = out.detach().double()
            sums[name] = sums.get(name, 0) + x.sum(dim=(0, 2, 3))
            sqs[name] = sqs.get(name, 0) + (x * x).sum(dim=(0, 2, 3))
            counts[name] = counts.get(name, 0) + x.numel() // x.shape[1]
        return hook

    hooks = [model.get_submodule(n).register_forward_hook(stat_hook(n)) for n in folded]
    ds = open_split(args.data, "val", augment=False, max_items=args.images)
    mean = torch.tensor(MEAN_255).view(1, 3, 1, 1)
    std = torch.tensor(STD_255).view(1, 3, 1, 1)
    with torch.no_grad():
        for i in range(len(ds)):
            img, _ = ds.load(i)
            h, w = (s // 16 * 16 for s in img.shape[:2])
            x = torch.from_numpy(np.ascontiguousarray(img[:h, :w])).permute(2, 0, 1)[None].float()
            model((x - mean) / std)
    for h in hooks:
        h.remove()

    with torch.no_grad():
        for name, b in folded.items():
            bn = bn_after(model, name)
            assert bn is not None
            m = (sums[name] / counts[name]).float()
            v = (sqs[name] / counts[name]).float() - m * m
            v = v.clamp(min=1e-6)
            bn.running_mean.copy_(m)
            bn.running_var.copy_(v)
            bn.weight.copy_(torch.sqrt(v + bn.eps))
            bn.bias.copy_(m + torch.from_numpy(b))

    torch.save({"model": model.state_dict(), "model_config": cfg.to_dict(), "init_from_onnx": args.onnx,
                "init_from_version": card.get("version")}, args.out)
    print(f"wrote {args.out}: {len(order)} convolutions, {len(folded)} BatchNorms recalibrated on {len(ds)} val images")


if __name__ == "__main__":
    from cli_errors import run_main  # noqa: E402

    run_main("from_onnx.py", main)
