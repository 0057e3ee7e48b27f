/**
 * The backtest's calibration chart as SVG: for each forecast quantile (x), the share of actual permit
 * dates that came by it (y). A calibrated forecast lies on the diagonal; below it, outcomes came later
 * than forecast (too optimistic), above it, earlier (too cautious).
 */
export function calibrationSvg(points: readonly { nominal: number; observed: number }[]): string {
  const [size, pad] = [360, 48];
  const x = (v: number) => pad + v * size;
  const y = (v: number) => pad + (1 - v) * size;
  const grid = [0, 0.2, 0.4, 0.6, 0.8, 1].flatMap((v) => [
    `<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#e9ecef"/>`,
    `<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#e9ecef"/>`,
    `<text x="${x(v)}" y="${y(0) + 16}" font-size="11" text-anchor="middle">${v}</text>`,
    `<text x="${x(0) - 8}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text>`,
  ]);
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.nominal).toFixed(1)},${y(p.observed).toFixed(1)}`)
    .join(' ');
  const dots = points.map(
    (p) =>
      `<circle cx="${x(p.nominal).toFixed(1)}" cy="${y(p.observed).toFixed(1)}" r="3.5" fill="#1c7ed6"><title>P${Math.round(p.nominal * 100)}: ${(p.observed * 100).toFixed(1)}%</title></circle>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 2 * pad}" height="${size + 2 * pad + 10}" font-family="sans-serif">
<text x="${pad}" y="20" font-size="14" font-weight="bold">Permit forecast calibration</text>
<text x="${pad}" y="36" font-size="11" fill="#495057">held-out projects forecast from their midpoints; diagonal: calibrated</text>
${grid.join('\n')}
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#adb5bd" stroke-dasharray="4 3"/>
<path d="${path}" fill="none" stroke="#1c7ed6" stroke-width="2"/>
${dots.join('\n')}
<text x="${x(0.5)}" y="${y(0) + 34}" font-size="12" text-anchor="middle">forecast quantile</text>
<text x="14" y="${y(0.5)}" font-size="12" transform="rotate(-90 14 ${y(0.5)})" text-anchor="middle">share of permits by then</text>
</svg>
`;
}
