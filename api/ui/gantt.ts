import { html, raw } from 'hono/html';
import { itemStatusLabelZh, stageNameZh } from '../../domain/vocabulary';
import { esc } from './svg';

/**
 * A project's Gantt chart as server-side SVG: items grouped by stage, the planned bar (from the baseline
 * schedule) under the actual one (submission or acceptance to finish, or to today while open), the
 * critical path outlined, blocked items marked, a time axis with a tick at the start of every month, and
 * a line for today. Marks are drawn, not typed: a symbol from an emoji font (⛔) shows as a box where the
 * font is missing, so the page uses shapes and the CJK fonts its style sheet names.
 */
export type GanttRow = {
  code: string;
  nameZh: string;
  stage: number;
  department: string;
  status: string;
  plannedStart: string | null;
  plannedFinish: string | null;
  actualStart: string | null;
  actualFinish: string | null;
  dueDate: string | null;
  critical: boolean;
  blocked: boolean;
};

export type BarState = 'done-on-time' | 'done-late' | 'open' | 'overdue' | 'not-started';

const DAY = 86_400_000;
const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / DAY;

export function barState(r: GanttRow, today: string): BarState {
  if (!r.actualStart) return 'not-started';
  if (r.actualFinish) return r.dueDate && r.actualFinish > r.dueDate ? 'done-late' : 'done-on-time';
  return r.dueDate && today > r.dueDate ? 'overdue' : 'open';
}

const fill: Record<BarState, string> = {
  'done-on-time': '#2f9e44',
  'done-late': '#d62728',
  open: '#1c7ed6',
  overdue: '#d62728',
  'not-started': 'none',
};

export function ganttSvg(rows: GanttRow[], today: string) {
  const dates = rows.flatMap((r) => [
    r.plannedStart,
    r.plannedFinish,
    r.actualStart,
    r.actualFinish,
    r.dueDate,
  ]);
  const known = [...dates.filter((d): d is string => d !== null), today].map(day);
  const first = Math.min(...known) - 2;
  const last = Math.max(...known) + 2;
  const label = 300;
  const width = 900;
  const rowH = 22;
  const x = (d: string) => label + ((day(d) - first) / (last - first)) * width;
  const sorted = [...rows].sort(
    (a, b) => a.stage - b.stage || (a.plannedStart ?? '').localeCompare(b.plannedStart ?? ''),
  );
  const parts: string[] = [];
  const top = 34;
  let y = top;
  let stage = 0;
  for (const r of sorted) {
    if (r.stage !== stage) {
      stage = r.stage;
      parts.push(
        `<text x="4" y="${y + 15}" font-weight="bold" fill="#0b6e4f">阶段${stage} ${stageNameZh[stage] ?? ''}</text>`,
      );
      y += rowH;
    }
    const state = barState(r, today);
    parts.push(
      `<g class="row" data-item="${esc(r.code)}" data-state="${state}"${r.critical ? ' data-critical="true"' : ''}>`,
      // The tooltip: the status in Chinese and the China due date (承诺时限).
      `<title>${esc(r.nameZh)} · ${esc(itemStatusLabelZh(r.status))}${r.dueDate ? ` · 承诺时限 ${r.dueDate}` : ''}</title>`,
      r.blocked ? blockedMark(20, y + 11) : '',
      `<text x="${r.blocked ? 30 : 14}" y="${y + 15}" font-size="12">${esc(r.nameZh)} <tspan fill="#7b8794">${esc(r.department)}</tspan></text>`,
    );
    if (r.plannedStart && r.plannedFinish) {
      const px = x(r.plannedStart);
      const pw = Math.max(2, x(r.plannedFinish) - px);
      parts.push(
        `<rect class="planned" x="${px.toFixed(1)}" y="${y + 3}" width="${pw.toFixed(1)}" height="7" fill="#c3cdd7"${
          r.critical ? ' stroke="#d62728" stroke-width="1.5"' : ''
        }/>`,
      );
    }
    if (r.actualStart) {
      const ax = x(r.actualStart);
      const aw = Math.max(2, x(r.actualFinish ?? today) - ax);
      parts.push(
        `<rect class="actual" x="${ax.toFixed(1)}" y="${y + 11}" width="${aw.toFixed(1)}" height="8" fill="${fill[state]}"/>`,
      );
    }
    parts.push('</g>');
    y += rowH;
  }
  const axis = monthTicks(first, last).map((m) => {
    const mx = x(m).toFixed(1);
    // January, and the first tick, carry the year.
    const text =
      m.endsWith('-01-01') || m === monthTicks(first, last)[0]
        ? `${m.slice(0, 4)}年${Number(m.slice(5, 7))}月`
        : `${Number(m.slice(5, 7))}月`;
    return `<g class="month" data-month="${m.slice(0, 7)}"><line x1="${mx}" y1="16" x2="${mx}" y2="${y}" stroke="#e4e7eb"/><text x="${mx}" y="12" font-size="11" fill="#52606d" text-anchor="middle">${text}</text></g>`;
  });
  const tx = x(today).toFixed(1);
  const todayLine = `<g class="today" data-date="${today}"><line x1="${tx}" y1="18" x2="${tx}" y2="${y}" stroke="#f08c00" stroke-dasharray="4 3"/><text x="${tx}" y="29" font-size="11" fill="#f08c00" text-anchor="middle">今天 ${today}</text></g>`;
  const height = y + 8;
  // The axis under the rows, the today line over them.
  const body = `<g class="axis">${axis.join('')}</g>${parts.join('')}${todayLine}`;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="${label + width + 20}" height="${height}" font-family="${FONTS}">${raw(body)}</svg>`;
}

/** The fonts the dashboard's style sheet names (api/ui/layout.ts): CJK text and the marks' digits. */
const FONTS = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/** The first day of every month after `first` and up to `last` (days since the epoch), as dates. */
export function monthTicks(first: number, last: number): string[] {
  const ticks: string[] = [];
  const d = new Date(first * DAY);
  let year = d.getUTCFullYear();
  let month = d.getUTCMonth() + 1; // the month after the first day's
  for (;;) {
    if (month > 11) {
      month = 0;
      year += 1;
    }
    const at = Date.UTC(year, month, 1) / DAY;
    if (at > last) return ticks;
    ticks.push(new Date(at * DAY).toISOString().slice(0, 10));
    month += 1;
  }
}

/** A blocked item's mark: a red disc with a white bar (a no-entry sign), drawn rather than typed. */
export function blockedMark(cx: number, cy: number): string {
  return `<g class="blocked-mark"><circle cx="${cx}" cy="${cy}" r="5.5" fill="#d62728"/><rect x="${cx - 3.5}" y="${cy - 1}" width="7" height="2" fill="#fff"/></g>`;
}
