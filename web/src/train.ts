/**
 * The Train view: gradient descent on an image's pixels towards the Compare view's reference
 * under a chosen loss, showing the image every few steps and the loss curve. The pixels are
 * sigmoid(p) and Adam updates p, so the image stays in [0, 1] without clamping away gradients.
 */
import { Adam, type Tensor, rand, resize, tidy } from '@pixgrad/core';
import { deltaE, l1Loss, msSsim, mseLoss, rgbToLab, ssim } from '@pixgrad/losses';
import { fitImage } from '@pixgrad/cli';
import { currentReference, lpipsModel } from './compare.js';
import { drawCurve, drawTensor } from './canvas.js';
import { $, errorText, nextFrame, showMessage, clearMessage } from './ui.js';

/** Images are trained at this size at most (the longer side), so a step stays interactive. */
export const TRAIN_SIZE = 192;
/** The image is redrawn every this many steps. */
const DRAW_EVERY = 5;

type LossName = 'l1' | 'mse' | 'ssim' | 'msssim' | 'deltae' | 'lpips';

/** The loss of `x` against `target` (both [1, 3, H, W] in [0, 1]); throws when it cannot apply. */
function lossFn(name: LossName, target: Tensor): (x: Tensor) => Tensor {
  switch (name) {
    case 'l1':
      return (x) => l1Loss(x, target);
    case 'mse':
      return (x) => mseLoss(x, target);
    case 'ssim':
      return (x) => ssim(x, target).neg().add(1);
    case 'msssim': {
      const [H, W] = [target.shape[2]!, target.shape[3]!];
      if (Math.min(H, W) < 161) throw new Error(`MS-SSIM's 5 scales need at least 161x161 pixels; the target is ${W}x${H} (use a larger reference)`);
      return (x) => msSsim(x, target).neg().add(1);
    }
    case 'deltae': {
      const lab = rgbToLab(target);
      return (x) => deltaE(rgbToLab(x), lab, { formula: 'ciede2000' });
    }
    case 'lpips': {
      const model = lpipsModel();
      if (!model) throw new Error('LPIPS needs the VGG16 weights and the LPIPS heads: pick them in the Compare view');
      return (x) => model.forward(x, target, { normalize: true }).mean();
    }
  }
}

let running = false;
let stopRequested = false;

async function train(): Promise<void> {
  const ref = currentReference();
  if (!ref) throw new Error('no reference image yet');
  const name = $<HTMLSelectElement>('train-loss').value as LossName;
  const lr = Number($<HTMLInputElement>('train-lr').value);
  if (!(lr > 0 && lr <= 1)) throw new Error(`the learning rate must be in (0, 1], got ${$<HTMLInputElement>('train-lr').value}`);
  const target = fitImage(ref.tensor, TRAIN_SIZE);
  const [H, W] = [target.shape[2]!, target.shape[3]!];
  const owned: Tensor[] = [target];
  let opt: Adam | undefined;
  const state = $('train-state');
  const losses: number[] = [];
  try {
    const loss = lossFn(name, target);
    const start = tidy(() => {
      const s =
        $<HTMLSelectElement>('train-start').value === 'blur'
          ? resize(fitImage(target, Math.max(8, Math.round(Math.max(H, W) / 8))), [H, W], { mode: 'bilinear' })
          : rand([1, 3, H, W]);
      const c = s.clamp(0.02, 0.98);
      return c.div(c.neg().add(1)).log(); // logit: sigmoid(p) = start
    });
    const p = start.requiresGrad_();
    owned.push(p);
    opt = new Adam([p], { lr });
    await drawTensor($<HTMLCanvasElement>('train-target'), target);
    const image = $<HTMLCanvasElement>('train-image');
    const curve = $<HTMLCanvasElement>('train-curve');
    for (let step = 1; !stopRequested; step++) {
      opt.zeroGrad();
      const value = tidy(() => {
        const l = loss(p.sigmoid());
        l.backward();
        return l;
      });
      opt.step();
      const v = await value.item();
      value.dispose();
      if (!Number.isFinite(v)) throw new Error(`the loss became ${v} at step ${step}; lower the learning rate`);
      losses.push(v);
      state.dataset['step'] = String(step);
      state.dataset['first'] = String(losses[0]);
      state.dataset['last'] = String(v);
      state.textContent = `step ${step}: loss ${v.toPrecision(5)}`;
      drawCurve(curve, losses);
      if (step === 1 || step % DRAW_EVERY === 0) {
        const shown = tidy(() => p.sigmoid());
        await drawTensor(image, shown);
        shown.dispose();
      }
      await nextFrame();
    }
    const last = tidy(() => p.sigmoid());
    await drawTensor(image, last);
    last.dispose();
  } finally {
    opt?.dispose();
    for (const t of owned) t.dispose();
  }
}

export function setupTrain(): void {
  const startButton = $<HTMLButtonElement>('train-start-button');
  const stopButton = $<HTMLButtonElement>('train-stop-button');
  startButton.addEventListener('click', () => {
    if (running) return;
    running = true;
    stopRequested = false;
    startButton.disabled = true;
    stopButton.disabled = false;
    clearMessage();
    $('train-state').dataset['running'] = 'true';
    train()
      .catch((e: unknown) => showMessage(`train: ${errorText(e)}`))
      .finally(() => {
        running = false;
        startButton.disabled = false;
        stopButton.disabled = true;
        $('train-state').dataset['running'] = 'false';
      });
  });
  stopButton.addEventListener('click', () => {
    stopRequested = true;
  });
}
