"""LaneSegNet-Lite: a small full-resolution segmentation network for thin lane markings.

Design (see README.md for the measured variants):
- stride-2 stem, then depthwise-separable (DS) stages at 1/4, 1/8 and 1/16 of the input;
- dilated DS residual blocks at 1/16 for context (a lane line is long and thin: its class
  depends on dash rhythm and the neighbouring line, tens of metres away);
- a light FPN-style decoder (1x1 projections, bilinear x2 upsampling, additive skips, one DS conv
  per level) back to 1/2;
- the head predicts 4 sub-pixels per 1/2-res position (PixelShuffle) and adds a cheap
  full-resolution detail branch (one 3x3 conv on the input), so logits are at FULL resolution and
  a 3 px line is not blurred by a x2 bilinear upsample.

Only Conv, BatchNorm, ReLU, Add, Resize and DepthToSpace: BN folds into the convs at export and
every op runs in onnxruntime's optimised CPU kernels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 7


@dataclass
class ModelConfig:
    """Everything needed to rebuild the network (stored in checkpoints and the model JSON)."""

    arch: str = "lanesegnet_lite"
    # Channels at 1/2, 1/4, 1/8, 1/16 of the input.
    widths: List[int] = field(default_factory=lambda: [32, 64, 128, 256])
    # Number of DS residual blocks at 1/4 and 1/8 (after the downsampling DS conv).
    blocks: List[int] = field(default_factory=lambda: [2, 4])
    # Dilations of the DS residual blocks at 1/16 (context).
    context_dilations: List[int] = field(default_factory=lambda: [1, 2, 4, 8])
    # Channels of the full-resolution detail branch (0 disables it).
    detail: int = 8
    # "shuffle": 1/2-res head predicts 2x2 sub-pixels (PixelShuffle); "bilinear": upsample logits.
    head: str = "shuffle"
    num_classes: int = NUM_CLASSES

    @staticmethod
    def from_dict(d: Dict[str, Any]) -> "ModelConfig":
        known = {k: v for k, v in d.items() if k in ModelConfig.__dataclass_fields__}
        return ModelConfig(**known)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @property
    def size_multiple(self) -> int:
        # Four stride-2 stages: inputs must be a multiple of 16 so x2 upsampling meets the skips.
        return 16


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1, groups: int = 1,
                 relu: bool = True) -> nn.Sequential:
    pad = dilation * (k - 1) // 2
    layers: List[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DSConv(nn.Module):
    """Depthwise 3x3 (BN, ReLU) then pointwise 1x1 (BN, optional ReLU)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1, relu: bool = True):
        super().__init__()
        self.dw = conv_bn_relu(cin, cin, 3, stride, dilation, groups=cin)
        self.pw = conv_bn_relu(cin, cout, 1, relu=relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw(self.dw(x))


class DSResidual(nn.Module):
    """Two DS convs with a residual connection; the dilation widens the receptive field cheaply."""

    def __init__(self, c: int, dilation: int = 1):
        super().__init__()
        self.a = DSConv(c, c, dilation=dilation)
        self.b = DSConv(c, c, dilation=dilation, relu=False)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.b(self.a(x)))


def up2(x: torch.Tensor) -> torch.Tensor:
    # scale_factor (not size) keeps the ONNX Resize free of shape arithmetic: dynamic H/W export.
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


class LaneSegNetLite(nn.Module):
    def __init__(self, cfg: ModelConfig | None = None):
        super().__init__()
        self.cfg = cfg or ModelConfig()
        c1, c2, c3, c4 = self.cfg.widths
        nb2, nb3 = self.cfg.blocks
        nc = self.cfg.num_classes
        # Encoder.
        self.stem = nn.Sequential(conv_bn_relu(3, c1, 3, stride=2), DSConv(c1, c1))  # 1/2
        self.down2 = nn.Sequential(DSConv(c1, c2, stride=2), *[DSResidual(c2) for _ in range(nb2)])  # 1/4
        self.down3 = nn.Sequential(DSConv(c2, c3, stride=2), *[DSResidual(c3) for _ in range(nb3)])  # 1/8
        self.down4 = nn.Sequential(
            DSConv(c3, c4, stride=2), *[DSResidual(c4, d) for d in self.cfg.context_dilations]
        )  # 1/16
        # Decoder: project to the skip's width, upsample, add, refine.
        self.lat4 = conv_bn_relu(c4, c3, 1)
        self.ref3 = DSConv(c3, c3)
        self.lat3 = conv_bn_relu(c3, c2, 1)
        self.ref2 = DSConv(c2, c2)
        self.lat2 = conv_bn_relu(c2, c1, 1)
        self.ref1 = DSConv(c1, c1)
        # Head.
        if self.cfg.head == "shuffle":
            self.head = nn.Conv2d(c1, nc * 4, 1)
            self.shuffle = nn.PixelShuffle(2)
        elif self.cfg.head == "bilinear":
            self.head = nn.Conv2d(c1, nc, 1)
        else:
            raise ValueError(f"unknown head {self.cfg.head!r}")
        if self.cfg.detail > 0:
            self.detail = nn.Sequential(
                conv_bn_relu(3, self.cfg.detail, 3), nn.Conv2d(self.cfg.detail, nc, 1)
            )
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # Start the detail branch at zero so it learns a correction on top of the coarse logits.
        if self.cfg.detail > 0:
            last = self.detail[-1]
            assert isinstance(last, nn.Conv2d)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.stem(x)
        s2 = self.down2(s1)
        s3 = self.down3(s2)
        s4 = self.down4(s3)
        d3 = self.ref3(s3 + up2(self.lat4(s4)))
        d2 = self.ref2(s2 + up2(self.lat3(d3)))
        d1 = self.ref1(s1 + up2(self.lat2(d2)))
        if self.cfg.head == "shuffle":
            logits = self.shuffle(self.head(d1))
        else:
            logits = up2(self.head(d1))
        if self.cfg.detail > 0:
            logits = logits + self.detail(x)
        return logits


def add_logit_biases(model: LaneSegNetLite, biases: Sequence[float]) -> None:
    """Add a constant per class to the logits by folding it into the last bias (see calibrate.py)."""
    with torch.no_grad():
        if model.cfg.detail > 0:
            last = model.detail[-1]
            assert isinstance(last, nn.Conv2d) and last.bias is not None
            target, per_class = last.bias, 1
        elif model.cfg.head == "shuffle":
            assert model.head.bias is not None
            target, per_class = model.head.bias, 4  # PixelShuffle(2): class c is built from channels 4c..4c+3
        else:
            assert model.head.bias is not None
            target, per_class = model.head.bias, 1
        if len(biases) * per_class != target.numel():
            raise ValueError(f"{len(biases)} class biases for a head of {target.numel() // per_class} classes")
        for c, b in enumerate(biases):
            target[c * per_class:(c + 1) * per_class] += float(b)


HEADS = ("shuffle", "bilinear")


def check_config(cfg: ModelConfig) -> None:
    """Raise ValueError (one line, naming the field) unless cfg builds a working network with the
    class registry's NUM_CLASSES outputs (train.py checks --model-opt with it before a run starts)."""
    def ints(name: str, n: Optional[int], lo: int) -> None:
        v = getattr(cfg, name)
        if not isinstance(v, (list, tuple)) or not all(isinstance(x, int) and x >= lo for x in v) \
                or (n is not None and len(v) != n) or not v:
            count = f"{n} integers" if n is not None else "one or more integers"
            raise ValueError(f"{name} must be {count} >= {lo}, got {v}")

    ints("widths", 4, 1)
    ints("blocks", 2, 1)
    ints("context_dilations", None, 1)
    if not isinstance(cfg.detail, int) or cfg.detail < 0:
        raise ValueError(f"detail must be an integer >= 0 (0 = no detail branch), got {cfg.detail}")
    if cfg.head not in HEADS:
        raise ValueError(f"head must be one of {', '.join(HEADS)}, got {cfg.head!r}")
    if cfg.num_classes != NUM_CLASSES:
        raise ValueError(f"num_classes must be {NUM_CLASSES} (the class registry), got {cfg.num_classes}")


def build_model(cfg: ModelConfig | Dict[str, Any] | None = None) -> LaneSegNetLite:
    if isinstance(cfg, dict):
        cfg = ModelConfig.from_dict(cfg)
    return LaneSegNetLite(cfg)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# Named presets: the variants compared in README.md.
PRESETS: Dict[str, Dict[str, Any]] = {
    "lite": {},  # the shipped architecture
    "lite-nodetail": {"detail": 0},
    "lite-s": {"widths": [16, 32, 64, 128], "blocks": [1, 2]},
    "lite-m": {"widths": [16, 48, 128, 256], "blocks": [2, 3]},
    "lite-deep": {"blocks": [3, 8]},
    "lite-wide": {"widths": [40, 80, 160, 320], "blocks": [2, 6], "detail": 12},
}


def preset(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise KeyError(f"unknown model preset {name!r}; known: {', '.join(PRESETS)}")
    return ModelConfig.from_dict(PRESETS[name])


def parse_model_overrides(pairs: Sequence[str]) -> Dict[str, Any]:
    """`widths=16,32,64,128 detail=0` -> dict (for quick experiments from the CLI)."""
    out: Dict[str, Any] = {}
    for p in pairs:
        k, _, v = p.partition("=")
        if k in ("widths", "blocks", "context_dilations"):
            out[k] = [int(t) for t in v.split(",") if t]
        elif k in ("detail", "num_classes"):
            out[k] = int(v)
        else:
            out[k] = v
    return out


def load_checkpoint(path: str, map_location: str = "cpu") -> Dict[str, Any]:
    """torch.load of our own checkpoints (they hold numpy RNG state, so not weights_only)."""
    import inspect

    import sys

    import numpy as np

    kwargs: Dict[str, Any] = {"map_location": map_location}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = False
    if not hasattr(np, "_core"):
        # A checkpoint written under numpy 2 (the GPU machine) pickles its RNG state as numpy._core.*;
        # numpy 1.x (Debian's, beside torch 1.13) has the same classes under numpy.core.
        import numpy.core.multiarray

        sys.modules.setdefault("numpy._core", np.core)
        sys.modules.setdefault("numpy._core.multiarray", numpy.core.multiarray)
    return torch.load(path, **kwargs)


def model_from_checkpoint(ckpt: Dict[str, Any]) -> "tuple[LaneSegNetLite, ModelConfig]":
    cfg = ModelConfig.from_dict(ckpt["model_config"])
    model = build_model(cfg)
    model.load_state_dict(ckpt["model"])
    return model.eval(), cfg
