#!/usr/bin/env python3
"""MS-SSIM as pytorch-msssim computes it (packages/losses/test/data/msssim-reference.json).

Run once on a developer machine (Debian bookworm: python3-torch 1.13):

    python3 packages/losses/scripts/gen-msssim-reference.py PYTORCH_MSSSIM_SRC packages/losses/test/data

PYTORCH_MSSSIM_SRC holds the `pytorch_msssim` package of VainF/pytorch-msssim @ b057b07. Its own
`ms_ssim` (data_range 1, the default 11x11 Gaussian, sigma 1.5, weights of Wang et al. 2003) runs on
a 300x300 RGB pair, where its zero-padded 2x2 average pooling between scales (F.avg_pool2d with
padding = size % 2, count_include_pad) differs from msssim.m's symmetric filter, and on a 256x256
pair, where the two agree. Images come from the counter hash of
packages/models/scripts/gen-inception-reference.py ('msssim:x', 'msssim:y'), y = clamp(0.7 x + 0.3 u).
Saved: the value, and d value / d x as its L2 norm, its dot product with a hash vector ('msssim:r')
and 16 elements. The window is passed in float64 (pytorch-msssim's own is float32).
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("inc", os.path.join(HERE, "..", "..", "models", "scripts", "gen-inception-reference.py"))
inc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inc)
torch.set_grad_enabled(True)  # that module turns gradients off for its own use

INDICES = [0, 1, 299, 300, 12345, 44999, 45000, 90000, 133333, 179999, 180000, 200001, 222222, 269699, 269998, 269999]


def pair(s):
    n = 3 * s * s
    x = torch.tensor(inc.hash_uniform("msssim:x", n).reshape(1, 3, s, s), dtype=torch.float64)
    u = torch.tensor(inc.hash_uniform("msssim:y", n).reshape(1, 3, s, s), dtype=torch.float64)
    return x, (0.7 * x + 0.3 * u).clamp(0, 1)


def main():
    sys.path.insert(0, sys.argv[1])
    from pytorch_msssim import ms_ssim

    out = {"generator": "packages/losses/scripts/gen-msssim-reference.py", "pytorch_msssim": "VainF/pytorch-msssim@b057b07", "torch": torch.__version__, "indices": INDICES}
    for s in (300, 256):
        x, y = pair(s)
        x.requires_grad_(True)
        # pytorch-msssim builds its Gaussian in float32 (a ~5e-7 change in the value); the same
        # window in float64, passed as `win`, keeps the comparison to the downsampling convention
        c = torch.arange(11, dtype=torch.float64) - 5
        g = torch.exp(-(c**2) / (2 * 1.5**2))
        win = (g / g.sum()).reshape(1, 1, 1, 11).repeat(3, 1, 1, 1)
        v = ms_ssim(x, y, data_range=1.0, size_average=True, win=win)
        (g,) = torch.autograd.grad(v, x)
        r = torch.tensor(inc.hash_uniform("msssim:r", 3 * s * s).reshape(1, 3, s, s), dtype=torch.float64)
        out[str(s)] = {
            "value": v.item(),
            "grad_norm": g.norm().item(),
            "grad_dot_r": (g * r).sum().item(),
            "grad_at": [g.reshape(-1)[i].item() for i in INDICES if i < g.numel()],
        }
    with open(os.path.join(sys.argv[2], "msssim-reference.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
