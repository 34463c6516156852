/**
 * `pixgrad demo`: makes the synthetic test card and its distortions, writes them to a folder, and
 * runs `pixgrad compare card.png distorted/` on them (the same code path as the command).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng } from '@pixgrad/models';
import { type CompareOptions, type Io, runCompare } from './compare.js';
import { makeDistortions, makeTestCard } from './testcard.js';

export interface DemoOptions extends CompareOptions {
  out: string;
  size: number;
  seed: number;
}

/** Writes `<out>/card.png` and `<out>/distorted/*`; returns the two paths. */
export async function writeDemoImages(
  out: string,
  size: number,
  seed: number,
): Promise<{ card: string; distorted: string; made: { file: string; describe: string }[] }> {
  const card = makeTestCard(size, seed);
  const distortedDir = join(out, 'distorted');
  await mkdir(distortedDir, { recursive: true });
  const cardPath = join(out, 'card.png');
  await writeFile(cardPath, encodePng(card));
  const made = [];
  for (const d of makeDistortions(card)) {
    await writeFile(join(distortedDir, d.file), d.bytes ?? encodePng(d.image!));
    made.push({ file: d.file, describe: d.describe });
  }
  return { card: cardPath, distorted: distortedDir, made };
}

export async function runDemo(opts: DemoOptions, io: Io): Promise<number> {
  const { card, distorted, made } = await writeDemoImages(opts.out, opts.size, opts.seed);
  const say = opts.format === 'table' ? io.out : io.err;
  say(`made a ${opts.size}x${opts.size} test card (colour bars, ramps, zone plate, fine lines, text, colour patches): ${card}\n`);
  for (const m of made) say(`  ${join(distorted, m.file)}: ${m.describe}\n`);
  say(`\n$ pixgrad compare ${card} ${distorted}${opts.map ? ` --map ${opts.map.kind} ${opts.map.out}` : ''}\n\n`);
  return runCompare(card, distorted, opts, io);
}
