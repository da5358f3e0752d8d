import { randomBytes } from 'node:crypto';
import { linkSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Creates `path` holding `content` only if it does not exist, whole: written aside, then linked into place, so nobody
 * ever reads it empty. False when it exists. (On file systems without hard links, an exclusive create.)
 */
export function createWhole(path: string, content: string, mode = 0o644): boolean {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(aside, content, { mode, flag: 'wx', flush: true });
    linkSync(aside, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
  } finally {
    rmSync(aside, { force: true });
  }
  try {
    writeFileSync(path, content, { mode, flag: 'wx', flush: true });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
