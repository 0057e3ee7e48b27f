import { html, raw } from 'hono/html';
import type { Forecast } from '../../domain/forecast';
import { esc } from './svg';

/**
 * The permit forecast as server-side SVG: the share of samples issuing the construction permit on each
 * date (bars), with the P50/P80/P95 dates, the plan's answer from today, the registration's plan
 * (baseline) and the target start marked, so a reader sees at a glance how much of the mass lies past
 * the target.
 */

const DAY = 86_400_000;
const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / DAY;

type Marker = { key: string; date: string; label: string; colour: string; dash?: string };

export function forecastSvg(f: Forecast) {
  if (f.permit === null || f.permitDistribution.length === 0)
    return html`<p class="muted">计划中无施工许可事项，无法预测。</p>`;
  const markers: Marker[] = [
    { key: 'p50', date: f.permit.p50, label: 'P50', colour: '#1c7ed6' },
    { key: 'p80', date: f.permit.p80, label: 'P80', colour: '#1864ab' },
    { key: 'p95', date: f.permit.p95, label: 'P95', colour: '#0b3d6e' },
    ...(f.planPermit
      ? [{ key: 'plan', date: f.planPermit, label: '按承诺时限', colour: '#7b8794', dash: '2 2' }]
      : []),
    ...(f.baselinePermit
      ? [{ key: 'baseline', date: f.baselinePermit, label: '登记时计划', colour: '#2f9e44', dash: '6 3' }]
      : []),
    ...(f.targetStart
      ? [{ key: 'target', date: f.targetStart, label: '目标开工', colour: '#d62728', dash: '4 3' }]
      : []),
  ];
  const days = [...f.permitDistribution.map((d) => day(d.date)), ...markers.map((m) => day(m.date))];
  const first = Math.min(...days) - 3;
  const last = Math.max(...days) + 3;
  const [left, width, top, height] = [40, 820, 12 + markers.length * 14, 150];
  const x = (d: string) => left + ((day(d) - first) / (last - first)) * width;
  const barWidth = Math.max(1.5, (width / (last - first)) * 0.8);
  const maxShare = Math.max(...f.permitDistribution.map((d) => d.share));
  const parts: string[] = [
    `<line x1="${left}" y1="${top + height}" x2="${left + width}" y2="${top + height}" stroke="#7b8794"/>`,
  ];
  for (const d of f.permitDistribution) {
    const h = (d.share / maxShare) * height;
    parts.push(
      `<rect class="share" data-date="${d.date}" x="${(x(d.date) - barWidth / 2).toFixed(1)}" y="${(top + height - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="#a5d8ff"><title>${d.date}：${(d.share * 100).toFixed(1)}%</title></rect>`,
    );
  }
  markers.forEach((m, i) => {
    const mx = x(m.date).toFixed(1);
    // One label row per marker, so close dates never print over each other; near the right edge the
    // label ends at its line.
    const ly = 12 + i * 14;
    const anchor = x(m.date) > left + width * 0.75 ? 'end' : 'start';
    parts.push(
      `<g class="marker" data-marker="${m.key}" data-date="${m.date}">`,
      `<line x1="${mx}" y1="${ly + 3}" x2="${mx}" y2="${top + height}" stroke="${m.colour}"${m.dash ? ` stroke-dasharray="${m.dash}"` : ''}/>`,
      `<text x="${mx}" y="${ly}" font-size="11" fill="${m.colour}" text-anchor="${anchor}">${esc(m.label)} ${m.date}</text>`,
      '</g>',
    );
  });
  parts.push(
    `<text x="${left}" y="${top + height + 16}" font-size="11" fill="#7b8794">${esc(f.permitDistribution[0]!.date)}</text>`,
    `<text x="${left + width}" y="${top + height + 16}" font-size="11" fill="#7b8794" text-anchor="end">${esc(f.permitDistribution.at(-1)!.date)}</text>`,
  );
  return html`<svg xmlns="http://www.w3.org/2000/svg" id="forecast-chart" class="forecast" width="${left + width + 20}" height="${top + height + 24}" font-family="sans-serif">${raw(parts.join(''))}</svg>`;
}
