#!/usr/bin/env python3
"""Reference values for pixgrad's distribution metrics (packages/losses/test/data/).

Run once on a developer machine (Debian bookworm: python3-numpy 1.24, python3-scipy 1.10):

    python3 packages/losses/scripts/gen-distribution-reference.py packages/losses/test/data

Writes distribution-reference.json there, and three small numpy files (np.savez, np.savez_compressed
with float32 and ADM-style mu_s/sigma_s, a big-endian Fortran-order .npy) to
packages/models/test/data for the .npy/.npz reader's tests. Every value is computed the way
the tool users cite computes it (read from their source, see shared/reference/distribution-metrics.md):
- FID: pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm, eps retry, real part) on
  mean / np.cov(rowvar=False) of seeded features, several sizes, including fewer samples than dims.
- KID: torch-fidelity's metric_kid (RandomState(2020).choice of the first set then the second per
  subset, polynomial kernel (x.y/d + 1)^3, unbiased MMD^2, mean and np.std).
- IS: torch-fidelity's metric_isc (RandomState(2020).permutation shuffle, float64 softmax, splits
  rows [i N // s, (i + 1) N // s), mean and np.std).
- numpy's RandomState(2020) permutations and choices.
"""
import json
import os
import sys

import numpy as np
import scipy
import scipy.linalg


def frechet_pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def kid_torch_fidelity(f1, f2, subsets, subset_size, degree=3, gamma=None, coef0=1, seed=2020):
    n = f1.shape[1]
    gamma = 1.0 / n if gamma is None else gamma
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        x = f1[rng.choice(len(f1), subset_size, replace=False)]
        y = f2[rng.choice(len(f2), subset_size, replace=False)]
        kxx = (gamma * x @ x.T + coef0) ** degree
        kyy = (gamma * y @ y.T + coef0) ** degree
        kxy = (gamma * x @ y.T + coef0) ** degree
        m = subset_size
        mmds[i] = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)
    return float(np.mean(mmds)), float(np.std(mmds))


def isc_torch_fidelity(logits, splits=10, shuffle=True, seed=2020):
    n = logits.shape[0]
    if shuffle:
        logits = logits[np.random.RandomState(seed).permutation(n)]
    x = logits.astype(np.float64)
    x = x - x.max(axis=1, keepdims=True)
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    scores = []
    for i in range(splits):
        a, b = i * n // splits, (i + 1) * n // splits
        q = p[a:b].mean(axis=0, keepdims=True)
        scores.append(np.exp((p[a:b] * (log_p[a:b] - np.log(q))).sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def main():
    out_dir = sys.argv[1]
    ref = {"generator": "packages/losses/scripts/gen-distribution-reference.py", "numpy": np.__version__, "scipy": scipy.__version__}
    cases = []
    for seed, (n, d) in enumerate([(10, 4), (50, 8), (100, 32), (150, 64), (20, 64), (3, 16)]):
        rs = np.random.RandomState(100 + seed)
        f1 = np.maximum(rs.randn(n, d) + 0.3, 0) * rs.rand(d)
        f2 = np.maximum(rs.randn(n, d) + 0.2, 0) * rs.rand(d) + 0.05
        mu1, s1 = f1.mean(axis=0), np.cov(f1, rowvar=False)
        mu2, s2 = f2.mean(axis=0), np.cov(f2, rowvar=False)
        case = {"n": n, "d": d, "f1": flat(f1), "f2": flat(f2), "fid": frechet_pytorch_fid(mu1, s1, mu2, s2)}
        if d <= 8:  # np.cov itself, to check the streaming statistics against
            case.update(mu1=flat(mu1), sigma1=flat(s1))
        cases.append(case)
    ref["frechet"] = cases

    rs = np.random.RandomState(7)
    k1 = np.abs(rs.randn(40, 16)).astype(np.float32)
    k2 = (np.abs(rs.randn(35, 16)) * 1.2).astype(np.float32)
    mean, std = kid_torch_fidelity(k1.astype(np.float64), k2.astype(np.float64), subsets=6, subset_size=12)
    ref["kid"] = {"f1": flat(k1), "f2": flat(k2), "n1": 40, "n2": 35, "d": 16, "subsets": 6, "subset_size": 12, "mean": mean, "std": std}

    logits = (rs.randn(53, 20) * 3).astype(np.float32)
    mean, std = isc_torch_fidelity(logits, splits=5)
    ref["isc"] = {"logits": flat(logits), "n": 53, "c": 20, "splits": 5, "mean": mean, "std": std}

    ref["random_state"] = {
        "permutation_2020_10": [int(v) for v in np.random.RandomState(2020).permutation(10)],
        "choice_2020": [int(v) for v in np.random.RandomState(2020).choice(70000, 8, replace=False)],
        "uint32_123456789": [int(v) for v in np.random.RandomState(123456789).randint(0, 2**32, size=5, dtype=np.uint64)],
    }
    with open(os.path.join(out_dir, "distribution-reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))

    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "test", "data")
    mu = np.arange(5, dtype=np.float64) / 3
    sigma = np.eye(5) * 2 + 0.25
    np.savez(os.path.join(out_dir, "stats-savez.npz"), mu=mu, sigma=sigma)
    np.savez_compressed(os.path.join(out_dir, "stats-compressed.npz"), mu=mu, sigma=sigma.astype(np.float32), mu_s=mu[:3], sigma_s=sigma[:3, :3])
    np.save(os.path.join(out_dir, "fortran-bigendian.npy"), np.asfortranarray(np.arange(6, dtype=">f8").reshape(2, 3)))


if __name__ == "__main__":
    main()
