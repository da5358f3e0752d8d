import { readFileSync, rmSync, writeFileSync } from 'node:fs';

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

/**
 * Takes `<dir>.lock` (holding this process's pid) for as long as this process uses the embedded database in `dir`:
 * two processes on one PGlite directory would each overwrite the other's writes. A lock left by a process that is
 * gone is taken over. Returns the release (also run when the process exits).
 */
export function lockDataDir(dir: string): () => void {
  const path = `${dir}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      // removed meanwhile: try again
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) throw new DataDirInUseError(dir, holder);
    rmSync(path, { force: true }); // left by a process that is gone (or half written): taken over
  }
  throw new Error(`could not take ${path}: other processes keep creating it`);
}
