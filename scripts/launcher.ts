import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { PidRecords } from './pid-records';
import { type SupervisedChild, type SuperviseOptions, supervise } from './supervisor';

/** Something running that must be stopped, newest first on shutdown. */
export type Running = { name: string; stop(): Promise<void> };

/**
 * What `npm start` and `npm run start:cluster` share: their environment read once through zod, a data
 * folder with the pid records of what they started, supervision that gives up by stopping everything,
 * and one shutdown — on Ctrl-C, SIGTERM or SIGHUP, on too many restarts, or when start-up fails — that
 * stops what is running newest first and exits. Later calls to shutdown (a second Ctrl-C, a dying
 * child) are ignored.
 */
export class Launcher {
  readonly running: Running[] = [];
  /** Aborted when shutting down: whatever start-up still waits for stops waiting, and nothing restarts. */
  readonly stopping = new AbortController();
  /** What is being started: a shutdown waits for it, to stop it in order. */
  starting: Promise<unknown> = Promise.resolve();
  private pids: PidRecords | undefined;
  private down = false;

  constructor(private readonly tag: string) {}

  get shuttingDown(): boolean {
    return this.down;
  }

  readonly say = (line: string): void => console.log(`[${this.tag}] ${line}`);

  /** The environment as `schema` reads it, or an error naming every bad variable. */
  static env<S extends z.ZodType>(schema: S): z.infer<S> {
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new Error(`invalid environment: ${issues.join('; ')}`);
    }
    return parsed.data;
  }

  /**
   * Takes over the data folder: creates it (readable by the `postgres` OS user PostgreSQL runs as when
   * this runs as root), stops what a previous run left behind, and listens for the stop signals.
   */
  async claim(dataDir: string, pidFile: string): Promise<void> {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => void this.shutdown(0, `${signal} received`));
    }
    mkdirSync(dataDir, { recursive: true });
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
    this.pids = new PidRecords(join(dataDir, pidFile));
    await this.pids.stopLeftovers(this.say);
  }

  /** Supervises a child; too many restarts stop everything. `onChange` runs after its pid is recorded. */
  supervise(
    options: Pick<SuperviseOptions, 'name' | 'start' | 'hint'> & { onChange?: (c: SupervisedChild) => void },
  ): Promise<SupervisedChild> {
    return supervise({
      ...options,
      signal: this.stopping.signal,
      log: this.say,
      onGiveUp: (reason) => {
        this.say(reason);
        void this.shutdown(1, `too many restarts of ${options.name}`);
      },
      onChange: (child) => {
        this.pids?.record(child.name, child.pid);
        options.onChange?.(child);
      },
    });
  }

  /** Runs start-up; if it fails, says why and stops what it started. */
  run(main: () => Promise<void>): void {
    main().catch((error: unknown) => {
      console.error(`[${this.tag}] ${error instanceof Error ? error.message : String(error)}`);
      void this.shutdown(1, 'start-up failed');
    });
  }

  async shutdown(code: number, reason: string): Promise<void> {
    if (this.down) return;
    this.down = true;
    this.stopping.abort();
    this.say(`${reason}: stopping`);
    await this.starting.catch(() => undefined);
    for (const piece of [...this.running].reverse()) {
      this.say(`stopping ${piece.name}`);
      try {
        await piece.stop();
      } catch (error) {
        this.say(`could not stop ${piece.name}: ${error instanceof Error ? error.message : String(error)}`);
        code = 1;
      }
    }
    this.pids?.removeIfMine();
    this.say('stopped');
    process.exit(code);
  }
}

/**
 * The workers run as versions of the `greenlane` Worker Deployment and make themselves current: after
 * a `git pull` and a restart, every project moves to the new build at its next task.
 */
export function deploymentEnv(): Record<string, string> {
  return {
    TEMPORAL_DEPLOYMENT: process.env.TEMPORAL_DEPLOYMENT ?? 'greenlane',
    TEMPORAL_PROMOTE: process.env.TEMPORAL_PROMOTE ?? 'on-start',
  };
}
