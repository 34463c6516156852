/**
 * numpy's legacy `np.random.RandomState(seed)` as far as the distribution metrics use it, so KID
 * subsets and the Inception Score's shuffle are the very ones torch-fidelity draws (seed 2020):
 * MT19937 (Matsumoto and Nishimura 1998) seeded by `init_genrand`, `permutation(n)` as numpy's
 * legacy Fisher-Yates from the end with `rk_interval` (mask-and-reject on 32-bit outputs), and
 * `choice(n, size, replace=False)` = `permutation(n)[:size]`.
 */
export class RandomState {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`RandomState: the seed must be an integer in [0, 2^32), got ${seed}`);
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, mod 2^32, without losing bits to doubles
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next 32-bit output (genrand_int32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max] (numpy's rk_interval). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    while ((v = (this.nextUint32() & mask) >>> 0) > max);
    return v;
  }

  /** `RandomState.permutation(n)`: a shuffled 0..n-1. */
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** `RandomState.choice(n, size, replace=False)`. */
  choice(n: number, size: number): Int32Array {
    return this.permutation(n).subarray(0, size);
  }
}
