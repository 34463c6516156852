import { tensor, randn, matmul, Generator } from '@pixgrad/core';
import { initWasm } from './src/index.js';
await initWasm();
const g = new Generator(1);
for (const [sa, sb, ta, tb] of [
  [[3, 5], [5, 7], false, false],
  [[2, 3, 5], [5, 7], false, false],
  [[4, 1, 6, 5], [3, 5, 9], false, false],
] as const) {
  const a = randn(sa as number[], { generator: g, device: 'cpu' });
  const b = randn(sb as number[], { generator: g, device: 'cpu' });
  const want = await matmul(a, b).data();
  const got = await matmul(a.to('wasm'), b.to('wasm')).data();
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(want[i]! - got[i]!));
  console.log(sa, sb, 'maxerr', e, want.length === got.length);
}
