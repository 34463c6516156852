/**
 * What the command line reads from and writes to disk (Node only; everything else in this package
 * also runs in a browser, see browser.ts).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { encodePng } from '@pixgrad/models';
import { type ColormapName, colormapImage } from './colormap.js';
import { InputError, type LoadedImage, imageFromBytes } from './image.js';

/** Reads an image file; throws `InputError` naming the file when it is missing, a folder or undecodable. */
export async function loadImage(path: string): Promise<LoadedImage> {
  let bytes: Uint8Array;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new InputError(path, 'is a directory, expected an image file');
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(path, 'no such file');
    if (code === 'EACCES') throw new InputError(path, 'permission denied');
    throw new InputError(path, `cannot read: ${(e as Error).message}`);
  }
  return imageFromBytes(bytes, path);
}

/** Colour-maps values [H, W] with 0 -> the first colour and `max` -> the last, and writes an 8-bit RGB PNG. */
export async function writeColormapPng(
  path: string,
  values: ArrayLike<number>,
  width: number,
  height: number,
  opts: { max: number; colormap?: ColormapName },
): Promise<void> {
  const png = encodePng(colormapImage(values, width, height, opts));
  try {
    await writeFile(path, png);
  } catch (e) {
    throw new InputError(path, `cannot write the map: ${(e as Error).message}`);
  }
}
