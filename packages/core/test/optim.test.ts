import { describe, expect, it } from 'vitest';
import { Adam, AdamW, DisposedError, SGD, ValueError, conv2d, manualSeed, memory, randn, tensor, tidy, type Tensor } from '@pixgrad/core';

const f64 = (data: number[], requiresGrad = true) => tensor(data, { dtype: 'float64', requiresGrad });
const flat = (t: Tensor) => Array.from(t.dataSync());

/** One step of backward for L = sum(a * θ^2) / 2, so ∇L = a * θ. */
function quadBackward(p: Tensor, a: number[]): void {
  tidy(() =>
    p
      .mul(p)
      .mul(tensor(a, { dtype: p.dtype }))
      .sum()
      .mul(0.5)
      .backward(),
  );
}

// ------------------------------------------------------------------------------------------------
// Scalar references: the update rules of PyTorch's documentation, transcribed line by line.

/**
 * torch.optim.SGD, https://pytorch.org/docs/stable/generated/torch.optim.SGD.html (algorithm box):
 *   g ← ∇ (negated first when maximize, as torch's implementation); if λ≠0: g ← g + λθ;
 *   if μ≠0: b ← t>1 ? μb + (1-τ)g : g; g ← nesterov ? g + μb : b;  θ ← θ - γg
 */
function sgdRef(
  theta: number,
  grads: (theta: number, t: number) => number,
  steps: number,
  o: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; maximize?: boolean },
): number[] {
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0, maximize = false } = o;
  let b = 0;
  const out: number[] = [];
  for (let t = 1; t <= steps; t++) {
    let g = grads(theta, t);
    if (maximize) g = -g;
    if (weightDecay !== 0) g = g + weightDecay * theta;
    if (momentum !== 0) {
      b = t > 1 ? momentum * b + (1 - dampening) * g : g;
      g = nesterov ? g + momentum * b : b;
    }
    theta = theta - lr * g;
    out.push(theta);
  }
  return out;
}

/**
 * torch.optim.Adam / AdamW, https://pytorch.org/docs/stable/generated/torch.optim.Adam.html and
 * .../torch.optim.AdamW.html (algorithm boxes):
 *   g ← ∇ (maximize: -∇); Adam: if λ≠0: g ← g + λθ; AdamW: θ ← θ - γλθ
 *   m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  m̂ = m / (1-β1^t)
 *   amsgrad: vmax ← max(vmax, v), v̂ = vmax / (1-β2^t) (as torch's code; pytorch/pytorch#142323), else v̂ = v / (1-β2^t)
 *   θ ← θ - γ m̂ / (sqrt(v̂) + ε)
 */
function adamRef(
  theta: number,
  grads: (theta: number, t: number) => number,
  steps: number,
  o: { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; amsgrad?: boolean; maximize?: boolean; decoupled?: boolean },
): number[] {
  const { lr = 1e-3, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false, maximize = false, decoupled = false } = o;
  let m = 0;
  let v = 0;
  let vmax = 0;
  const out: number[] = [];
  for (let t = 1; t <= steps; t++) {
    let g = grads(theta, t);
    if (maximize) g = -g;
    if (weightDecay !== 0) {
      if (decoupled) theta = theta - lr * weightDecay * theta;
      else g = g + weightDecay * theta;
    }
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mhat = m / (1 - b1 ** t);
    let vhat: number;
    if (amsgrad) {
      vmax = Math.max(vmax, v);
      vhat = vmax / (1 - b2 ** t);
    } else {
      vhat = v / (1 - b2 ** t);
    }
    theta = theta - (lr * mhat) / (Math.sqrt(vhat) + eps);
    out.push(theta);
  }
  return out;
}

/** Runs an optimiser for `steps` on L = sum(a θ²)/2 and returns θ after each step. */
function run(makeOpt: (p: Tensor) => { step(): void; zeroGrad(): void; dispose(): void }, theta0: number[], a: number[], steps: number): number[][] {
  const p = f64(theta0);
  const opt = makeOpt(p);
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    quadBackward(p, a);
    opt.step();
    out.push(flat(p));
  }
  opt.dispose();
  p.dispose();
  return out;
}

function expectTrajectory(got: number[][], theta0: number[], a: number[], ref: (theta: number, grad: (theta: number) => number) => number[], digits = 12) {
  theta0.forEach((t0, i) => {
    const want = ref(t0, (theta) => a[i]! * theta);
    want.forEach((w, s) => expect(got[s]![i]).toBeCloseTo(w, digits));
  });
}

describe('SGD matches PyTorch’s documented update', () => {
  it('momentum + Nesterov + weight decay, by hand', () => {
    // θ0 = 1, L = θ²/2 (∇ = θ), γ = 0.1, μ = 0.9, λ = 0.1:
    // t=1: g = 1 + 0.1 = 1.1, b = 1.1, g = 1.1 + 0.9*1.1 = 2.09, θ = 1 - 0.209 = 0.791
    // t=2: g = 0.791*1.1 = 0.8701, b = 0.99 + 0.8701 = 1.8601, g = 0.8701 + 1.67409 = 2.54419, θ = 0.536581
    // t=3: g = 0.5902391, b = 1.67409 + 0.5902391 = 2.2643291, g = 2.62813529, θ = 0.273767471
    const got = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }), [1], [1], 3);
    [0.791, 0.536581, 0.273767471].forEach((w, s) => expect(got[s]![0]).toBeCloseTo(w, 12));
  });
  it('every option against the transcribed pseudocode (vector parameters, 6 steps)', () => {
    const theta0 = [1, -2, 0.5];
    const a = [1, 3, 0.2];
    const cases = [
      { lr: 0.05 },
      { lr: 0.1, momentum: 0.9 },
      { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05 },
      { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
      { lr: 0.1, momentum: 0.5, weightDecay: 0.1, maximize: true },
    ];
    for (const o of cases) {
      const got = run((p) => new SGD([p], o), theta0, a, 6);
      expectTrajectory(got, theta0, a, (t0, grad) => sgdRef(t0, grad, 6, o));
    }
  });
  it('maximize follows the negated objective (torch’s implementation, weight decay included)', () => {
    const up = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1, maximize: true }), [1, 2], [-1, -2], 4);
    const down = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 }), [1, 2], [1, 2], 4);
    expect(up).toEqual(down);
  });
});

describe('Adam and AdamW match PyTorch’s documented update', () => {
  it('first steps by hand', () => {
    // Adam, θ0 = 1, ∇ = θ, γ = 0.1: m = 0.1, v = 0.001, m̂ = 1, v̂ = 1, θ1 = 1 - 0.1 / (1 + 1e-8)
    const adam = run((p) => new Adam([p], { lr: 0.1 }), [1], [1], 2);
    expect(adam[0]![0]).toBeCloseTo(1 - 0.1 / (1 + 1e-8), 14);
    // t=2: g = θ1 ≈ 0.9, m = 0.09 + 0.09 = 0.18, v = 0.000999 + 0.00081 = 0.001809,
    // m̂ = 0.18 / 0.19, v̂ = 0.001809 / 0.001999, θ2 = θ1 - 0.1 m̂ / sqrt(v̂) ≈ 0.8004123
    expect(adam[1]![0]).toBeCloseTo(0.9 - (0.1 * (0.18 / 0.19)) / Math.sqrt(0.001809 / 0.001999), 7);
    // AdamW, λ = 0.1: θ ← θ(1 - γλ) = 0.99 first, then the same Adam step: 0.99 - 0.1 / (1 + 1e-8)
    const adamw = run((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.1 }), [1], [1], 1);
    expect(adamw[0]![0]).toBeCloseTo(0.99 - 0.1 / (1 + 1e-8), 14);
    // Adam's L2 instead enters the gradient: g = 1.1, and the normalised step is still ~γ
    const adamL2 = run((p) => new Adam([p], { lr: 0.1, weightDecay: 0.1 }), [1], [1], 1);
    expect(adamL2[0]![0]).toBeCloseTo(1 - 0.1 / (1 + 1e-8 / 1.1), 14);
  });
  it('every option against the transcribed pseudocode (vector parameters, 6 steps)', () => {
    const theta0 = [1, -2, 0.5];
    const a = [1, 3, 0.2];
    const cases = [
      { lr: 0.1 },
      { lr: 0.05, betas: [0.8, 0.99] as [number, number], eps: 1e-6 },
      { lr: 0.1, weightDecay: 0.1 },
      { lr: 0.1, amsgrad: true },
      { lr: 0.1, maximize: true, weightDecay: 0.05 },
    ];
    for (const o of cases) {
      const got = run((p) => new Adam([p], o), theta0, a, 6);
      expectTrajectory(got, theta0, a, (t0, grad) => adamRef(t0, grad, 6, o));
      const gotW = run((p) => new AdamW([p], o), theta0, a, 6);
      expectTrajectory(gotW, theta0, a, (t0, grad) => adamRef(t0, grad, 6, { weightDecay: 1e-2, ...o, decoupled: true }));
    }
  });
  it('AMSGrad keeps the maximum of the raw second moment (gradients fed directly)', () => {
    const seq = [1, 0.1, 0.1, 2, 0.01, 0.01];
    const p = f64([0.5]);
    const opt = new Adam([p], { lr: 0.1, amsgrad: true });
    const got: number[] = [];
    seq.forEach((g) => {
      p.grad = tensor([g], { dtype: 'float64' });
      opt.step();
      got.push(p.dataSync()[0]!);
    });
    adamRef(0.5, (_, t) => seq[t - 1]!, seq.length, { lr: 0.1, amsgrad: true }).forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12));
    // without amsgrad the small late gradients take bigger steps
    const plain = adamRef(0.5, (_, t) => seq[t - 1]!, seq.length, { lr: 0.1 });
    expect(Math.abs(plain[5]! - plain[4]!)).toBeGreaterThan(Math.abs(got[5]! - got[4]!));
    opt.dispose();
  });
  it('AdamW defaults to weight decay 1e-2, Adam to 0', () => {
    expect(new AdamW([f64([1])]).weightDecay).toBe(1e-2);
    expect(new Adam([f64([1])]).weightDecay).toBe(0);
    expect(new Adam([f64([1])]).lr).toBe(1e-3);
    expect(new Adam([f64([1])]).betas).toEqual([0.9, 0.999]);
  });
});

describe('optimiser mechanics', () => {
  it('parameters stay the same objects; their values change in place', () => {
    const p = f64([1, 2]);
    const q = f64([3]);
    const ref = p;
    const opt = new SGD([p, q], { lr: 0.5 });
    tidy(() => p.mul(p).sum().add(q.mul(2).sum()).backward());
    opt.step();
    expect(ref).toBe(opt.params[0]);
    expect(flat(ref)).toEqual([0, 0]);
    expect(flat(q)).toEqual([2]);
    // the gradient is left for the user (as PyTorch); zeroGrad drops it
    expect(flat(p.grad!)).toEqual([2, 4]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(q.grad).toBeNull();
  });
  it('parameters without a gradient are skipped (and get no step count)', () => {
    const p = f64([1]);
    const q = f64([1]);
    const opt = new Adam([p, q], { lr: 0.1 });
    p.grad = tensor([1], { dtype: 'float64' });
    opt.step();
    expect(flat(q)).toEqual([1]);
    q.grad = tensor([1], { dtype: 'float64' });
    p.grad = null;
    opt.step();
    // q's first step has full bias correction, exactly like p's first step
    expect(q.dataSync()[0]).toBeCloseTo(1 - 0.1 / (1 + 1e-8), 14);
    expect(p.dataSync()[0]).toBeCloseTo(1 - 0.1 / (1 + 1e-8), 14);
    opt.dispose();
  });
  it('float32 parameters stay float32', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new AdamW([p], { lr: 0.1 });
    quadBackward(p, [1, 1]);
    opt.step();
    expect(p.dtype).toBe('float32');
    expect(p.dataSync()).toBeInstanceOf(Float32Array);
    opt.dispose();
  });
  it('step works inside a tidy scope: parameters and state survive it', () => {
    const p = f64([1, 2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 2; i++) {
      tidy(() => {
        opt.zeroGrad();
        p.mul(p).sum().backward();
        opt.step();
      });
    }
    // b1 = g1 = 2θ0, θ1 = 0.8θ0; b2 = 0.9 b1 + 2θ1 = 3.4θ0, θ2 = θ1 - 0.34θ0 = 0.46θ0
    flat(p).forEach((v, i) => expect(v).toBeCloseTo(0.46 * (i + 1), 12));
    opt.dispose();
  });
  it('a gradient of another float dtype is cast to the parameter’s', () => {
    const p = tensor([1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.5 });
    p.grad = tensor([1], { dtype: 'float64' });
    opt.step();
    expect(p.dtype).toBe('float32');
    expect(p.dataSync()[0]).toBe(0.5);
  });
  it('lr can be changed between steps (a schedule)', () => {
    const p = f64([1]);
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = tensor([1], { dtype: 'float64' });
    opt.step();
    opt.lr = 0.01;
    opt.step();
    expect(p.dataSync()[0]).toBeCloseTo(1 - 0.1 - 0.01, 14);
  });
  it('a step leaves only the optimiser state behind, and dispose frees it', () => {
    const p = f64([1, 2, 3]);
    const start = memory();
    const opt = new Adam([p], { lr: 0.1, amsgrad: true });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      quadBackward(p, [1, 2, 3]);
      opt.step();
      // p.grad plus three state tensors (m, v, vmax) of 3 float64 each, each with its own buffer
      expect(memory().tensors).toBe(start.tensors + 4);
      expect(memory().bytes).toBe(start.bytes + 4 * 3 * 8);
    }
    opt.zeroGrad();
    opt.dispose();
    expect(memory().tensors).toBe(start.tensors);
    expect(memory().bytes).toBe(start.bytes);
  });
  it('bad arguments are ValueErrors that name the optimiser', () => {
    const p = f64([1]);
    expect(() => new SGD([p], { lr: -1 })).toThrow(ValueError);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/SGD: invalid lr -1/);
    expect(() => new SGD([p], { nesterov: true })).toThrow(/SGD: Nesterov momentum requires momentum > 0 and dampening = 0/);
    expect(() => new SGD([p], { momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/Adam: invalid beta2 1/);
    expect(() => new AdamW([p], { eps: -1 })).toThrow(/AdamW: invalid eps -1/);
    expect(() => new SGD([])).toThrow(/SGD: got an empty list of parameters/);
    expect(() => new SGD([p, p])).toThrow(/SGD: a parameter appears more than once/);
    expect(() => new SGD([f64([1], false)])).toThrow(/SGD: parameter 0 \[1\] does not require grad/);
    expect(() => new SGD([tensor([1], { dtype: 'int32' })])).toThrow(/SGD: parameter 0 \[1\] is int32/);
    expect(() => new Adam([p.mul(2)])).toThrow(/Adam: parameter 0 \[1\] is not a leaf \(it was computed by mul\)/);
  });
  it('stepping a disposed parameter is a DisposedError', () => {
    const p = f64([1]);
    const opt = new SGD([p], { lr: 0.1 });
    p.dispose();
    expect(() => opt.step()).toThrow(DisposedError);
  });
  it('Tensor._assign: only leaves, same shape and dtype', () => {
    const p = f64([1, 2]);
    expect(() => p._assign(f64([1]))).toThrow(/_assign: cannot assign \[1\] float64 \(cpu\) to tensor #\d+ \[2\] float64/);
    expect(() => p._assign(tensor([1, 2]))).toThrow(/float32/);
    const y = p.mul(2);
    expect(() => y._assign(f64([1, 2]))).toThrow(/only leaves can be assigned/);
    const before = memory();
    const v = f64([5, 6], false);
    p._assign(v);
    v.dispose();
    expect(flat(p)).toEqual([5, 6]);
    expect(memory().tensors).toBe(before.tensors);
    // the old buffer was freed, the new one is held by p
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('optimisers fit small models', () => {
  it('SGD with momentum fits a linear regression', () => {
    manualSeed(3);
    const x = randn([64, 1], { dtype: 'float64' });
    const y = tidy(() =>
      x
        .mul(3)
        .sub(2)
        .add(randn([64, 1], { dtype: 'float64' }).mul(0.01)),
    );
    const w = tensor([[0]], { dtype: 'float64', requiresGrad: true });
    const b = f64([0]);
    const opt = new SGD([w, b], { lr: 0.1, momentum: 0.9 });
    const loss = () => tidy(() => x.matmul(w).add(b).sub(y).square().mean());
    const first = loss().itemSync();
    for (let i = 0; i < 150; i++) {
      opt.zeroGrad();
      tidy(() => loss().backward());
      opt.step();
    }
    const last = loss().itemSync();
    expect(first).toBeGreaterThan(5);
    expect(last).toBeLessThan(1e-3);
    expect(w.dataSync()[0]).toBeCloseTo(3, 1);
    expect(b.dataSync()[0]).toBeCloseTo(-2, 1);
  });
  it('Adam fits a tiny conv net to a teacher conv net', () => {
    manualSeed(7);
    const x = randn([4, 2, 6, 6], { dtype: 'float64' });
    const teacher = randn([3, 2, 3, 3], { dtype: 'float64' });
    const target = conv2d(x, teacher, { padding: 1 }).detach();
    const w1 = randn([4, 2, 3, 3], { dtype: 'float64' }).mul(0.3).detach().requiresGrad_();
    const w2 = randn([3, 4, 1, 1], { dtype: 'float64' }).mul(0.3).detach().requiresGrad_();
    const b2 = f64([0, 0, 0]);
    const model = () => conv2d(conv2d(x, w1, { padding: 1 }), w2, { bias: b2 });
    const loss = () => tidy(() => model().sub(target).square().mean());
    const opt = new Adam([w1, w2, b2], { lr: 0.05 });
    const first = loss().itemSync();
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      tidy(() => loss().backward());
      opt.step();
    }
    const last = loss().itemSync();
    expect(last).toBeLessThan(first / 50);
  });
});
