import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Load generation and measurement for benchmarks that drive real servers: a concurrency limit, latency
 * recording with percentiles, and the CPU and memory of processes (our own children, the Temporal
 * dev server, a PostgreSQL cluster) read from /proc, so each can be measured over one phase of a run.
 */

// --- Latency ----------------------------------------------------------------------------------------

export type LatencySummary = {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
};

/** Every sample kept (a run records thousands, not millions), so percentiles are exact. */
export class LatencyRecorder {
  private readonly samples: number[] = [];

  record(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  /** One recorder holding every sample of `recorders`. */
  static merge(...recorders: LatencyRecorder[]): LatencyRecorder {
    const merged = new LatencyRecorder();
    for (const r of recorders) merged.samples.push(...r.samples);
    return merged;
  }

  summary(): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const sum = sorted.reduce((s, x) => s + x, 0);
    return {
      count: sorted.length,
      meanMs: round(sorted.length === 0 ? 0 : sum / sorted.length),
      p50Ms: round(percentile(sorted, 50)),
      p95Ms: round(percentile(sorted, 95)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? 0),
    };
  }
}

/** Nearest-rank percentile of ascending `sorted` (0 when empty): the smallest sample ≥ p% of them. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// --- Concurrency --------------------------------------------------------------------------------------

/**
 * At most `concurrency` calls of `run` in flight; the rest wait in arrival order. A benchmark starts
 * every piece of work it has at once and lets the limit pace them, so the servers see exactly
 * `concurrency` requests whenever there is that much work, and the latency of a call (timed inside
 * `run`) does not include its wait for a slot.
 */
export class Limiter {
  private active = 0;
  private peak = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency ${concurrency}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    else this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next in line (active stays the same), or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  /** Most calls that were ever in flight at once. */
  get peakInFlight(): number {
    return this.peak;
  }
}

/** `fn` timed with the monotonic clock, in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** What a failed call says, for a benchmark's list of errors. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// --- Processes ------------------------------------------------------------------------------------------

/** CPU seconds (user + system) and resident memory of a process, or of a process tree. */
export type ProcessUsage = { cpuSeconds: number; rssBytes: number };

let clockTicks: number | undefined;
/** USER_HZ: /proc/<pid>/stat counts CPU time in these (100 on every Linux we run on). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

type Stat = { ppid: number; utime: number; stime: number; cutime: number; cstime: number };

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    return {
      ppid: Number(fields[1]),
      utime: Number(fields[11]),
      stime: Number(fields[12]),
      cutime: Number(fields[13]),
      cstime: Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

function readRss(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** One process: its own CPU (not its children's) and its resident set; undefined once it is gone. */
export function processUsage(pid: number): ProcessUsage | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  return { cpuSeconds: (stat.utime + stat.stime) / ticksPerSecond(), rssBytes: readRss(pid) };
}

/** The most a process has held resident since it started (VmHWM). */
export function peakRss(pid: number): number {
  return readRss(pid, 'VmHWM');
}

/**
 * A server and its direct children, e.g. a PostgreSQL postmaster and its backends. CPU counts the
 * children that have exited too (cutime/cstime, once the parent reaped them), so a backend that
 * closes mid-phase does not take its CPU time with it. RSS is summed, so shared buffers count once
 * per process that touched them: an upper bound.
 */
export function processTreeUsage(rootPid: number): ProcessUsage | undefined {
  const root = readStat(rootPid);
  if (!root) return undefined;
  let ticks = root.utime + root.stime + root.cutime + root.cstime;
  let rss = readRss(rootPid);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (stat?.ppid !== rootPid) continue;
    ticks += stat.utime + stat.stime;
    rss += readRss(pid);
  }
  return { cpuSeconds: ticks / ticksPerSecond(), rssBytes: rss };
}

/**
 * The whole machine from /proc/stat, as if it were one process: CPU seconds every process used
 * (user, nice, system, irq, softirq). Minus the processes a benchmark measures, it is what everything
 * else took: another job on a shared machine shows up here rather than as a mysterious slowdown.
 */
export function machineUsage(): ProcessUsage | undefined {
  return cpuLine()?.busy;
}

/** Time the hypervisor gave to other machines while ours wanted the CPU (steal), as a process. */
export function stolenUsage(): ProcessUsage | undefined {
  return cpuLine()?.steal;
}

function cpuLine(): { busy: ProcessUsage; steal: ProcessUsage } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
    return {
      busy: { cpuSeconds: busy / ticksPerSecond(), rssBytes: 0 },
      steal: { cpuSeconds: (steal ?? 0) / ticksPerSecond(), rssBytes: 0 },
    };
  } catch {
    return undefined;
  }
}

/** This process, measured the same way. */
export function selfUsage(): ProcessUsage {
  const { user, system } = process.cpuUsage();
  return { cpuSeconds: (user + system) / 1e6, rssBytes: process.memoryUsage().rss };
}

export type PhaseUsage = {
  /** CPU seconds used during the phase. */
  cpuSeconds: number;
  /** Largest resident set seen during the phase (sampled), in MiB. */
  peakRssMiB: number;
  /** Resident set at the end of the phase, in MiB. */
  endRssMiB: number;
};

/** Several phases as one: CPU seconds added up, the largest peak, the last phase's end. */
export function mergeUsage(phases: readonly Record<string, PhaseUsage>[]): Record<string, PhaseUsage> {
  const merged: Record<string, PhaseUsage> = {};
  for (const phase of phases) {
    for (const [name, u] of Object.entries(phase)) {
      const m = merged[name];
      merged[name] = m
        ? {
            cpuSeconds: round(m.cpuSeconds + u.cpuSeconds),
            peakRssMiB: Math.max(m.peakRssMiB, u.peakRssMiB),
            endRssMiB: u.endRssMiB,
          }
        : { ...u };
    }
  }
  return merged;
}

/**
 * Measures named processes over one phase: CPU seconds from start to stop, and the resident set
 * sampled every `intervalMs` for its peak. `read` returns undefined for a process that has gone.
 */
export function measurePhase(
  processes: Record<string, () => ProcessUsage | undefined>,
  intervalMs = 250,
): { stop(): Record<string, PhaseUsage> } {
  const start = new Map<string, ProcessUsage>();
  const peak = new Map<string, number>();
  const sample = () => {
    for (const [name, read] of Object.entries(processes)) {
      const u = read();
      if (u) peak.set(name, Math.max(peak.get(name) ?? 0, u.rssBytes));
    }
  };
  for (const [name, read] of Object.entries(processes)) {
    const u = read();
    if (u) start.set(name, u);
  }
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const result: Record<string, PhaseUsage> = {};
      for (const [name, read] of Object.entries(processes)) {
        const end = read();
        const begin = start.get(name);
        if (!end || !begin) continue;
        result[name] = {
          cpuSeconds: round(end.cpuSeconds - begin.cpuSeconds),
          peakRssMiB: round((peak.get(name) ?? end.rssBytes) / 2 ** 20, 1),
          endRssMiB: round(end.rssBytes / 2 ** 20, 1),
        };
      }
      return result;
    },
  };
}

// --- CPU profile of this process ------------------------------------------------------------------------

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
};
type CpuProfile = { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] };

/**
 * Samples this process's CPU with the V8 profiler (node:inspector) from now until `stop()`, which
 * returns self time per bucket: an npm package (`pg`, `hono`, `@temporalio/client`), a folder of
 * ours (`api/`, `db/`, `domain/`, `bench/`), Node itself, or the garbage collector. Idle is left out.
 */
export async function profileCpu(): Promise<{ stop(): Promise<{ bucket: string; ms: number }[]> }> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
      session.disconnect();
      return selfTimeByBucket(profile);
    },
  };
}

function selfTimeByBucket(profile: CpuProfile): { bucket: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // A sample's time is the gap to the next one (timeDeltas[i + 1]).
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (!node) continue;
    const bucket = bucketOf(node.callFrame);
    if (bucket === '(idle)') continue;
    ms.set(bucket, (ms.get(bucket) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
  }
  return [...ms.entries()].map(([bucket, t]) => ({ bucket, ms: Math.round(t) })).sort((a, b) => b.ms - a.ms);
}

function bucketOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (!url) return functionName.startsWith('(') ? functionName : '(node native)';
  // Node's fetch is undici, bundled into Node itself.
  if (url.includes('internal/deps/undici')) return 'undici (fetch)';
  if (url.startsWith('node:')) return 'node:internal';
  const ours = /\/(api|db|domain|bench|workflows|activities|scripts)\//.exec(url);
  return ours ? `${ours[1]}/` : url;
}
