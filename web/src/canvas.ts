/** Drawing images, error maps and a loss curve on canvases. */
import type { Tensor } from '@pixgrad/core';
import { tensorToImage } from '@pixgrad/models';
import { type ColormapName, colormapImage } from '@pixgrad/cli';

/** HWC values in [0, 1] with 1 or 3 channels onto `canvas` (resized to the image). */
export function drawPixels(canvas: HTMLCanvasElement, img: { width: number; height: number; channels: number; data: Float32Array }): void {
  canvas.width = img.width;
  canvas.height = img.height;
  // small images are shown enlarged (pixelated, see style.css), up to 256 px wide
  canvas.style.width = `${Math.max(img.width, Math.min(256, img.width * 4))}px`;
  const out = new ImageData(img.width, img.height);
  const c = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    for (let k = 0; k < 3; k++) out.data[4 * i + k] = Math.round(Math.min(1, Math.max(0, img.data[i * c + (c === 1 ? 0 : k)]!)) * 255);
    out.data[4 * i + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(out, 0, 0);
}

/** A [1, C, H, W] tensor in [0, 1] onto `canvas`. */
export async function drawTensor(canvas: HTMLCanvasElement, t: Tensor): Promise<void> {
  drawPixels(canvas, await tensorToImage(t));
}

/** Per-pixel values [H, W] colour-mapped (0 -> first colour, max -> last) onto `canvas`. */
export function drawMap(canvas: HTMLCanvasElement, values: Float32Array, width: number, height: number, max: number, colormap: ColormapName = 'inferno'): void {
  drawPixels(canvas, colormapImage(values, width, height, { max, colormap }));
}

/** The loss per step as a polyline on a log scale, with the first and last values written. */
export function drawCurve(canvas: HTMLCanvasElement, losses: readonly number[]): void {
  const g = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  g.fillStyle = '#fff';
  g.fillRect(0, 0, w, h);
  const finite = losses.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length < 2) return;
  const lo = Math.log(Math.min(...finite));
  const hi = Math.log(Math.max(...finite));
  const span = hi - lo || 1;
  const pad = 24;
  g.strokeStyle = '#2060c0';
  g.lineWidth = 2;
  g.beginPath();
  losses.forEach((v, i) => {
    const x = pad + ((w - 2 * pad) * i) / Math.max(1, losses.length - 1);
    const y = h - pad - ((h - 2 * pad) * (Math.log(Math.max(v, Math.exp(lo))) - lo)) / span;
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
  g.fillStyle = '#333';
  g.font = '12px system-ui, sans-serif';
  g.fillText(`step 1: ${losses[0]!.toPrecision(4)}`, pad, 14);
  g.fillText(`step ${losses.length}: ${losses[losses.length - 1]!.toPrecision(4)} (log scale)`, pad, h - 6);
}
