import { readFileSync } from 'node:fs';
import type { Device } from '@pixgrad/core';
import type { Library } from '../types.js';

const version = (pkg: string): string =>
  (JSON.parse(readFileSync(new URL(`../../packages/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

/** pixgrad on one of its devices; the workloads put their tensors on `device`. */
export interface PixgradLibrary extends Library {
  readonly family: 'pixgrad';
  readonly device: Device;
}

export const pixgradCpu: PixgradLibrary = {
  name: 'pixgrad',
  backend: 'cpu',
  family: 'pixgrad',
  device: 'cpu',
  setup: async () => undefined,
  versions: () => ({ '@pixgrad/core': version('core') }),
};
