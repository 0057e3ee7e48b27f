import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  createKey,
  InvalidKeyRequest,
  type KeyInfo,
  listKeys,
  revokeKey,
  upsertPerson,
} from '../api/auth/people-and-keys';
import { Role } from '../api/auth/principal';
import { loadConfig } from '../config';
import { createDb } from '../db/connect';
import { listPeople } from '../db/people';

/**
 * `npm run keys -- <command>`: issue, list and revoke API keys, and register the people keys belong to,
 * straight against PostgreSQL. Composition root: reads DATABASE_URL once.
 */

export const USAGE = `Usage: npm run keys -- <command> [options]

Commands:
  create --role <role> --label <text> [--department <code>] [--person <id>]
      Issue a key and print it ONCE (only its hash is stored). Roles: ${Role.options.join(', ')}.
      department keys need --department; secretary and leader keys need --person.
      e.g. npm run keys -- create --role department --department ZJ --label "住建局窗口"
  list [--all]
      The active keys (--all: revoked ones too). Secrets are never shown.
  revoke <id>
      Refuse the key from now on.
  person add <id> --name <name> --role <role> [--department <code>] [--mobile <n>] [--email <e>]
             [--dingtalk <userId>] [--wecom <userId>] [--feishu <openId>]
      Register (or update) a person, before issuing them a key.
  person list
  help

Environment:
  DATABASE_URL  the PostgreSQL database; \`npm start\` prints it (the "PostgreSQL" line).
`;

/** A mistake in the command line: printed with the usage, exit code 2. */
class UsageError extends Error {}

const options = {
  role: { type: 'string' },
  department: { type: 'string' },
  label: { type: 'string' },
  person: { type: 'string' },
  all: { type: 'boolean' },
  name: { type: 'string' },
  mobile: { type: 'string' },
  email: { type: 'string' },
  dingtalk: { type: 'string' },
  wecom: { type: 'string' },
  feishu: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseRole(value: string | undefined): Role {
  if (value === undefined) throw new UsageError('--role is required');
  const role = Role.safeParse(value);
  if (!role.success) throw new UsageError(`--role must be one of ${Role.options.join(', ')}; got "${value}"`);
  return role.data;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required`);
  return value;
}

function table(keys: KeyInfo[]): string {
  const rows = [
    ['ID', 'ROLE', 'DEPARTMENT', 'PERSON', 'CREATED', 'LAST USED', 'REVOKED', 'LABEL'],
    ...keys.map((k) => [
      k.id,
      k.role,
      k.department ?? '-',
      k.personId ?? '-',
      k.createdAt.slice(0, 16),
      k.lastUsedAt?.slice(0, 16) ?? '-',
      k.revokedAt?.slice(0, 16) ?? '-',
      k.label,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

/** Runs one command; returns the exit code. `out`/`err` are for tests. */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || command === undefined || command === 'help') {
    (command === undefined && !v.help ? err : out)(USAGE);
    return command === undefined && !v.help ? 2 : 0;
  }

  let databaseUrl: string;
  try {
    databaseUrl = loadConfig(env).databaseUrl;
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
  const db = createDb(databaseUrl, { maxConnections: 1, applicationName: 'greenlane-keys' });
  try {
    switch (command) {
      case 'create': {
        if (rest.length > 0)
          throw new UsageError(`create takes no arguments, only options; got "${rest.join(' ')}"`);
        const { id, key } = await createKey(db, {
          role: parseRole(v.role),
          label: required(v.label, '--label'),
          ...(v.department === undefined ? {} : { department: v.department }),
          ...(v.person === undefined ? {} : { personId: v.person }),
        });
        out(
          `Created key ${id} (${v.role}${v.department ? ` ${v.department}` : ''}${v.person ? `, ${v.person}` : ''}).`,
        );
        out('Keep it now: it is shown this once and cannot be recovered.');
        out(key);
        return 0;
      }
      case 'list': {
        const keys = await listKeys(db, { includeRevoked: v.all ?? false });
        out(keys.length === 0 ? 'No keys.' : table(keys));
        return 0;
      }
      case 'revoke': {
        if (rest.length !== 1) throw new UsageError('revoke takes one key id (see `list`)');
        const revoked = await revokeKey(db, rest[0]!);
        if (!revoked) {
          err(`No key ${rest[0]}.`);
          return 1;
        }
        out(`Revoked key ${revoked.id} (${revoked.role}, ${revoked.label}) at ${revoked.revokedAt}.`);
        return 0;
      }
      case 'person': {
        const [sub, id, ...extra] = rest;
        if (sub === 'list') {
          for (const p of await listPeople(db)) {
            out([p.id, p.role, p.department ?? '-', p.name].join('  '));
          }
          return 0;
        }
        if (sub !== 'add' || id === undefined || extra.length > 0) {
          throw new UsageError('use `person add <id> --name … --role …` or `person list`');
        }
        await upsertPerson(db, {
          id,
          name: required(v.name, '--name'),
          role: parseRole(v.role),
          ...(v.department === undefined ? {} : { department: v.department }),
          ...(v.mobile === undefined ? {} : { mobile: v.mobile }),
          ...(v.email === undefined ? {} : { email: v.email }),
          ...(v.dingtalk === undefined ? {} : { dingtalkUserId: v.dingtalk }),
          ...(v.wecom === undefined ? {} : { wecomUserId: v.wecom }),
          ...(v.feishu === undefined ? {} : { feishuOpenId: v.feishu }),
        });
        out(`Saved person ${id}.`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof InvalidKeyRequest) {
      err(e.message);
      return 1;
    }
    if (e instanceof z.ZodError) {
      err(z.prettifyError(e));
      return 1;
    }
    throw e;
  } finally {
    await db.destroy();
  }
}

const runDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (runDirectly) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
