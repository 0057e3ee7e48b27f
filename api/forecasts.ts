import { loadRecord, loadRevisions } from '../db/performance';
import { chinaDateOf, type LocalDate } from '../domain/calendar';
import {
  type Forecast,
  type ForecastRecord,
  forecastFromRecord,
  type PerformanceMemo,
} from '../domain/forecast';
import type { AppDeps } from './app';
import { queryProject } from './temporal';

/**
 * The board's forecasts, kept per API process so that a board of hundreds of projects neither asks
 * every workflow for its state nor runs every Monte Carlo on each view, and never waits long on a
 * workflow that does not answer (its worker down, Temporal restarting).
 *
 * A project's forecast holds while its read-model revision and the China day are those it was made at:
 * a decision, a problem or a lifecycle step moves the revision, and the day moves day 0. It learns from
 * the record (every department's decided applications) as read at most RECORD_MAX_AGE_MS ago; a
 * forecast made from an older read is still shown while a fresh one is made in the background, because
 * other projects' decisions move a department's pace by little. A workflow that does not answer within
 * QUERY_DEADLINE_MS leaves its project without a forecast, asked again after RETRY_UNANSWERED_MS or once
 * its revision moves. A view waits at most VIEW_BUDGET_MS; what is not ready by then shows as not yet
 * made and is ready for the next view.
 */

const RECORD_MAX_AGE_MS = 5 * 60_000;
const RETRY_UNANSWERED_MS = 60_000;
const QUERY_DEADLINE_MS = 5_000;
const VIEW_BUDGET_MS = 5_000;
const CONCURRENCY = 8;
/** A bound on what is kept: more projects than a centre runs, each a few kilobytes. */
const MAX_ENTRIES = 10_000;

type Entry = {
  revision: number;
  day: LocalDate;
  /** When the record it learned from was read; null for a workflow that did not answer. */
  recordAt: number | null;
  forecast: Forecast | null;
  madeAt: number;
};

/** How a project's live state is asked for (api/temporal.ts `queryProject`). */
export type Ask = typeof queryProject;

type RecordRead = { at: number; record: ForecastRecord; memo: PerformanceMemo };

export class BoardForecasts {
  private readonly entries = new Map<string, Entry>();
  private readonly making = new Map<string, Promise<void>>();
  private record: Promise<RecordRead> | null = null;
  private recordAt = Number.NEGATIVE_INFINITY;

  private readonly clock: () => number;
  private readonly ask: Ask;

  constructor(
    private readonly deps: Pick<AppDeps, 'db' | 'temporal' | 'config'>,
    private readonly samples: number,
    opts: { clock?: () => number; ask?: Ask } = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.ask = opts.ask ?? queryProject;
  }

  /** The forecasts ready for `codes` within the view's budget (a code without one is left out). */
  async forecasts(codes: readonly string[]): Promise<Map<string, Forecast>> {
    const now = this.clock();
    const day = chinaDateOf(now);
    const revisions = await loadRevisions(this.deps.db, codes);
    const record = await this.currentRecord(now);
    const wanted: { code: string; revision: number; updatedAt: number; wait: boolean }[] = [];
    for (const [code, { revision, updatedAt }] of revisions) {
      const e = this.entries.get(code);
      const holds = e !== undefined && e.revision === revision && e.day === day;
      if (holds && e.recordAt === null && now - e.madeAt < RETRY_UNANSWERED_MS) continue;
      if (holds && e.recordAt === record.at) continue;
      // Waited for: a project new to this view, or moved. Not: a forecast made from an older read of
      // the record (still shown), or a workflow silent at this revision (asked again unawaited).
      wanted.push({ code, revision, updatedAt, wait: !holds });
    }
    // The projects that moved last first: they are the ones someone is looking at.
    wanted.sort((a, b) => b.updatedAt - a.updatedAt);
    const queue = [...wanted];
    const runner = async () => {
      for (let w = queue.shift(); w !== undefined; w = queue.shift()) {
        await this.make(w.code, w.revision, day, record);
      }
    };
    const all = Promise.all(Array.from({ length: CONCURRENCY }, runner));
    if (wanted.some((w) => w.wait)) await withBudget(all, VIEW_BUDGET_MS);

    const result = new Map<string, Forecast>();
    for (const [code, { revision }] of revisions) {
      const e = this.entries.get(code);
      if (e?.forecast && e.revision === revision && e.day === day) result.set(code, e.forecast);
    }
    return result;
  }

  /** Make one project's forecast for a revision and day, once however many views ask for it at once. */
  private make(code: string, revision: number, day: LocalDate, record: RecordRead): Promise<void> {
    const key = `${code}|${revision}|${day}`;
    const running = this.making.get(key);
    if (running) return running;
    const temporal = { client: this.deps.temporal.client, taskQueue: this.deps.config.temporal.taskQueue };
    const made = this.ask(temporal, code, QUERY_DEADLINE_MS)
      .then(
        (view) =>
          forecastFromRecord(record.record, view.state, {
            now: this.clock(),
            samples: this.samples,
            memo: record.memo,
          }).forecast,
      )
      .then(
        (forecast) => this.keep(code, { revision, day, recordAt: record.at, forecast, madeAt: this.clock() }),
        () => {
          // Not answered: keep a forecast this revision already has, else remember the silence.
          const had = this.entries.get(code);
          if (had?.forecast && had.revision === revision && had.day === day) return;
          this.keep(code, { revision, day, recordAt: null, forecast: null, madeAt: this.clock() });
        },
      )
      .finally(() => this.making.delete(key));
    this.making.set(key, made);
    return made;
  }

  private keep(code: string, entry: Entry): void {
    // A slow answer about an older revision or day never replaces what a later one left.
    const kept = this.entries.get(code);
    if (kept && (kept.revision > entry.revision || kept.day > entry.day)) return;
    this.entries.delete(code); // re-inserted last: the oldest entries go first when the bound is reached
    this.entries.set(code, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The record as read at most RECORD_MAX_AGE_MS ago; one read however many views ask at once. */
  private currentRecord(now: number): Promise<RecordRead> {
    if (this.record === null || now - this.recordAt >= RECORD_MAX_AGE_MS) {
      this.recordAt = now;
      const reading = loadRecord(this.deps.db).then((record) => ({ at: now, record, memo: new Map() }));
      // A failed read is not kept: the next view reads again.
      reading.catch(() => {
        if (this.record === reading) this.record = null;
      });
      this.record = reading;
    }
    return this.record;
  }
}

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
function withBudget(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    budget,
  ]).finally(() => clearTimeout(timer));
}
