// Small durable-file helpers: directory fsync and atomic file replacement.
import { open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";

/** Makes a directory's entries (created, renamed, removed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `dir/name` with `bytes` atomically: write a temporary file, fsync it, rename it over
 * the target, fsync the directory. A crash leaves either the old file or the new one (and
 * perhaps a stray `.tmp`, which recovery removes). `durable: false` skips the fsyncs.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  bytes: Uint8Array,
  durable: boolean,
): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(bytes);
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  if (durable) await fsyncDir(dir);
}

/** Removes a file, ignoring one that is already gone. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}
