/**
 * The Compare view: the metrics table of `pixgrad compare` (the same functions, so the same
 * numbers) for a reference against one or more test images, the SSIM / L1 / ΔE maps of the
 * selected pair, and a before/after slider. It opens on the built-in test card and its four
 * distortions (what `pixgrad demo` compares), already computed.
 */
import { LpipsModel } from '@pixgrad/losses';
import { encodePng, loadLpipsHeads, vgg16 } from '@pixgrad/models';
import {
  type DeepModels,
  type LoadedImage,
  MAP_DEFAULT_MAX,
  METRICS,
  type MapKind,
  type MetricKey,
  type MetricResult,
  WEIGHTED_METRICS,
  checkComparable,
  computeDeepMetrics,
  computeMetrics,
  errorMap,
  formatNumber,
  imageFromBytes,
  makeDistortions,
  makeTestCard,
  metricDef,
  summarize,
} from '@pixgrad/cli';
import { drawMap, drawTensor } from './canvas.js';
import { $, clearMessage, dropZone, errorText, nextFrame, reporting, showMessage } from './ui.js';

/** The largest image the page accepts: 3840x2160 (4K UHD), about 8.3 million pixels. */
export const MAX_PIXELS = 3840 * 2160;

interface Row {
  image: LoadedImage;
  metrics?: Partial<Record<MetricKey, MetricResult>>;
  error?: string;
}

let reference: LoadedImage | undefined;
let rows: Row[] = [];
let selected = 0;
const deep: DeepModels = { keys: [], missing: {}, problems: [] };
/** one piece of work at a time: a new choice waits for the run before it */
let queue: Promise<unknown> = Promise.resolve();

function enqueue(what: string, fn: () => Promise<void>): Promise<void> {
  const next = queue.then(() => reporting(what, fn)).then(() => undefined);
  queue = next;
  return next;
}

/** The reference image of this view (the Train view descends towards it). */
export function currentReference(): LoadedImage | undefined {
  return reference;
}

/** The LPIPS model when the user gave both weight files. */
export function lpipsModel(): LpipsModel | undefined {
  return deep.lpips;
}

async function readImageFile(file: File): Promise<LoadedImage> {
  return imageFromBytes(new Uint8Array(await file.arrayBuffer()), file.name, { maxPixels: MAX_PIXELS });
}

function disposeImages(images: (LoadedImage | undefined)[]): void {
  for (const i of images) i?.tensor.dispose();
}

function metricKeys(): MetricKey[] {
  return [...METRICS.map((m) => m.key), ...deep.keys];
}

function testCard(): { ref: LoadedImage; tests: LoadedImage[] } {
  const card = makeTestCard(256);
  return {
    ref: imageFromBytes(encodePng(card), 'card.png'),
    tests: makeDistortions(card).map((d) => imageFromBytes(d.bytes ?? encodePng(d.image!), d.file)),
  };
}

/** Replaces the reference and/or the test images and recomputes everything (inside a queued job). */
async function replaceImages(ref: LoadedImage | undefined, tests: LoadedImage[] | undefined): Promise<void> {
  if (ref) {
    disposeImages([reference]);
    reference = ref;
    $('ref-name').textContent = `${ref.path} (${ref.width}x${ref.height})`;
  }
  if (tests) {
    disposeImages(rows.map((r) => r.image));
    rows = tests.map((image) => ({ image }));
    $('test-names').textContent = tests.map((t) => t.path).join(', ');
  }
  selected = 0;
  await computeAll();
}

async function computeAll(): Promise<void> {
  const table = $('metrics');
  table.dataset['state'] = 'running';
  clearMessage();
  const problems: string[] = [];
  for (const r of rows) {
    delete r.metrics;
    delete r.error;
  }
  renderTable();
  for (const r of rows) {
    try {
      checkComparable(reference!, r.image);
      r.metrics = await computeMetrics(
        reference!.tensor,
        r.image.tensor,
        METRICS.map((m) => m.key),
      );
      if (deep.keys.length) Object.assign(r.metrics, await computeDeepMetrics(deep, reference!.tensor, r.image.tensor));
    } catch (e) {
      r.error = errorText(e);
      problems.push(r.error);
    }
    renderTable();
    await nextFrame();
  }
  if (problems.length) showMessage(problems.join('\n'));
  await showPair();
  table.dataset['state'] = 'ready';
}

function renderTable(): void {
  const keys = metricKeys();
  const table = $<HTMLTableElement>('metrics');
  const head = table.tHead!;
  head.innerHTML = '';
  const hr = head.insertRow();
  const th = (text: string, key?: string) => {
    const c = document.createElement('th');
    c.textContent = text;
    if (key) c.dataset['key'] = key;
    hr.append(c);
  };
  th('file');
  for (const k of keys) {
    const d = metricDef(k);
    th(d.unit ? `${d.label} ${d.unit}` : d.label, k);
    hr.lastElementChild!.setAttribute('title', `${d.describe} (${d.better} is better)`);
  }
  const body = table.tBodies[0]!;
  body.innerHTML = '';
  rows.forEach((r, i) => {
    const tr = body.insertRow();
    tr.dataset['file'] = r.image.path;
    if (i === selected) tr.classList.add('selected');
    tr.addEventListener(
      'click',
      () =>
        void enqueue('show', async () => {
          selected = i;
          renderTable();
          await showPair();
        }),
    );
    tr.insertCell().textContent = r.image.path;
    if (r.error) {
      const c = tr.insertCell();
      c.colSpan = keys.length;
      c.className = 'na';
      c.textContent = r.error;
      return;
    }
    for (const k of keys) {
      const c = tr.insertCell();
      const m = r.metrics?.[k];
      c.dataset['key'] = k;
      c.dataset['value'] = m === undefined ? '' : m.value === null ? 'null' : String(m.value);
      c.textContent = m === undefined ? '…' : formatNumber(m.value, metricDef(k).digits);
      if (m?.note) c.title = m.note;
      if (m?.value === null) c.className = 'na';
    }
  });
  const good = rows.filter((r) => r.metrics && !r.error).map((r) => ({ name: r.image.path, ref: reference!.path, test: r.image.path, metrics: r.metrics! }));
  if (good.length > 1 && good.length === rows.length) {
    const mean = summarize(good, keys);
    const tr = body.insertRow();
    tr.dataset['file'] = 'mean';
    tr.insertCell().textContent = `mean of ${good.length}`;
    for (const k of keys) tr.insertCell().textContent = formatNumber(mean[k]!, metricDef(k).digits);
  }
  const select = $<HTMLSelectElement>('pair-select');
  select.innerHTML = '';
  rows.forEach((r, i) => select.add(new Option(r.image.path, String(i), false, i === selected)));
}

/** The selected pair: before/after slider and the three maps. */
async function showPair(): Promise<void> {
  const r = rows[selected];
  if (!reference || !r || r.error) return;
  await drawTensor($<HTMLCanvasElement>('ref-canvas'), reference.tensor);
  await drawTensor($<HTMLCanvasElement>('test-canvas'), r.image.tensor);
  updateSlider();
  const kinds: MapKind[] = ['ssim', 'l1', 'deltaE'];
  for (const kind of kinds) {
    const canvas = $<HTMLCanvasElement>(`map-${kind}`);
    if (kind === 'deltaE' && reference.channels !== 3) {
      canvas.width = canvas.height = 0;
      continue;
    }
    const values = await errorMap(kind, reference.tensor, r.image.tensor, r.image.path);
    drawMap(canvas, values, reference.width, reference.height, MAP_DEFAULT_MAX[kind]);
  }
}

function updateSlider(): void {
  const v = Number($<HTMLInputElement>('slider-input').value);
  // the test image covers the right part: left of the handle is "before" (the reference)
  $('test-canvas').style.clipPath = `inset(0 0 0 ${v}%)`;
}

/** which files the loaded networks came from, so picking the same files again does nothing */
let weightsKey = '';

/** Loads the networks of the picked weight files; false when they are the ones already loaded. */
async function loadWeights(): Promise<boolean> {
  const vggFile = $<HTMLInputElement>('vgg-input').files?.[0];
  const headsFile = $<HTMLInputElement>('heads-input').files?.[0];
  const key = [vggFile, headsFile].map((f) => (f ? `${f.name}:${f.size}:${f.lastModified}` : '')).join('|');
  if (key === weightsKey) return false;
  weightsKey = key;
  const state = $('weights-state');
  deep.vgg?.dispose();
  deep.lpips?.heads.dispose();
  delete deep.vgg;
  delete deep.lpips;
  deep.keys = [];
  if (!vggFile) {
    state.textContent = headsFile ? 'LPIPS also needs the VGG16 weights.' : '';
    return true;
  }
  state.textContent = `reading ${vggFile.name}…`;
  try {
    deep.vgg = await vgg16({ weights: new Uint8Array(await vggFile.arrayBuffer()) });
  } catch (e) {
    state.textContent = '';
    weightsKey = '';
    throw new Error(`${vggFile.name} is not torchvision's VGG16 weights: ${errorText(e)}`);
  }
  deep.keys.push('perceptual');
  if (headsFile) {
    try {
      const heads = await loadLpipsHeads(new Uint8Array(await headsFile.arrayBuffer()), { net: 'vgg', version: '0.1' });
      deep.lpips = new LpipsModel(deep.vgg, heads, '0.1');
      deep.keys.unshift('lpips');
    } catch (e) {
      weightsKey = '';
      throw new Error(`${headsFile.name} is not the LPIPS v0.1 VGG heads: ${errorText(e)}`);
    }
  }
  state.textContent = `loaded: ${deep.keys.map((k) => WEIGHTED_METRICS.find((m) => m.key === k)!.label).join(' and ')}`;
  return true;
}

export function setupCompare(): Promise<void> {
  const refInput = $<HTMLInputElement>('ref-input');
  const testInput = $<HTMLInputElement>('test-input');
  const pickRef = (files: File[]) =>
    void enqueue('reference image', async () => {
      await replaceImages(await readImageFile(files[0]!), undefined);
    });
  const pickTests = (files: File[]) =>
    void enqueue('test images', async () => {
      const tests: LoadedImage[] = [];
      try {
        for (const f of files) tests.push(await readImageFile(f));
      } catch (e) {
        disposeImages(tests);
        throw e;
      }
      await replaceImages(undefined, tests);
    });
  refInput.addEventListener('change', () => refInput.files?.length && pickRef(Array.from(refInput.files)));
  testInput.addEventListener('change', () => testInput.files?.length && pickTests(Array.from(testInput.files)));
  dropZone($('ref-drop'), pickRef);
  dropZone($('test-drop'), pickTests);
  $('use-card').addEventListener(
    'click',
    () =>
      void enqueue('test card', () => {
        const { ref, tests } = testCard();
        return replaceImages(ref, tests);
      }),
  );
  for (const id of ['vgg-input', 'heads-input']) {
    $(id).addEventListener(
      'change',
      () =>
        void enqueue('network weights', async () => {
          if (await loadWeights()) await computeAll();
        }),
    );
  }
  $('slider-input').addEventListener('input', updateSlider);
  $<HTMLSelectElement>('pair-select').addEventListener(
    'change',
    (e) =>
      void enqueue('show', async () => {
        selected = Number((e.target as HTMLSelectElement).value);
        renderTable();
        await showPair();
      }),
  );
  $('max-pixels').textContent = `${(MAX_PIXELS / 1e6).toFixed(1)} million pixels (3840x2160)`;
  return enqueue('test card', () => {
    const { ref, tests } = testCard();
    return replaceImages(ref, tests);
  });
}
