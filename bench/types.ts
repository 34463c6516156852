/**
 * The shapes of the benchmark registry. A workload is one computation (one file in workloads/),
 * implemented once per library *family* (pixgrad, tfjs): the same implementation then runs on
 * every backend of that family (pixgrad cpu / webgpu; tfjs cpu / wasm / webgpu), selected by the
 * Library entry in libraries/. Adding a backend is one Library entry; adding a workload is one file.
 */

/** A family shares one API across its backends, so a workload implements each family once. */
export type Family = 'pixgrad' | 'tfjs' | 'jax';

export interface Library {
  /** the row's `library` label: the package people install ('pixgrad', '@tensorflow/tfjs') */
  readonly name: string;
  /** the row's `backend` label ('cpu', 'webgpu', 'wasm', ...) */
  readonly backend: string;
  readonly family: Family;
  /** load the library and switch to its backend; return a reason to skip it when unavailable */
  setup(): Promise<string | undefined>;
  /** runs `run` once and reports the memory it held (absent: the library cannot tell) */
  peakMemory?(run: () => Promise<void>): Promise<PeakMemory | undefined>;
  /** details for the report (adapter name, thread count), after a successful setup */
  notes?(): string[];
  /** the versions of the packages this row measures, for the report */
  versions(): Record<string, string>;
}

/** One prepared instance of a workload on one library: inputs uploaded, ready to time. */
export interface Case {
  /** one timed repetition; must finish the work (read results back) before it resolves */
  run(): void | Promise<void>;
  /**
   * the results of one run in a canonical layout (row-major, NCHW for images), so the harness can
   * check that every library computed the same thing on the same inputs
   */
  outputs(): Promise<Float32Array[]>;
  /** free everything the case holds */
  dispose(): void;
}

export interface Workload {
  /** short id for --only */
  readonly id: string;
  /** the row's `workload` label; quick mode may use a reduced size */
  name(quick: boolean): string;
  /** build a case for a library of the given family (absent: the family has no kernel for it) */
  readonly impls: { readonly [F in Family]?: (lib: Library, quick: boolean) => Case | Promise<Case> };
  /**
   * largest relative difference tolerated between two libraries' outputs (max |a - b| over the
   * largest |b| of each output); default 1e-4. Deep float32 stacks need more: summation orders differ.
   */
  readonly tolerance?: number;
  /** floating-point operations of one repetition, for a GFLOP/s column (matmul) */
  flops?(quick: boolean): number;
  /** a reason not to run this library (e.g. a case that would take many minutes), or undefined */
  skip?(lib: Library, quick: boolean, slow: boolean): string | undefined;
  /** also report the peak GPU/tensor memory of one repetition */
  readonly peakMemory?: boolean;
}

/** Memory held during one repetition, as the library itself reports it. */
export interface PeakMemory {
  /** the largest number of bytes held by live tensors at any point of the repetition (inputs and weights included) */
  peakBytes: number;
  /** bytes live just before the repetition (its inputs and weights): peakBytes - baseBytes is what the computation itself added */
  baseBytes: number;
  /** bytes the backend holds after the repetition, its buffer pool included (when it reports them) */
  allocatedBytes?: number;
  /** how the numbers were obtained */
  source: string;
}

/** One result row, as printed by --json. */
export interface Row {
  workload: string;
  library: string;
  backend: string;
  /** median wall-clock milliseconds of one repetition */
  ms: number;
  /** GFLOP/s at the median time, for workloads that count their flops (matmul) */
  gflops?: number;
  /** peak bytes held by live tensors during one repetition, inputs and weights included (workloads with `peakMemory`) */
  peakBytes?: number;
  /** of which inputs and weights (live before the repetition) */
  baseBytes?: number;
}
