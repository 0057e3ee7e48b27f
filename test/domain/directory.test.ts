import { describe, expect, it } from 'vitest';
import { handoverReassignment, refuseHandover, refuseRoleChange } from '../../domain/directory';

const project = { secretary: 'sec-wang', leader: 'leader-li' };
const none = { activeKeys: [], projects: [], duties: [] };

describe('a handover', () => {
  it('hands over each side the person holds on a project, and nothing on a project not theirs', () => {
    expect(handoverReassignment(project, 'leader-li', 'leader-zhang')).toEqual({ leader: 'leader-zhang' });
    expect(handoverReassignment(project, 'sec-wang', 'sec-zhao')).toEqual({ secretary: 'sec-zhao' });
    expect(handoverReassignment(project, 'leader-zhang', 'leader-li')).toBeNull();
    const both = { secretary: 'x', leader: 'x' };
    expect(handoverReassignment(both, 'x', 'y')).toEqual({ secretary: 'y', leader: 'y' });
  });

  it('is for secretaries and leaders, to someone else', () => {
    expect(refuseHandover({ id: 'leader-li', role: 'leader' }, 'leader-zhang')).toBeNull();
    expect(refuseHandover({ id: 'sec-wang', role: 'secretary' }, 'sec-zhao')).toBeNull();
    expect(refuseHandover({ id: 'zj-sun', role: 'department' }, 'zj-qian')).toMatchObject({
      conflict: expect.stringContaining('a handover is for secretaries and leaders'),
    });
    expect(refuseHandover({ id: 'leader-li', role: 'leader' }, 'leader-li')).toEqual({
      invalid: 'leader-li cannot be handed over to themselves',
    });
  });
});

describe('a role change', () => {
  const li = { id: 'leader-li', role: 'leader' };
  it('is free when nothing depends on the role, and no change at all is always free', () => {
    expect(refuseRoleChange(li, 'secretary', none)).toBeNull();
    expect(refuseRoleChange(li, 'leader', { ...none, activeKeys: ['0123456789ab'] })).toBeNull();
  });

  it('is refused while keys, projects or duties depend on it, naming each', () => {
    const refusal = refuseRoleChange(li, 'secretary', {
      activeKeys: ['0123456789ab'],
      projects: ['P-1', 'P-2'],
      duties: [],
    });
    expect(refusal).toBe(
      'leader-li cannot change from leader to secretary while they have 1 unrevoked leader key(s) (0123456789ab): revoke them; running projects that name them (P-1, P-2): hand them over first',
    );
    const clerk = { id: 'zj-sun', role: 'department' };
    const duty = { ...none, duties: [{ department: 'ZJ', duty: 'head' as const }] };
    expect(refuseRoleChange(clerk, 'operator', duty)).toContain('duties in ZJ (head)');
  });
});
