import { PixgradError } from '@pixgrad/core';

/**
 * The one error type every checkpoint reader and writer throws on purpose.
 *
 * Why one class with a `code` instead of a class per failure: callers (and the fuzz tests) need to
 * tell "the file is bad" from "the loader has a bug" with a single `instanceof`, and tests need a
 * stable, greppable reason that does not depend on message wording. It extends core's
 * `PixgradError`, so `instanceof PixgradError` still separates deliberate errors from bugs. Safetensors codes reuse the
 * names of the reference implementation's `SafeTensorError` variants (huggingface/safetensors,
 * `safetensors/src/tensor.rs`) so a message can be compared with what Python/Rust would say.
 */

/** Why a checkpoint was rejected. */
export type CheckpointErrorCode =
  // detection / IO
  | 'UnknownFormat'
  | 'UnexpectedEof'
  | 'Io'
  // zip container
  | 'ZipStructure'
  | 'IllegalName'
  | 'MissingRecord'
  | 'NotTorchCheckpoint'
  | 'ChecksumMismatch'
  // pickle
  | 'InvalidMagic'
  | 'MalformedPickle'
  | 'ForbiddenOpcode'
  | 'ForbiddenGlobal'
  // tensors and storages
  | 'StorageSizeMismatch'
  | 'ViewOutOfBounds'
  | 'InvalidTensor'
  | 'IntegerOverflow'
  | 'Unsupported'
  | 'LimitExceeded'
  | 'DuplicateName'
  // safetensors (reference names)
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeader'
  | 'InvalidHeaderDeserialization'
  | 'DuplicateKey'
  | 'InvalidDtype'
  | 'InvalidMetadata'
  | 'InvalidOffset'
  | 'MetadataIncompleteBuffer'
  | 'TensorInvalidInfo'
  | 'ValidationOverflow'
  // writing
  | 'InvalidArgument';

/** Where an error applies: the file (path or caller-given name) and the absolute byte offset. */
export interface CheckpointErrorInfo {
  file?: string | undefined;
  offset?: number | undefined;
}

/**
 * A checkpoint that cannot be read safely: malformed, truncated, hostile, or using a feature this
 * reader refuses (compressed beyond its declared size, a pickle global outside the allowlist, ...).
 *
 * The message names what was wrong, the file, and the byte offset where one applies, e.g.
 * `vgg.pth: unexpected EOF: storage '94081729898320' needs 256 bytes at byte 3972 but the file ends at 4000 (at byte 3972)`.
 *
 * @example
 * try { await loadCheckpoint('weights.pth'); }
 * catch (e) { if (e instanceof CheckpointError && e.code === 'ForbiddenGlobal') console.error(e.message); }
 */
export class CheckpointError extends PixgradError {
  override name = 'CheckpointError';
  /** Machine-readable reason. */
  readonly code: CheckpointErrorCode;
  /** The file (path, or the `name` given with a byte array), when known. */
  readonly file?: string;
  /** Absolute byte offset in the file where the problem was found, when it applies. */
  readonly offset?: number;

  constructor(code: CheckpointErrorCode, what: string, info: CheckpointErrorInfo = {}) {
    const where = info.offset !== undefined ? ` (at byte ${info.offset})` : '';
    const file = info.file !== undefined ? `${info.file}: ` : '';
    super(`${file}${what}${where}`);
    this.code = code;
    if (info.file !== undefined) this.file = info.file;
    if (info.offset !== undefined) this.offset = info.offset;
  }
}

/** Throw helper that keeps call sites on one line. */
export function fail(code: CheckpointErrorCode, what: string, info: CheckpointErrorInfo = {}): never {
  throw new CheckpointError(code, what, info);
}

/**
 * An image that cannot be decoded or encoded: corrupt or truncated data, an unsupported format,
 * a bad CRC, dimensions over the limit, or a tensor that is not an image. The message names the
 * file (or the `name` given with bytes).
 *
 * @example
 * try { await readImage('x.png'); } catch (e) { if (e instanceof ImageError) console.error(e.message); }
 */
export class ImageError extends PixgradError {
  override name = 'ImageError';
  readonly file?: string;
  constructor(what: string, file?: string) {
    super(file !== undefined ? `${file}: ${what}` : what);
    if (file !== undefined) this.file = file;
  }
}
