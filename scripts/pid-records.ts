import { readFileSync, rmSync, writeFileSync } from 'node:fs';

// Processes left by a start that was killed (SIGKILL, a closed terminal): the children run in their
// own process groups and outlive a killed `npm start`; their pids are recorded with their command
// lines, and the next start stops the ones still running those commands. (A PostgreSQL left running
// is handled by scripts/postgres.ts through its own postmaster.pid.)

type PidRecord = Record<string, { pid: number; cmdline: string }>;
/** The record of the `npm start` itself: while it lives, its children are not leftovers. */
const OWNER = 'start';

export class PidRecords {
  constructor(private readonly file: string) {}

  record(name: string, pid: number | undefined): void {
    if (!pid) return;
    const records = this.read();
    records[name] = { pid, cmdline: cmdlineOf(pid) };
    writeFileSync(this.file, JSON.stringify(records, null, 2));
  }

  /** Stops what an earlier start left running, then records this start as the owner. */
  async stopLeftovers(say: (line: string) => void): Promise<void> {
    const records = this.read();
    const owner = records[OWNER];
    if (owner && owner.pid !== process.pid && cmdlineOf(owner.pid) === owner.cmdline) {
      throw new Error(`Greenlane is already running from this folder (pid ${owner.pid}): stop it first`);
    }
    delete records[OWNER];
    // Newest first, as a normal shutdown would: api, worker, then Temporal. (PostgreSQL's record is for
    // people and tests; scripts/postgres.ts stops a leftover postmaster through its postmaster.pid.)
    for (const [name, { pid, cmdline }] of Object.entries(records).reverse()) {
      if (name === 'postgres' || !cmdline || cmdlineOf(pid) !== cmdline) continue;
      say(`stopping ${name} (pid ${pid}) left running by an earlier npm start`);
      killQuietly(pid, 'SIGTERM');
      for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100)
        await new Promise((r) => setTimeout(r, 100));
      if (isAlive(pid)) killQuietly(-pid, 'SIGKILL');
    }
    writeFileSync(this.file, '{}');
    this.record(OWNER, process.pid);
  }

  /** On a clean stop: the records go, unless another start has taken them over. */
  removeIfMine(): void {
    if (this.read()[OWNER]?.pid === process.pid) rmSync(this.file, { force: true });
  }

  private read(): PidRecord {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as PidRecord;
    } catch {
      return {};
    }
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return cmdlineOf(pid) !== ''; // a zombie has no command line
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
