import { describe, expect, it } from 'vitest';
import type { EscalationEvent } from '../../domain/project';
import { type Directory, planDeliveries, type Route } from '../../notify/recipients';
import { person } from './notify-fixtures';

/** Who an escalation reaches and on which channel: the pure half of recipient resolution. */

function directory(routes: Route[], over: Partial<Directory> = {}): Directory {
  return {
    project: { code: 'P1', name: '市第二人民医院新院区', secretary: 'sec', leader: 'lead' },
    people: new Map(
      [
        person('sec', '王敏', { mobile: '139', email: 'wang@x.example', wecom_user_id: 'WangMin' }),
        person('lead', '李建国', { mobile: '138', feishu_open_id: 'ou_li', email: 'li@x.example' }),
        person('head', '赵局长', { mobile: '137', wecom_user_id: 'Zhao' }),
        person('hand', '钱经办', { mobile: '136' }),
        person('owner', '孙工', { mobile: '135' }),
      ].map((p) => [p.id, p]),
    ),
    contacts: [
      { department: 'ZJ', duty: 'head', personId: 'head' },
      { department: 'ZJ', duty: 'handler', personId: 'hand' },
      { department: 'FGW', duty: 'head', personId: 'sec' },
    ],
    problemOwners: new Map([['Q1', 'owner']]),
    routes,
    departmentNames: new Map([['ZJ', '住房和城乡建设局']]),
    ...over,
  };
}

function event(over: Partial<EscalationEvent> = {}): EscalationEvent {
  return {
    key: 'P1/item/SGXK/0/red',
    subjectKind: 'item',
    subjectId: 'SGXK',
    rung: 'red',
    level: 3,
    department: 'ZJ',
    notify: ['leader', 'departmentHead', 'secretary'],
    dueAt: '2027-03-04T16:00:00.000Z',
    rungAt: '2027-03-08T16:00:00.000Z',
    firedAt: '2027-03-09T01:00:00.000Z',
    points: 4,
    title: '【红牌督办】市第二人民医院新院区 · 施工许可',
    body: '……',
    ...over,
  };
}

const route = (
  ownerKind: Route['ownerKind'],
  ownerId: string,
  channel: Route['channel'],
  target: string,
) => ({
  ownerKind,
  ownerId,
  channel,
  target,
});

describe('planDeliveries', () => {
  it('gives each person their own routes, one message per (channel, target), mentioning everyone routed there', () => {
    const deliveries = planDeliveries(
      event(),
      directory([
        route('person', 'lead', 'dingtalk', 'leaders'),
        route('person', 'sec', 'dingtalk', 'leaders'),
        route('person', 'lead', 'email', 'smtp'),
        route('person', 'hand', 'dingtalk', 'leaders'), // a handler is not told of a red card
      ]),
    );
    expect(deliveries.map((d) => `${d.channel}:${d.target}`)).toEqual(['dingtalk:leaders', 'email:smtp']);
    const ding = deliveries[0]!.message;
    expect(ding.recipients).toEqual([
      { personId: 'lead', name: '李建国', roles: ['leader'], mobile: '138' },
      { personId: 'sec', name: '王敏', roles: ['secretary'], mobile: '139' },
    ]);
    expect(ding.department).toEqual({ code: 'ZJ', name: '住房和城乡建设局' });
    expect(ding.projectName).toBe('市第二人民医院新院区');
    // Only the channel's own contact travels with the message.
    expect(deliveries[1]!.message.recipients).toEqual([
      { personId: 'lead', name: '李建国', roles: ['leader'], email: 'li@x.example' },
    ]);
  });

  it('sends a department route to its group with the department’s notified people mentioned', () => {
    const [d] = planDeliveries(event(), directory([route('department', 'ZJ', 'wecom', 'zj-group')]));
    expect(d!.message.recipients).toEqual([
      { personId: 'head', name: '赵局长', roles: ['departmentHead'], wecomUserId: 'Zhao' },
    ]);
    // Another department's group hears nothing; a leader-only alert does not go to the department group.
    expect(planDeliveries(event(), directory([route('department', 'FGW', 'wecom', 'g')]))).toEqual([]);
    expect(
      planDeliveries(
        event({ notify: ['leader'] }),
        directory([route('department', 'ZJ', 'wecom', 'zj-group')]),
      ),
    ).toEqual([]);
  });

  it('sends a project route to the project group, mentioning everyone the escalation names', () => {
    const [d] = planDeliveries(event(), directory([route('project', 'P1', 'dingtalk', 'p1-group')]));
    expect(d!.message.recipients.map((r) => [r.personId, r.roles])).toEqual([
      ['lead', ['leader']],
      ['head', ['departmentHead']],
      ['sec', ['secretary']],
    ]);
  });

  it('resolves a reminder’s handler to the department’s handlers, or to a problem’s assignee', () => {
    const routes = [route('person', 'hand', 'dingtalk', 'r'), route('person', 'owner', 'dingtalk', 'r')];
    const item = planDeliveries(event({ notify: ['handler', 'secretary'] }), directory(routes));
    expect(item[0]!.message.recipients.map((r) => r.personId)).toEqual(['hand']);
    const problem = planDeliveries(
      event({ subjectKind: 'problem', subjectId: 'Q1', notify: ['handler', 'secretary'] }),
      directory(routes),
    );
    expect(problem[0]!.message.recipients.map((r) => r.personId)).toEqual(['owner']);
  });

  it('merges the roles of one person who holds two, and skips people not in the directory', () => {
    const dir = directory([route('person', 'sec', 'email', 'smtp')], {
      project: { code: 'P1', name: 'x', secretary: 'sec', leader: 'ghost' },
      contacts: [{ department: 'ZJ', duty: 'head', personId: 'sec' }],
    });
    const [d] = planDeliveries(event(), dir);
    expect(d!.message.recipients).toEqual([
      { personId: 'sec', name: '王敏', roles: ['departmentHead', 'secretary'], email: 'wang@x.example' },
    ]);
  });

  it('reaches nobody when no route matches (the inbox still has it)', () => {
    expect(planDeliveries(event(), directory([]))).toEqual([]);
  });
});
