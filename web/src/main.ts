/**
 * The pixgrad web page: Compare (the metrics of `pixgrad compare` on the built-in test card or
 * the user's images, with maps) and Train (gradient descent on pixels under a chosen loss). It
 * runs on navigator.gpu and falls back to the CPU backend with a notice; `?device=cpu` chooses
 * the CPU backend.
 */
import { adapterInfo, init } from '@pixgrad/kernels';
import { setupCompare } from './compare.js';
import { setupTrain } from './train.js';
import { $, errorText, showMessage } from './ui.js';

window.addEventListener('error', (e) => showMessage(`error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showMessage(`error: ${errorText(e.reason)}`));

async function chooseDevice(): Promise<void> {
  const el = $('device');
  if (new URLSearchParams(location.search).get('device') === 'cpu') {
    document.body.dataset['device'] = await init('cpu');
    el.textContent = 'Computing on the CPU backend (chosen with ?device=cpu).';
  } else {
    try {
      document.body.dataset['device'] = await init('webgpu');
      const a = adapterInfo();
      el.textContent = `Computing on WebGPU (${[a?.description || a?.name, a?.vendor, a?.architecture].filter(Boolean).join(', ') || 'adapter'}).`;
    } catch (e) {
      document.body.dataset['device'] = await init('cpu');
      el.classList.add('notice');
      const why = errorText(e).split(/\.\s/)[0];
      el.textContent = `WebGPU is not available in this browser (${why}); computing on the CPU backend instead, which is slower.`;
    }
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
