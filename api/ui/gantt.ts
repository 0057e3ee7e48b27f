import { html, raw } from 'hono/html';
import { itemStatusLabelZh, stageNameZh } from '../../domain/vocabulary';
import { esc } from './svg';

/**
 * A project's Gantt chart as server-side SVG: items grouped by stage, the planned bar (from the baseline
 * schedule) under the actual one (submission or acceptance to finish, or to today while open), the
 * critical path outlined, blocked items marked, and a line for today.
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
  let y = 24;
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
      `<text x="14" y="${y + 15}" font-size="12">${r.blocked ? '⛔ ' : ''}${esc(r.nameZh)} <tspan fill="#7b8794">${esc(r.department)}</tspan></text>`,
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
  const tx = x(today);
  parts.push(
    `<line x1="${tx.toFixed(1)}" y1="16" x2="${tx.toFixed(1)}" y2="${y}" stroke="#f08c00" stroke-dasharray="4 3"/>`,
  );
  parts.push(`<text x="${(tx + 3).toFixed(1)}" y="12" font-size="11" fill="#f08c00">今天 ${today}</text>`);
  const height = y + 8;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="${label + width + 20}" height="${height}" font-family="sans-serif">${raw(parts.join(''))}</svg>`;
}
