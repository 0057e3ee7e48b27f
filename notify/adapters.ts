import type { NotifyTargets } from '../config';
import type { NotificationChannel } from '../db/schema';
import type { ChannelAdapter } from './channel';
import { dingtalk } from './dingtalk';
import { email } from './email';
import { feishu } from './feishu';
import { webhook } from './webhook';
import { wecom } from './wecom';

/** Every channel's adapter, by name. */
export const adapters: { [C in NotificationChannel]: ChannelAdapter<NonNullable<NotifyTargets[C]>[string]> } =
  {
    dingtalk,
    wecom,
    feishu,
    email,
    webhook,
  };

/** The configured target of a channel, or undefined when the configuration names none. */
export function targetOf<C extends NotificationChannel>(
  targets: NotifyTargets,
  channel: C,
  name: string,
): NonNullable<NotifyTargets[C]>[string] | undefined {
  const byName = targets[channel] as Record<string, NonNullable<NotifyTargets[C]>[string]> | undefined;
  return byName && Object.hasOwn(byName, name) ? byName[name] : undefined;
}
