/**
 * Checkpoint -> pixgrad `Tensor`s: the thin layer over `readCheckpointRaw` that most code wants.
 */
import { tensor, type Tensor, type TensorOptions } from '@pixgrad/core';
import { readCheckpointRaw, type CheckpointOptions } from './checkpoint.js';
import type { RawTensor } from './raw-tensor.js';

export interface LoadCheckpointOptions extends CheckpointOptions {
  /** Device for the tensors (default: core's default device). */
  device?: TensorOptions['device'];
}

/**
 * A pixgrad `Tensor` holding a `RawTensor`'s data, shape and dtype.
 *
 * @example
 * const { tensors } = await readCheckpointRaw('vgg.pth');
 * const w = rawToTensor(tensors.get('lin0.model.1.weight')!); // Tensor [1, 64, 1, 1] float32
 */
export function rawToTensor(t: RawTensor, opts: Pick<TensorOptions, 'device'> = {}): Tensor {
  return tensor(t.data, { shape: t.shape, dtype: t.dtype, ...(opts.device !== undefined ? { device: opts.device } : {}) });
}

/**
 * Loads the tensors of a checkpoint (torch zip/legacy/tar or safetensors, detected from the
 * content) as pixgrad tensors, by flattened dotted name (`features.0.weight`,
 * `model_state_dict.fc1.weight`). dtypes: f16/bf16/f32 -> float32, f64 -> float64, integers ->
 * int32 (int64 outside int32 is an error unless `int64` says otherwise), bool -> bool.
 * Non-tensor values (epoch, loss, ...) are in `readCheckpointRaw(...).objects`.
 *
 * Only the tensors `filter` accepts are read from disk, so perceptual losses can skip VGG16's
 * 411 MB classifier. Errors are `CheckpointError`s naming the file, the problem and the offset.
 *
 * @example
 * const vgg = await loadCheckpoint(`${hub}/vgg16-397923af.pth`, { filter: (n) => n.startsWith('features.') });
 * vgg.get('features.0.weight')!.shape; // [64, 3, 3, 3]
 */
export async function loadCheckpoint(pathOrBytes: string | Uint8Array | ArrayBuffer, opts: LoadCheckpointOptions = {}): Promise<Map<string, Tensor>> {
  const raw = await readCheckpointRaw(pathOrBytes, opts);
  raw.objects = null; // the tree also references every array; only the map should keep them
  const out = new Map<string, Tensor>();
  for (const [name, t] of raw.tensors) {
    out.set(name, rawToTensor(t, opts));
    // Drop each raw array once converted so peak memory is one copy plus one tensor.
    raw.tensors.delete(name);
  }
  return out;
}
