import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium } from 'playwright-core';
import { ProblemError, ProblemType } from './http-problem';

/**
 * PDFs printed from the dashboard's own pages by the Chromium the project already uses (Debian's
 * `chromium`, driven by playwright-core; scripts/setup.sh installs it). Found on PATH as setup finds it
 * (`command -v chromium`); where there is none the request is answered 503 pdf-unavailable, and the
 * other formats still work. One browser per document, closed after it: documents are rare. One
 * document is printed at a time; a few more wait their turn, and beyond them a request is answered 429
 * with Retry-After, so a burst of PDF requests cannot start a browser each.
 */

const NAMES = ['chromium', 'chromium-browser'];

/** The Chromium executable on PATH, or null. */
export function findChromium(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export const pdfUnavailable = () =>
  new ProblemError(
    {
      type: ProblemType.pdfUnavailable,
      title: 'PDF unavailable',
      status: 503,
      detail:
        'No Chromium is installed where the API runs, so no PDF can be printed; the JSON, .docx and the dashboard page are available (install Debian’s chromium package to enable PDFs)',
    },
    { headers: { 'Retry-After': '3600' } },
  );

const MAX_WAITING = 4;
let waiting = 0;
let queue: Promise<unknown> = Promise.resolve();

export const pdfBusy = () =>
  new ProblemError(
    {
      type: ProblemType.tooManyRequests,
      title: 'Too many PDFs at once',
      status: 429,
      detail: `${MAX_WAITING} PDFs are already being printed or waiting; retry in a few seconds`,
    },
    { headers: { 'Retry-After': '5' } },
  );

/** The HTML document printed as an A4 PDF, one at a time (see above). */
export async function htmlToPdf(document: string, css: string): Promise<Buffer> {
  if (!findChromium()) throw pdfUnavailable();
  if (waiting >= MAX_WAITING) throw pdfBusy();
  waiting++;
  const turn = queue.then(() => print(document, css));
  queue = turn.catch(() => undefined);
  try {
    return await turn;
  } finally {
    waiting--;
  }
}

/**
 * The HTML document printed as an A4 PDF. The page as served links its style sheet; here `css` is put in
 * its head instead, and the page loads nothing from the network and runs no script.
 */
async function print(document: string, css: string): Promise<Buffer> {
  const executablePath = findChromium();
  if (!executablePath) throw pdfUnavailable();
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ locale: 'zh-CN', javaScriptEnabled: false });
    await page.route('**/*', (route) => route.abort());
    const styled = document.replace(
      '<link rel="stylesheet" href="/ui/app.css">',
      () => `<style>${css}</style>`,
    );
    await page.setContent(styled, { waitUntil: 'load' });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      margin: { top: '20mm', bottom: '20mm', left: '15mm', right: '15mm' },
    });
  } finally {
    await browser.close();
  }
}
