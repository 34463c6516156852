/**
 * The pixgrad web page: Compare (the metrics of `pixgrad compare` on the built-in test card or
 * the user's images, with maps) and Train (gradient descent on pixels under a chosen loss). It
 * chooses its device as the command line's `--device auto` does (WebGPU on a hardware adapter,
 * else the wasm device on every core, else the CPU backend) and says which and why;
 * `?device=webgpu|wasm|cpu` forces one.
 */
import { setDefaultDevice } from '@pixgrad/core';
import * as kernels from '@pixgrad/kernels';
import { chooseDevice as autoDevice, initWasm } from '@pixgrad/wasm';
import { setupCompare } from './compare.js';
import { setupTrain } from './train.js';
import { $, errorText, showMessage } from './ui.js';

window.addEventListener('error', (e) => showMessage(`error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showMessage(`error: ${errorText(e.reason)}`));

async function chooseDevice(): Promise<void> {
  const el = $('device');
  const forced = new URLSearchParams(location.search).get('device');
  const say = (device: string, text: string, notice = false) => {
    document.body.dataset['device'] = device;
    el.textContent = text;
    el.classList.toggle('notice', notice);
  };
  if (forced === 'cpu') {
    setDefaultDevice('cpu');
    say('cpu', 'Computing on the CPU backend (chosen with ?device=cpu).');
  } else if (forced === 'wasm') {
    const be = await initWasm();
    say('wasm', `Computing on wasm SIMD, ${be.rt.threads} thread${be.rt.threads === 1 ? '' : 's'} (chosen with ?device=wasm).`);
  } else if (forced === 'webgpu') {
    try {
      await kernels.init('webgpu');
      const a = kernels.adapterInfo();
      say(
        'webgpu',
        `Computing on WebGPU (${[a?.description || a?.name, a?.vendor, a?.architecture].filter(Boolean).join(', ') || 'adapter'}; chosen with ?device=webgpu).`,
      );
    } catch (e) {
      setDefaultDevice('cpu');
      say('cpu', `WebGPU is not available in this browser (${errorText(e).split(/\.\s/)[0]}); computing on the CPU backend instead, which is slower.`, true);
    }
  } else {
    const c = await autoDevice({ webgpu: () => Promise.resolve(kernels) });
    const names = { webgpu: 'WebGPU', wasm: 'wasm SIMD', cpu: 'the CPU backend' };
    // anything but a hardware GPU is worth a notice: the page is slower than it could be elsewhere
    say(c.device, `Computing on ${names[c.device]}: ${c.reason}.`, c.device !== 'webgpu');
  }
}

function setupTabs(): void {
  const views = { compare: $('compare-view'), train: $('train-view') };
  for (const name of Object.keys(views)) {
    $(`tab-${name}`).addEventListener('click', () => {
      for (const [other, view] of Object.entries(views)) {
        view.hidden = other !== name;
        $(`tab-${other}`).setAttribute('aria-selected', String(other === name));
      }
    });
  }
}

async function start(): Promise<void> {
  setupTabs();
  await chooseDevice();
  setupTrain();
  await setupCompare();
}

start().catch((e: unknown) => showMessage(`the page could not start: ${errorText(e)}`));
