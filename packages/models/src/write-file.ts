/**
 * Writing a file so that a failed write leaves nothing half-done: the bytes go to a temporary file
 * beside the target, which is then renamed into place (atomic on one file system). Node only; the
 * modules are imported lazily so browser bundles that never write are unaffected.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await import('node:fs/promises');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
