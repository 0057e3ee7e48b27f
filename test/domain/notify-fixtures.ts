import type { NotificationMessage, Recipient } from '../../notify/message';
import type { Person } from '../../notify/recipients';

/** Factories for notification messages: a red card on a construction permit, told to a leader and others. */

export const leader: Recipient = {
  personId: 'leader-li',
  name: '李建国',
  roles: ['leader'],
  mobile: '13800000001',
  dingtalkUserId: 'dt-li',
  wecomUserId: 'LiJianGuo',
  feishuOpenId: 'ou_li',
  email: 'li.jianguo@gov.example',
};

export const secretary: Recipient = {
  personId: 'sec-wang',
  name: '王敏',
  roles: ['secretary'],
  mobile: '13900000002',
  wecomUserId: 'WangMin',
  feishuOpenId: 'ou_wang',
  email: 'wang.min@gov.example',
};

export function message(over: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    escalationKey: 'SI-001/item/SGXK/0/red',
    projectCode: 'SI-001',
    projectName: '智能装备产业园一期',
    rung: 'red',
    level: 3,
    title: '【红牌督办】智能装备产业园一期 · 建筑工程施工许可',
    body: '智能装备产业园一期（SI-001）的建筑工程施工许可承诺时限为 2027-03-04T16:00:00.000Z，已触发红牌督办，责任单位 ZJ，扣 4 分。',
    subject: { kind: 'item', id: 'SGXK' },
    department: { code: 'ZJ', name: '住房和城乡建设局' },
    dueAt: '2027-03-04T16:00:00.000Z',
    firedAt: '2027-03-09T01:00:00.000Z',
    recipients: [leader, secretary],
    ...over,
  };
}

/** A person of the directory with no contact but those given. */
export const person = (id: string, name: string, contacts: Partial<Person> = {}): Person => ({
  id,
  name,
  mobile: null,
  email: null,
  dingtalk_user_id: null,
  wecom_user_id: null,
  feishu_open_id: null,
  ...contacts,
});
