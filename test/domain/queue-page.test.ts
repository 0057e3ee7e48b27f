import { describe, expect, it } from 'vitest';
import { QUEUE_PAGE_SIZE, queuePage, queuePageItems, queuePages } from '../../api/ui/queue';
import type { QueueItem } from '../../db/project-lists';

/**
 * A department's queue page draws one page of its items at a time (the forms on it ask each project's
 * workflow for its live state): the figures at the top count the whole queue, the pager moves through it.
 */

const session = {
  principal: { role: 'department', department: 'FGW', keyId: 'k', name: 'FGW clerk' },
  csrfToken: 'csrf',
} as never;

function items(n: number): QueueItem[] {
  return Array.from({ length: n }, (_, i) => ({
    projectCode: `Q-${String(i + 1).padStart(3, '0')}`,
    projectName: `项目${i + 1}`,
    item: 'PROPOSAL',
    nameZh: '项目建议书审批',
    status: 'accepted',
    submittedAt: '2026-12-01T02:00:00.000Z',
    acceptedAt: '2026-12-01T03:00:00.000Z',
    dueAt: i < 7 ? '2026-12-02T16:00:00.000Z' : '2026-12-30T16:00:00.000Z',
    dueDate: (i < 7 ? '2026-12-03' : '2026-12-31') as never,
    acceptBy: null,
    acceptByDate: null,
    provisional: false,
    rung: 0,
    returns: 0,
  }));
}

const render = (all: QueueItem[], pageNo: number, project?: string) =>
  String(
    queuePage(session, {
      department: 'FGW',
      dept: undefined,
      items: all,
      ...queuePageItems(all, pageNo),
      ...(project ? { project } : {}),
      points: 3,
      forms: new Map(),
      clerk: true,
      now: Date.parse('2026-12-07T00:00:00Z'),
    }),
  );
const rows = (page: string) =>
  [...page.matchAll(/<tr data-item="PROPOSAL" data-project="([^"]+)"/g)].map((m) => m[1]);

describe('the queue page, a page at a time', () => {
  it('splits a queue into pages of 50, clamping a page past the last', () => {
    expect(QUEUE_PAGE_SIZE).toBe(50);
    expect([queuePages(0), queuePages(50), queuePages(51), queuePages(120)]).toEqual([1, 1, 2, 3]);
    const all = items(120);
    expect(queuePageItems(all, 2).shown.map((i) => i.projectCode)).toEqual(
      all.slice(50, 100).map((i) => i.projectCode),
    );
    expect(queuePageItems(all, 9)).toMatchObject({ pageNo: 3 });
    expect(queuePageItems(all, 9).shown).toHaveLength(20);
    expect(queuePageItems([], 4)).toEqual({ pageNo: 1, shown: [] });
  });

  it('draws the page asked for, counts the whole queue, and links the pages either side', () => {
    const page = render(items(120), 2);
    expect(rows(page)).toEqual(
      items(120)
        .slice(50, 100)
        .map((i) => i.projectCode),
    );
    expect(page).toContain('在办<b id="kpi-queue">120</b>');
    expect(page).toContain('超期<b id="kpi-overdue">7</b>');
    expect(page).toContain('第 2 / 3 页（第 51–100 项，共 120 项，按时限先后）');
    expect(page).toContain('<a href="/ui/departments/FGW?page=1" data-page="1">上一页</a>');
    expect(page).toContain('<a href="/ui/departments/FGW?page=3" data-page="3">下一页</a>');
    // The last page has no next page.
    const last = render(items(120), 3);
    expect(rows(last)).toHaveLength(20);
    expect(last).toContain('<span class="muted">下一页</span>');
  });

  it('has no pager for a queue that fits one page, and keeps a project filter in its links', () => {
    expect(render(items(50), 1)).not.toContain('data-pager');
    const filtered = render(items(60), 2, 'Q-001');
    expect(filtered).toContain('仅显示项目 Q-001 的事项。');
    expect(filtered).toContain('href="/ui/departments/FGW?page=1&amp;project=Q-001"');
  });
});
