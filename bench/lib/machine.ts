import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { round } from './load';

/** The machine a benchmark ran on, as its result files record it. */
export type Machine = ReturnType<typeof machine>;

export function machine(loadBefore: number) {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: release(),
    /** The machine is shared: its 1-minute load before the run says how much else was running. */
    loadBefore: round(loadBefore, 2),
  };
}

/** `Machine: 2 cores (…), 7.8 GiB, Node v22…, Linux 6…`: the start of a report's machine line. */
export function describeMachine(m: Machine): string {
  return `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}`;
}
