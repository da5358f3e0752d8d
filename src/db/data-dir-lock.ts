import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createWhole } from '../util/create-whole.js';

/** Another live process holds the embedded database's directory. */
export class DataDirInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `the embedded database in ${dir} is in use by process ${pid}: stop it first, or give this one its own DATA_DIR ` +
        `(or a DATABASE_URL). If no such process runs, remove ${dir}.lock`,
    );
    this.name = 'DataDirInUseError';
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid a lock file names; NaN when it is gone or holds something else. */
function holderOf(path: string): number {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^[1-9][0-9]*$/.test(text) ? Number(text) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A lock file held by a live process other than this one. */
const heldByOther = (pid: number) => Number.isInteger(pid) && pid !== process.pid && alive(pid);

/**
 * Takes `<dir>.lock` (holding this process's pid) for as long as this process uses the embedded database in `dir`:
 * two processes on one PGlite directory would each overwrite the other's writes. A lock left by a process that is
 * gone is moved aside and taken over; if what was moved turns out to be another live process's lock, it is put back.
 * Returns the release (also run when the process exits), which removes the lock only while it is still this one's.
 */
export function lockDataDir(dir: string): () => void {
  const path = `${dir}.lock`;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWhole(path, `${process.pid}\n`)) {
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        if (holderOf(path) === process.pid) rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    }
    const holder = holderOf(path);
    if (heldByOther(holder)) throw new DataDirInUseError(dir, holder);
    const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it first
      throw error;
    }
    const moved = holderOf(aside);
    if (heldByOther(moved)) {
      // another process took the directory between our look and our move: its lock goes back
      try {
        linkSync(aside, path);
      } finally {
        rmSync(aside, { force: true });
      }
      throw new DataDirInUseError(dir, moved);
    }
    rmSync(aside, { force: true });
  }
  throw new Error(`could not take ${path}: other processes keep taking it`);
}
