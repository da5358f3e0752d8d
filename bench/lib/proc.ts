import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const MiB = 1024 * 1024;

let clockTicks: number | undefined;
/** Clock ticks per second of utime/stime in /proc/<pid>/stat (usually 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system, every thread) the process has used so far, in ms (resolution: one clock tick). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after "(comm)", which may itself hold spaces: state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${key} in /proc/${pid}/status`);
  return Number(match[1]);
}

/** Resident set size now, in bytes. */
export function rssBytes(pid: number): number {
  return statusKb(pid, 'VmRSS') * 1024;
}

export type ProcSample = { rssBefore: number; rssPeak: number; rssGrowth: number; cpuMs: number; wallMs: number; samples: number };

/**
 * Watches one process over a measured phase: RSS sampled every `intervalMs` (and the kernel's own peak, VmHWM, reset
 * at the start through /proc/<pid>/clear_refs where allowed, so a spike between two samples is not missed), and the
 * CPU time used between start and stop.
 */
export class ProcWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly cpuStart: number;
  private readonly wallStart = performance.now();
  private readonly hwmReset: boolean;
  readonly rssBefore: number;
  private peak: number;
  private samples = 0;

  constructor(
    private readonly pid: number,
    intervalMs = 10,
  ) {
    this.rssBefore = rssBytes(pid);
    this.peak = this.rssBefore;
    this.hwmReset = resetPeak(pid);
    this.cpuStart = cpuMs(pid);
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    try {
      this.peak = Math.max(this.peak, rssBytes(this.pid));
      this.samples++;
    } catch {
      // the process went away; stop() reports what was seen
    }
  }

  stop(): ProcSample {
    clearInterval(this.timer);
    this.sample();
    if (this.hwmReset) this.peak = Math.max(this.peak, statusKb(this.pid, 'VmHWM') * 1024);
    return {
      rssBefore: this.rssBefore,
      rssPeak: this.peak,
      rssGrowth: this.peak - this.rssBefore,
      cpuMs: cpuMs(this.pid) - this.cpuStart,
      wallMs: performance.now() - this.wallStart,
      samples: this.samples,
    };
  }
}

/** Resets the kernel's peak-RSS counter of `pid` (Linux ≥ 4.0, own processes); false when not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export const toMiB = (bytes: number) => bytes / MiB;
