#!/usr/bin/env python3
"""`pixgrad fid` against pytorch-fid end to end (packages/cli/test/data/fid-reference.json, a-stats-64.npz).

Run once on a developer machine (Debian bookworm: python3-torch 1.13, python3-torchvision 0.14,
python3-pil, python3-scipy):

    python3 packages/cli/scripts/gen-fid-reference.py PYTORCH_FID_SRC packages/cli/test/data

PYTORCH_FID_SRC is the `src` folder of mseitzer/pytorch-fid @ b9c18118 (v0.3.0). Its own
fid_score.calculate_fid_given_paths and save_fid_stats run on two folders of PNGs of mixed sizes
(so its resize_input path runs), with the full-width FID Inception carrying the hash weights of
packages/models/scripts/gen-inception-reference.py instead of the download (the TS test makes the
same PNGs and the same weights file). batch_size 1, since pytorch-fid cannot batch mixed sizes.
"""
import importlib.util
import json
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("inc", os.path.join(HERE, "..", "..", "models", "scripts", "gen-inception-reference.py"))
inc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(inc)

# folder name -> image sizes (height, width); the TS test uses the same table
FOLDERS = {"a": [(80, 96), (64, 64), (100, 75), (90, 90)], "b": [(70, 70), (96, 80), (88, 66), (77, 99), (64, 100)]}


def write_images(root):
    for name, sizes in FOLDERS.items():
        os.makedirs(os.path.join(root, name))
        for k, (h, w) in enumerate(sizes):
            u = inc.hash_uniform(f"{name}:{k}", h * w * 3)
            # folder b has half the contrast, so the two distributions differ
            px = (np.floor(u * 256) if name == "a" else 64 + np.floor(u * 128)).astype(np.uint8).reshape(h, w, 3)
            Image.fromarray(px).save(os.path.join(root, name, f"{k}.png"))


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, src)
    import pytorch_fid.fid_score as fs
    import pytorch_fid.inception as pi
    import torchvision

    keys = torchvision.models.inception_v3(weights=None, num_classes=1008, aux_logits=False, init_weights=False).state_dict()
    state = {k: (t if k.endswith("num_batches_tracked") else inc.hash_value(k, list(t.shape))) for k, t in keys.items()}
    pi.load_state_dict_from_url = lambda *a, **k: state

    with tempfile.TemporaryDirectory() as root:
        write_images(root)
        a, b = os.path.join(root, "a"), os.path.join(root, "b")
        ref = {
            "generator": "packages/cli/scripts/gen-fid-reference.py",
            "pytorch_fid": "mseitzer/pytorch-fid@b9c18118d082cbd263c1b8963fc4221dc1cbb659",
            "torch": torch.__version__,
            "folders": {k: [list(s) for s in v] for k, v in FOLDERS.items()},
            "pixels": "a: floor(u * 256), b: 64 + floor(u * 128), u = hash_uniform('<folder>:<k>', h * w * 3) in HWC order",
            "fid_64": float(fs.calculate_fid_given_paths([a, b], 1, "cpu", 64, 0)),
            "fid_192": float(fs.calculate_fid_given_paths([a, b], 1, "cpu", 192, 0)),
        }
        fs.save_fid_stats([a, os.path.join(out_dir, "a-stats-64.npz")], 1, "cpu", 64, 0)
    with open(os.path.join(out_dir, "fid-reference.json"), "w") as f:
        json.dump(ref, f, indent=1)


if __name__ == "__main__":
    main()
