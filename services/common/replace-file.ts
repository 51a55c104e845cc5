/**
 * Writes a file whole or not at all: the data goes to a partial file beside it, which is then
 * renamed over the old one (atomic on one file system). A process killed mid-write leaves the
 * old file, or none, never a truncated one.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

export async function replaceFile(path: string, data: string, mode = 0o600): Promise<void> {
  const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await writeFile(partial, data, { mode });
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
