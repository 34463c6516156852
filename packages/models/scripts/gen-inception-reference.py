#!/usr/bin/env python3
"""Reference features for pixgrad's Inception-v3 (packages/models/test/data/inception-reference.json).

Run once on a developer machine (Debian: python3-torch 1.13, python3-torchvision 0.14, python3-pil):

    python3 packages/models/scripts/gen-inception-reference.py PYTORCH_FID_INCEPTION_PY OUT.json

PYTORCH_FID_INCEPTION_PY is pytorch-fid's src/pytorch_fid/inception.py (mseitzer/pytorch-fid @
b9c18118, v0.3.0): the FID network is built by pytorch-fid's own code (its FIDInceptionA/C/E_1/E_2
blocks on torchvision's Inception3), not by a copy. Nothing is downloaded: the weights are
full-width and made by a counter hash that the TypeScript test recomputes (hashWeights in
test/inception.test.ts), so no 95 MB state dict is committed:

    u(key, i) = fmix32((i * 0x9E3779B1 + fnv1a32(key)) mod 2^32) / 2^32        (MurmurHash3's fmix32)

Images are made the same way (key 'image:<k>'). Outputs: the state dict's keys and shapes
(the pytorch-fid .pth layout), pytorch-fid's four blocks pooled to 64/192/768/2048, the unbiased
1008 logits, sFID's spatial features (Mixed_6d.branch1x1 after BN+ReLU, channels 0-6, flattened
h, w, c), pytorch-fid's resize_input path on a 80x96 image, torchvision's own Inception3 (1000
classes, transform_input on ImageNet-normalised input) pooled features, and Pillow's float
bicubic resize (clean-fid's resizer) on a small image.
"""
import importlib.util
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

torch.set_grad_enabled(False)
torch.set_num_threads(2)


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def hash_uniform(key, n):
    """n values in [0, 1): fmix32 of a Weyl sequence seeded by the key."""
    with np.errstate(over="ignore"):
        h = (np.arange(n, dtype=np.uint32) * np.uint32(0x9E3779B1) + np.uint32(fnv1a32(key))).astype(np.uint32)
        h ^= h >> np.uint32(16)
        h = (h * np.uint32(0x85EBCA6B)).astype(np.uint32)
        h ^= h >> np.uint32(13)
        h = (h * np.uint32(0xC2B2AE35)).astype(np.uint32)
        h ^= h >> np.uint32(16)
    return h.astype(np.float64) / 2.0**32


def hash_value(key, shape):
    """The test weights: He-uniform convs, BN near identity, a small fc (see the TS twin)."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = hash_uniform(key, n)
    s = 2 * u - 1
    if key.endswith("conv.weight"):
        fan_in = shape[1] * shape[2] * shape[3]
        v = s * np.sqrt(3.0) * np.sqrt(2.0 / fan_in)
    elif key.endswith("bn.weight"):
        v = 1 + 0.2 * s
    elif key.endswith("bn.bias") or key.endswith("bn.running_mean") or key.endswith("fc.bias"):
        v = 0.1 * s
    elif key.endswith("bn.running_var"):
        v = 1 + 0.5 * u
    elif key.endswith("fc.weight"):
        v = s * np.sqrt(3.0 / shape[1])
    else:
        raise KeyError(key)
    return torch.tensor(v.astype(np.float32).reshape(shape))


def fill(module):
    sd = module.state_dict()
    new = {}
    for k, t in sd.items():
        if k.endswith("num_batches_tracked"):
            new[k] = t
        else:
            new[k] = hash_value(k, list(t.shape))
    module.load_state_dict(new)
    return [(k, list(t.shape)) for k, t in sd.items() if not k.endswith("num_batches_tracked")]


def image(k, h, w):
    return torch.tensor(hash_uniform(f"image:{k}", 3 * h * w).astype(np.float32).reshape(1, 3, h, w))


def load_pytorch_fid(path):
    spec = importlib.util.spec_from_file_location("pf_inception", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    built = {}
    # pytorch-fid downloads its weights inside fid_inception_v3(); load nothing there and keep
    # the network it built so the hash weights can be filled in by torchvision name.
    mod.load_state_dict_from_url = lambda *a, **k: None
    orig_load = torchvision.models.inception.Inception3.load_state_dict
    orig_fid = mod.fid_inception_v3

    def fid_inception_v3():
        torchvision.models.inception.Inception3.load_state_dict = lambda self, sd: None
        try:
            net = orig_fid()
        finally:
            torchvision.models.inception.Inception3.load_state_dict = orig_load
        built["net"] = net
        return net

    mod.fid_inception_v3 = fid_inception_v3
    return mod, built


def rounded(t):
    return [float(f"{v:.8g}") for v in t.reshape(-1).tolist()]


def main():
    pf_path, out_path = sys.argv[1], sys.argv[2]
    mod, built = load_pytorch_fid(pf_path)
    model = mod.InceptionV3(output_blocks=[0, 1, 2, 3], resize_input=True, normalize_input=True).eval()
    net = built["net"].eval()
    keys = fill(net)

    spatial = {}
    net.Mixed_6d.branch1x1.register_forward_hook(lambda m, i, o: spatial.__setitem__("x", o))

    out = {
        "generator": "packages/models/scripts/gen-inception-reference.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pytorch_fid": "mseitzer/pytorch-fid@b9c18118d082cbd263c1b8963fc4221dc1cbb659 src/pytorch_fid/inception.py",
        "state_dict": keys,
        "fid": [],
    }
    for k in range(2):
        x = image(k, 299, 299)
        blocks = model(x)
        pooled = [b if b.shape[2] == 1 else F.adaptive_avg_pool2d(b, (1, 1)) for b in blocks]
        pool3 = pooled[3].reshape(1, 2048)
        logits = pool3 @ net.fc.weight.T
        sp = spatial["x"][:, :7].permute(0, 2, 3, 1).reshape(1, -1)
        out["fid"].append(
            {
                "image": f"image:{k}",
                "size": [299, 299],
                "64": rounded(pooled[0]),
                "192": rounded(pooled[1]),
                "768": rounded(pooled[2]),
                "2048": rounded(pool3),
                "logits_unbiased": rounded(logits),
                "spatial": rounded(sp),
            }
        )
    x = image(2, 80, 96)
    out["fid_resized"] = {"image": "image:2", "size": [80, 96], "2048": rounded(model(x)[3])}

    # torchvision's own Inception3 (1000 classes, avg pools with count_include_pad, transform_input)
    tv = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, transform_input=True).eval()
    tv_keys = fill(tv)
    feats = {}
    tv.avgpool.register_forward_hook(lambda m, i, o: feats.__setitem__("x", o))
    x = image(0, 299, 299)
    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    logits = tv((x - mean) / std)
    out["torchvision"] = {"image": "image:0", "state_dict": tv_keys, "2048": rounded(feats["x"]), "logits": rounded(logits)}

    # clean-fid's resizer: Pillow bicubic on a mode-F float image, per channel
    src = (hash_uniform("image:pil", 7 * 9) * 255).astype(np.float32).reshape(7, 9)
    pil = {"input": rounded(torch.tensor(src)), "shape": [7, 9], "out": {}}
    for h, w in [(5, 4), (12, 15), (7, 9), (3, 20)]:
        r = np.asarray(Image.fromarray(src, mode="F").resize((w, h), resample=Image.BICUBIC))
        pil["out"][f"{h}x{w}"] = rounded(torch.tensor(r))
    out["pil_bicubic"] = pil

    with open(out_path, "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
