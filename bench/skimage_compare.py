"""The peer of `pixgrad compare` for bench/compare.ts --skimage: SSIM (Gaussian weights, sigma 1.5,
population covariance, as pixgrad's), CIEDE2000 on rgb2lab, and PSNR of two 8-bit RGB PNGs with
scikit-image, in one process; prints each time, the total and the peak RSS."""
import resource
import sys
import time

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

t0 = time.perf_counter()
a = np.asarray(Image.open(sys.argv[1]).convert("RGB")).astype(np.float64) / 255
b = np.asarray(Image.open(sys.argv[2]).convert("RGB")).astype(np.float64) / 255
t1 = time.perf_counter()
s = structural_similarity(a, b, channel_axis=2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)
t2 = time.perf_counter()
d = deltaE_ciede2000(rgb2lab(a), rgb2lab(b))
t3 = time.perf_counter()
p = peak_signal_noise_ratio(a, b, data_range=1)
t4 = time.perf_counter()
import skimage

print(f"skimage {skimage.__version__}: load {1e3 * (t1 - t0):.0f} ms, SSIM {1e3 * (t2 - t1):.0f} ms, CIEDE2000 {1e3 * (t3 - t2):.0f} ms, "
      f"PSNR {1e3 * (t4 - t3):.0f} ms, total {1e3 * (t4 - t0):.0f} ms in-process, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
      f"(SSIM {s:.4f}, dE00 mean {d.mean():.3f} max {d.max():.3f}, PSNR {p:.2f} dB)")
