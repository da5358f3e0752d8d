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

function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // fields after "(comm)", which may itself hold spaces: state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

/** CPU time (user + system, every thread) the process has used so far, in ms (resolution: one clock tick). */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time of the process's main thread (the JavaScript event loop) alone, in ms. */
export function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/** Busy CPU time of the whole machine (every core, every process) so far, in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  void idle;
  void iowait;
  return ((user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * 1000) / ticksPerSecond();
}

/** This (bench client) process's CPU time so far, in ms. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
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

export type ProcSample = {
  rssBefore: number;
  rssPeak: number;
  rssGrowth: number;
  /** Server CPU (all threads), and of that its main thread. */
  cpuMs: number;
  mainThreadCpuMs: number;
  /** The bench client's own CPU. */
  clientCpuMs: number;
  /** CPU of the companion processes named at start/stop (the PostgreSQL backends serving the server), or null. */
  companionCpuMs: number | null;
  /** Busy CPU of every other process on the machine (other work competing for the cores), in cores (0…n). */
  otherCores: number;
  wallMs: number;
  samples: number;
};

/**
 * Watches one process over a measured phase: RSS sampled every `intervalMs` (and the kernel's own peak, VmHWM, reset
 * at the start through /proc/<pid>/clear_refs where allowed, so a spike between two samples is not missed), and the
 * CPU time used between start and stop.
 */
export class ProcWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly cpuStart: number;
  private readonly mainStart: number;
  private readonly clientStart = ownCpuMs();
  private readonly machineStart = machineBusyMs();
  private readonly wallStart = performance.now();
  private readonly hwmReset: boolean;
  private readonly companionStart: Map<number, number>;
  readonly rssBefore: number;
  private peak: number;
  private samples = 0;

  constructor(
    private readonly pid: number,
    intervalMs = 10,
    private readonly companions: readonly number[] | null = null,
  ) {
    this.companionStart = new Map((companions ?? []).map((p) => [p, cpuOrZero(p)]));
    this.rssBefore = rssBytes(pid);
    this.peak = this.rssBefore;
    this.hwmReset = resetPeak(pid);
    this.cpuStart = cpuMs(pid);
    this.mainStart = mainThreadCpuMs(pid);
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

  /** `companionsNow`: the companion processes alive now (new ones count from 0; gone ones are lost). */
  stop(companionsNow: readonly number[] | null = this.companions): ProcSample {
    clearInterval(this.timer);
    this.sample();
    if (this.hwmReset) this.peak = Math.max(this.peak, statusKb(this.pid, 'VmHWM') * 1024);
    const wallMs = performance.now() - this.wallStart;
    const server = cpuMs(this.pid) - this.cpuStart;
    const client = ownCpuMs() - this.clientStart;
    const machine = machineBusyMs() - this.machineStart;
    const companion =
      companionsNow === null ? null : companionsNow.reduce((sum, p) => sum + Math.max(0, cpuOrZero(p) - (this.companionStart.get(p) ?? 0)), 0);
    return {
      rssBefore: this.rssBefore,
      rssPeak: this.peak,
      rssGrowth: this.peak - this.rssBefore,
      cpuMs: server,
      mainThreadCpuMs: mainThreadCpuMs(this.pid) - this.mainStart,
      clientCpuMs: client,
      companionCpuMs: companion,
      otherCores: Math.max(0, machine - server - client - (companion ?? 0)) / wallMs,
      wallMs,
      samples: this.samples,
    };
  }
}

function cpuOrZero(pid: number): number {
  try {
    return cpuMs(pid);
  } catch {
    return 0;
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
