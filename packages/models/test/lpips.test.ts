/**
 * LPIPS heads from the real files (richzhang/PerceptualSimilarity v0.0 and v0.1 vgg.pth, legacy
 * torch format): keys, shapes and values as expected-values.json states; strict errors.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memory, tensor } from '@pixgrad/core';
import { LPIPS_CHANNELS, LpipsWeightsError, loadCheckpoint, loadLpipsHeads, lpipsHeadsFromTensors, randomLpipsHeads } from '../src/index.js';
import { describeFixtures, fixture } from '../../../test/helpers/fixtures.js';

describeFixtures('LPIPS vgg heads from the real files', () => {
  const expected = JSON.parse(readFileSync(fixture('expected-values.json'), 'utf8')) as {
    tensor_summaries: Record<string, { tensors: Record<string, { shape: number[]; sum: number; first: number[] }> }>;
  };
  for (const version of ['0.1', '0.0'] as const) {
    it(`v${version}: lin0..lin4 [1, C, 1, 1] with the file's values`, async () => {
      const start = memory().tensors;
      const path = fixture('lpips', 'weights', `v${version}`, 'vgg.pth');
      const heads = await loadLpipsHeads(path, { net: 'vgg', version });
      expect(heads.channels).toEqual([...LPIPS_CHANNELS.vgg]);
      const summary = expected.tensor_summaries[`lpips/weights/v${version}/vgg.pth`]!.tensors;
      const file = await loadCheckpoint(path);
      heads.weights.forEach((w, k) => {
        const s = summary[`lin${k}.model.1.weight`]!;
        expect(w.shape).toEqual(s.shape);
        const d = Array.from(w.dataSync());
        expect(d.slice(0, 4)).toEqual(s.first);
        expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(s.sum, 4);
        // identical to the raw file tensor, and non-negative as the released heads are
        expect(d).toEqual(Array.from(file.get(`lin${k}.model.1.weight`)!.dataSync()));
        expect(d.every((v) => v >= 0)).toBe(true);
      });
      for (const t of file.values()) t.dispose();
      heads.dispose();
      expect(memory().tensors).toBe(start);
    });
  }
  it('float64 on request; strict errors list missing, unexpected and mis-shaped heads', async () => {
    const path = fixture('lpips', 'weights', 'v0.1', 'vgg.pth');
    const h64 = await loadLpipsHeads(path, { dtype: 'float64' });
    expect(h64.weights[0]!.dtype).toBe('float64');
    h64.dispose();
    await expect(loadLpipsHeads(path, { net: 'alex' })).rejects.toThrow(
      /mis-shaped keys: lin1\.model\.1\.weight expected \[1, 192, 1, 1\] got \[1, 128, 1, 1\]/,
    );
    await expect(loadLpipsHeads(fixture('lpips', 'weights', 'v0.1', 'squeeze.pth'), { net: 'vgg' })).rejects.toThrow(LpipsWeightsError);
    const m = await loadCheckpoint(path);
    m.delete('lin3.model.1.weight');
    m.set('extra', tensor([1]));
    expect(() => lpipsHeadsFromTensors(m)).toThrow(/missing keys: lin3\.model\.1\.weight; unexpected keys: extra/);
    for (const t of m.values()) t.dispose();
  });
});

describe('heads without files', () => {
  it('lin{k}.model.0.weight (trained without dropout) is accepted; random heads are seeded and non-negative', () => {
    const m = new Map(LPIPS_CHANNELS.vgg.map((c, k) => [`lin${k}.model.0.weight`, tensor(new Float32Array(c).fill(0.5), { shape: [1, c, 1, 1] })] as const));
    const h = lpipsHeadsFromTensors(m);
    expect(h.channels).toEqual([...LPIPS_CHANNELS.vgg]);
    h.dispose();
    for (const t of m.values()) t.dispose();
    const a = randomLpipsHeads([2, 3], { seed: 4 });
    const b = randomLpipsHeads([2, 3], { seed: 4 });
    expect(Array.from(a.weights[1]!.dataSync())).toEqual(Array.from(b.weights[1]!.dataSync()));
    expect(Array.from(a.weights[1]!.dataSync()).every((v) => v >= 0)).toBe(true);
    a.dispose();
    b.dispose();
  });
});
