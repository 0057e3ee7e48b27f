/**
 * The scale-out deployment (docker-compose.yml, Dockerfile, .dockerignore) checked against
 * docs/deployment.md, config.ts and workflows/search-attributes.ts. Docker is not available on the
 * development machines, so this test, which only reads files, is what keeps the deployment honest.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../config';
import { greenlaneSearchAttributes } from '../../workflows/search-attributes';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string): string => readFileSync(resolve(root, path), 'utf8');

// ---------------------------------------------------------------------------------------------------
// Compose file model

type Healthcheck = { test?: unknown; disable?: boolean };
type Service = {
  image?: unknown;
  build?: unknown;
  container_name?: unknown;
  restart?: unknown;
  depends_on?: unknown;
  environment?: unknown;
  ports?: unknown;
  healthcheck?: Healthcheck;
  command?: unknown;
  entrypoint?: unknown;
  deploy?: { replicas?: unknown };
};

const composeText = read('docker-compose.yml');
const composeDoc = parseDocument(composeText, { merge: true });
const compose = composeDoc.toJS() as {
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services: Record<string, Service> = compose.services ?? {};
const serviceNames = Object.keys(services);

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

/**
 * Compose interpolation with an empty environment: `$$` → `$`, `${NAME:-default}` / `${NAME-default}`
 * → default. Anything else (`${NAME}` with no default, a bare `$NAME`) would be filled from the
 * operator's environment or silently emptied, so it is an error here.
 */
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)([^}]*)\}|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$/g,
    (match, _name: string | undefined, op: string | undefined, def: string | undefined) => {
      if (match === '$$') return '$';
      if (op !== undefined) return def ?? '';
      throw new Error(`"${match}" in docker-compose.yml has no default and would be read from the host`);
    },
  );
}

/** Every string value of the compose file (comments excluded), `x-` extensions included. */
function composeStrings(): string[] {
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(compose);
  return strings;
}

/** Every `${NAME:-default}` in the compose values, as name → default (all occurrences must agree). */
function composeDefaults(): Map<string, string> {
  const found = new Map<string, string>();
  const text = composeStrings().join('\n').replace(/\$\$/g, '');
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}/g)) {
    const [, name, def] = m as unknown as [string, string, string];
    const seen = found.get(name);
    if (seen !== undefined && seen !== def) {
      throw new Error(`\${${name}} has two defaults in docker-compose.yml: "${seen}" and "${def}"`);
    }
    found.set(name, def);
  }
  return found;
}

function envOf(name: string): Record<string, string> {
  const env = service(name).environment;
  const out: Record<string, string> = {};
  if (env === undefined || env === null) return out;
  if (Array.isArray(env)) {
    for (const entry of env) {
      const [key, ...rest] = String(entry).split('=');
      out[key!] = interpolate(rest.join('='));
    }
    return out;
  }
  for (const [key, value] of Object.entries(env as Record<string, unknown>)) {
    out[key] = interpolate(String(value ?? ''));
  }
  return out;
}

type Port = { hostIp: string | undefined; published: number; target: number };

function portsOf(name: string): Port[] {
  const ports = service(name).ports;
  if (ports === undefined) return [];
  expect(Array.isArray(ports), `${name}.ports is a list`).toBe(true);
  return (ports as unknown[]).map((p) => {
    if (typeof p === 'object' && p !== null) {
      const o = p as { target?: unknown; published?: unknown; host_ip?: unknown };
      return {
        hostIp: o.host_ip === undefined ? undefined : String(o.host_ip),
        published: Number(o.published),
        target: Number(o.target),
      };
    }
    const spec = interpolate(String(p)).replace(/\/(tcp|udp)$/, '');
    const parts = spec.split(':');
    if (parts.length === 2)
      return { hostIp: undefined, published: Number(parts[0]), target: Number(parts[1]) };
    if (parts.length === 3)
      return { hostIp: parts[0], published: Number(parts[1]), target: Number(parts[2]) };
    throw new Error(`${name}: port "${spec}" is neither host:container nor ip:host:container`);
  });
}

type Dependency = { on: string; condition: string };

function dependenciesOf(name: string): Dependency[] {
  const deps = service(name).depends_on;
  if (deps === undefined) return [];
  if (Array.isArray(deps)) return deps.map((on) => ({ on: String(on), condition: 'service_started' }));
  return Object.entries(deps as Record<string, { condition?: unknown }>).map(([on, spec]) => ({
    on,
    condition: String(spec?.condition ?? 'service_started'),
  }));
}

function healthcheckTest(name: string): string[] {
  const hc = service(name).healthcheck;
  if (!hc || hc.disable === true || hc.test === undefined) return [];
  const test = Array.isArray(hc.test) ? hc.test.map(String) : ['CMD-SHELL', String(hc.test)];
  return test[0] === 'NONE' ? [] : test;
}

/** The shell script of a job run as `entrypoint: [/bin/sh, -c]`, after compose's `$$` → `$`. */
function shellScript(name: string): string {
  const s = service(name);
  expect(s.entrypoint, `${name} runs its command with /bin/sh -c`).toEqual(['/bin/sh', '-c']);
  const command = Array.isArray(s.command) ? s.command.join('\n') : String(s.command ?? '');
  expect(command.length, `${name} has a script`).toBeGreaterThan(0);
  return interpolate(command);
}

function imageOf(name: string): string {
  return interpolate(String(service(name).image ?? ''));
}

function tagOf(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.indexOf(':', slash + 1);
  return colon < 0 ? '' : image.slice(colon + 1);
}

const greenlaneServices = serviceNames.filter((n) => service(n).build !== undefined);

// ---------------------------------------------------------------------------------------------------
// docs/deployment.md tables

const docText = read('docs/deployment.md');

/** The first Markdown table after the heading `## title` or `### title`, as rows keyed by header. */
function docTable(title: string, expectedHeader: string[]): Record<string, string>[] {
  const lines = docText.split('\n');
  const at = lines.findIndex((l) => /^#{2,3} /.test(l) && l.replace(/^#+ /, '').trim() === title);
  if (at < 0) throw new Error(`docs/deployment.md has no heading "${title}"`);
  let i = at + 1;
  while (i < lines.length && !lines[i]!.startsWith('|')) {
    if (/^#{1,3} /.test(lines[i]!)) throw new Error(`no table under "${title}"`);
    i++;
  }
  const rows: string[][] = [];
  for (; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(
      lines[i]!.trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((c) => c.trim().replace(/`/g, '')),
    );
  }
  const [header, separator, ...body] = rows;
  expect(header, `columns of the table under "${title}"`).toEqual(expectedHeader);
  expect(
    separator?.every((c) => /^:?-{3,}:?$/.test(c)),
    `separator row under "${title}"`,
  ).toBe(true);
  expect(body.length, `rows under "${title}"`).toBeGreaterThan(0);
  return body.map((cells) => {
    expect(cells.length, `row "${cells.join(' | ')}" under "${title}"`).toBe(expectedHeader.length);
    return Object.fromEntries(expectedHeader.map((h, k) => [h, cells[k]!]));
  });
}

const serviceRows = docTable('Services', ['Service', 'Image', 'Kind', 'What it does']);
const portRows = docTable('Ports', ['Port on the host', 'Service', 'Container port', 'What']);
const greenlaneEnvRows = docTable('Greenlane processes', [
  'Variable',
  'Meaning',
  'Default (config.ts)',
  'In docker-compose.yml',
]);
const composeVarRows = docTable('Compose variables', ['Variable', 'Meaning', 'Default']);

const jobs = new Set(serviceRows.filter((r) => r.Kind === 'job').map((r) => r.Service!));
const longRunning = new Set(serviceRows.filter((r) => r.Kind === 'long-running').map((r) => r.Service!));

// ---------------------------------------------------------------------------------------------------
// config.ts: the keys and defaults of its Env object, read from the source (Env is not exported).

type EnvKey = { name: string; default: string | undefined; optional: boolean };

function configEnvKeys(): EnvKey[] {
  const source = read('config.ts');
  const body = /const Env = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!body) throw new Error('config.ts: could not find `const Env = z.object({ ... });`');
  const keys: EnvKey[] = [];
  for (const line of body.split('\n')) {
    const m = /^\s*([A-Z][A-Z0-9_]*):\s*(z\..*),\s*$/.exec(line);
    if (!m) {
      expect(line.trim() === '' || line.trim().startsWith('//'), `unparsed line in Env: ${line}`).toBe(true);
      continue;
    }
    const [, name, schema] = m as unknown as [string, string, string];
    const def = /\.default\((?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))\)/.exec(schema);
    keys.push({
      name,
      default: def ? (def[1] ?? def[2] ?? def[3]) : undefined,
      optional: /\.optional\(\)/.test(schema),
    });
  }
  return keys;
}

const envKeys = configEnvKeys();

// ---------------------------------------------------------------------------------------------------

describe('docker-compose.yml parses', () => {
  it('is valid YAML with services and no duplicate keys', () => {
    expect(composeDoc.errors.map(String)).toEqual([]);
    expect(composeDoc.warnings.map(String)).toEqual([]);
    expect(serviceNames.length).toBeGreaterThan(0);
  });

  it('uses `$` only as `$$` (shell) or as NAME:-default interpolation (compose), so nothing is emptied silently', () => {
    for (const s of composeStrings()) expect(() => interpolate(s), s).not.toThrow();
  });
});

describe('services promised by docs/deployment.md', () => {
  it('lists exactly the services of the compose file', () => {
    expect(serviceRows.map((r) => r.Service).sort()).toEqual([...serviceNames].sort());
  });

  it('has every service with the documented image', () => {
    for (const row of serviceRows) expect(imageOf(row.Service!), row.Service).toBe(row.Image);
  });

  it('classes every service as job or long-running', () => {
    for (const row of serviceRows) expect(['job', 'long-running'], row.Service).toContain(row.Kind);
    expect(jobs.size + longRunning.size).toBe(serviceRows.length);
  });

  it('has the services the deployment is made of', () => {
    expect([...longRunning].sort()).toEqual(
      [
        'greenlane-api',
        'greenlane-worker',
        'postgresql',
        'temporal',
        'temporal-history',
        'temporal-matching',
        'temporal-worker',
        'temporal-ui',
      ].sort(),
    );
    expect([...jobs].sort()).toEqual(['greenlane-migrate', 'temporal-schema', 'temporal-setup'].sort());
  });

  it('gives every long-running service a healthcheck and a restart policy', () => {
    for (const name of longRunning) {
      const test = healthcheckTest(name);
      expect(test.length, `${name} has a healthcheck`).toBeGreaterThan(1);
      expect(['CMD', 'CMD-SHELL'], `${name} healthcheck form`).toContain(test[0]);
      expect(['unless-stopped', 'always'], `${name} restart`).toContain(service(name).restart);
    }
  });

  it('lets jobs run once: no restart, no published port', () => {
    for (const name of jobs) {
      expect([undefined, 'no'], `${name} restart`).toContain(service(name).restart);
      expect(portsOf(name), `${name} ports`).toEqual([]);
    }
  });

  it('builds the Greenlane services from the Dockerfile', () => {
    expect(greenlaneServices.sort()).toEqual(['greenlane-api', 'greenlane-migrate', 'greenlane-worker']);
    for (const name of greenlaneServices) {
      const build = service(name).build as { context?: unknown; dockerfile?: unknown } | string;
      const context = typeof build === 'string' ? build : build.context;
      const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
      expect(context, `${name} build context`).toBe('.');
      expect(dockerfile, `${name} dockerfile`).toBe('Dockerfile');
      expect(serviceRows.find((r) => r.Service === name)?.['What it does'], name).toContain('Dockerfile');
    }
  });
});

describe('image versions', () => {
  it('pins every image to an explicit tag', () => {
    for (const name of serviceNames) {
      const tag = tagOf(imageOf(name));
      expect(tag, `${name} image tag`).not.toBe('');
      expect(tag, `${name} image tag`).not.toBe('latest');
    }
  });

  it('runs Temporal server 1.29.x, the server of the pinned Temporal CLI 1.5.x', () => {
    const pkg = JSON.parse(read('package.json')) as { config: { temporalCliVersion: string } };
    // toolchain.md: Temporal CLI v1.5.x embeds server v1.29.x.
    expect(pkg.config.temporalCliVersion).toMatch(/^1\.5\.\d+$/);
    const server = imageOf('temporal');
    expect(server).toMatch(/^temporalio\/server:1\.29\.\d+$/);
    const serverVersion = tagOf(server);
    for (const job of ['temporal-schema', 'temporal-setup']) {
      const tools = imageOf(job);
      expect(tools.startsWith('temporalio/admin-tools:'), job).toBe(true);
      expect(tagOf(tools), `${job} admin-tools is the build for server ${serverVersion}`).toMatch(
        new RegExp(`^${serverVersion.replace(/\./g, '\\.')}(-|$)`),
      );
      expect(tagOf(tools), `${job} ships CLI 1.5.x`).toMatch(/-cli-1\.5\.\d+$/);
    }
    expect(imageOf('temporal-ui')).toMatch(/^temporalio\/ui:2\.42\.\d+$/);
    expect(tagOf(imageOf('postgresql'))).toMatch(/^\d+\.\d+/);
  });
});

describe('ports promised by docs/deployment.md', () => {
  it('publishes each documented port from the documented service', () => {
    for (const row of portRows) {
      const ports = portsOf(row.Service!);
      const match = ports.find((p) => p.published === Number(row['Port on the host']));
      expect(match?.published, `${row.Service} publishes ${row['Port on the host']}`).toBe(
        Number(row['Port on the host']),
      );
      expect(match!.target, `${row.Service} container port`).toBe(Number(row['Container port']));
      if (row.What!.includes('127.0.0.1 only')) expect(match!.hostIp, row.Service).toBe('127.0.0.1');
      else if (row.What!.includes('all interfaces')) expect([undefined, '0.0.0.0']).toContain(match!.hostIp);
      else throw new Error(`the row for port ${row['Port on the host']} does not say where it is published`);
    }
  });

  it('documents every published port, and the four the deployment promises', () => {
    const published = serviceNames.flatMap((n) => portsOf(n).map((p) => `${n}:${p.published}`));
    expect(published.sort()).toEqual(portRows.map((r) => `${r.Service}:${r['Port on the host']}`).sort());
    expect(Object.fromEntries(portRows.map((r) => [r.Service, Number(r['Port on the host'])]))).toEqual({
      'greenlane-api': 3000,
      temporal: 7233,
      'temporal-ui': 8233,
      postgresql: 5432,
    });
  });
});

describe('start order', () => {
  const valid = ['service_started', 'service_healthy', 'service_completed_successfully'];

  it('depends only on existing services, with a condition that suits the dependency', () => {
    for (const name of serviceNames) {
      for (const dep of dependenciesOf(name)) {
        expect(serviceNames, `${name} depends on ${dep.on}`).toContain(dep.on);
        expect(valid, `${name} → ${dep.on} condition`).toContain(dep.condition);
        if (dep.condition === 'service_healthy') {
          expect(healthcheckTest(dep.on).length, `${dep.on} needs a healthcheck for ${name}`).toBeGreaterThan(
            1,
          );
        }
        if (dep.condition === 'service_completed_successfully') {
          expect(jobs.has(dep.on), `${name} waits for ${dep.on} to complete: it must be a job`).toBe(true);
        }
        if (jobs.has(dep.on))
          expect(dep.condition, `${name} → job ${dep.on}`).toBe('service_completed_successfully');
      }
    }
  });

  it('has no dependency cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') throw new Error(`cycle: ${[...path, name].join(' → ')}`);
      state.set(name, 'visiting');
      for (const dep of dependenciesOf(name)) visit(dep.on, [...path, name]);
      state.set(name, 'done');
    };
    for (const name of serviceNames) expect(() => visit(name, [])).not.toThrow();
  });

  it('waits for what each service needs', () => {
    const expected: Record<string, Record<string, string>> = {
      'temporal-schema': { postgresql: 'service_healthy' },
      temporal: { 'temporal-schema': 'service_completed_successfully' },
      'temporal-history': { temporal: 'service_healthy' },
      'temporal-matching': { temporal: 'service_healthy' },
      'temporal-worker': { temporal: 'service_healthy' },
      'temporal-setup': {
        temporal: 'service_healthy',
        'temporal-history': 'service_healthy',
        'temporal-matching': 'service_healthy',
        'temporal-worker': 'service_healthy',
      },
      'temporal-ui': { temporal: 'service_healthy' },
      'greenlane-migrate': { postgresql: 'service_healthy' },
      'greenlane-worker': {
        'temporal-setup': 'service_completed_successfully',
        'greenlane-migrate': 'service_completed_successfully',
      },
      'greenlane-api': {
        'temporal-setup': 'service_completed_successfully',
        'greenlane-migrate': 'service_completed_successfully',
      },
    };
    for (const [name, deps] of Object.entries(expected)) {
      const actual = Object.fromEntries(dependenciesOf(name).map((d) => [d.on, d.condition]));
      expect(actual, name).toEqual(deps);
    }
  });
});

describe('PostgreSQL and the Temporal cluster', () => {
  const pg = () => envOf('postgresql');

  it('keeps PostgreSQL data on a named volume and checks it with pg_isready', () => {
    const volumes = (service('postgresql') as { volumes?: unknown }).volumes as string[] | undefined;
    const data = volumes?.find((v) => String(v).endsWith(':/var/lib/postgresql/data'));
    expect(data, 'a volume on /var/lib/postgresql/data').toMatch(/^[\w-]+:\/var\/lib\/postgresql\/data$/);
    expect(Object.keys(compose.volumes ?? {})).toContain(String(data).split(':')[0]);
    expect(healthcheckTest('postgresql').join(' ')).toContain('pg_isready');
  });

  it('passes secrets from the environment, with local-only defaults', () => {
    const raw = service('postgresql').environment as Record<string, string>;
    expect(raw.POSTGRES_USER).toMatch(/^\$\{POSTGRES_USER:-[^}]+\}$/);
    expect(raw.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:-[^}]+\}$/);
    expect(composeText).toMatch(/#.*SECRETS/);
  });

  it('points every Temporal service at postgresql with the same credentials', () => {
    for (const name of ['temporal', 'temporal-history', 'temporal-matching', 'temporal-worker']) {
      const env = envOf(name);
      expect(serviceNames).toContain(env.POSTGRES_SEEDS);
      expect(env.POSTGRES_SEEDS, name).toBe('postgresql');
      expect(env.DB_PORT, name).toBe('5432');
      expect(env.POSTGRES_USER, name).toBe(pg().POSTGRES_USER);
      expect(env.POSTGRES_PWD, name).toBe(pg().POSTGRES_PASSWORD);
    }
    expect(healthcheckTest('temporal').join(' ')).toContain('7233');
  });

  it('temporal-schema creates and migrates temporal and temporal_visibility with temporal-sql-tool', () => {
    const env = envOf('temporal-schema');
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
    expect(env.DB_PORT).toBe('5432');
    expect(env.POSTGRES_USER).toBe(pg().POSTGRES_USER);
    expect(env.SQL_PASSWORD).toBe(pg().POSTGRES_PASSWORD);
    const script = shellScript('temporal-schema');
    expect(script).toMatch(/^\s*set -eu$/m);
    expect(script).toContain('temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT"');
    expect(script).toMatch(
      /for db in temporal temporal_visibility; do\s+sqltool --db "\$db" create-database/,
    );
    for (const [db, dir] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      expect(script).toContain(`sqltool --db ${db} setup-schema -v 0.0`);
      expect(script).toContain(
        `sqltool --db ${db} update-schema -d /etc/temporal/schema/postgresql/v12/${dir}/versioned`,
      );
    }
  });

  it('temporal-setup registers exactly greenlaneSearchAttributes on the Greenlane namespace', () => {
    const env = envOf('temporal-setup');
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    const registered = Object.fromEntries(
      env
        .GREENLANE_SEARCH_ATTRIBUTES!.trim()
        .split(/\s+/)
        .map((pair) => pair.split('=') as [string, string]),
    );
    expect(registered).toEqual(greenlaneSearchAttributes);
    for (const name of greenlaneServices) {
      expect(env.TEMPORAL_NAMESPACE, `${name} uses the namespace temporal-setup creates`).toBe(
        envOf(name).TEMPORAL_NAMESPACE,
      );
    }
    const script = shellScript('temporal-setup');
    expect(script).toContain('t() { temporal --address "$TEMPORAL_ADDRESS" "$@"; }');
    expect(script).toContain('t operator namespace create --namespace "$TEMPORAL_NAMESPACE"');
    expect(script).toContain('for pair in $GREENLANE_SEARCH_ATTRIBUTES; do');
    expect(script).toContain(
      't operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"',
    );
  });

  it('the UI talks to temporal:7233', () => {
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });
});

describe('the Greenlane services', () => {
  it('set every variable config.ts reads, as docs/deployment.md says, and loadConfig accepts them', () => {
    expect(envKeys.length).toBeGreaterThan(0);
    const documented = Object.fromEntries(
      greenlaneEnvRows.map((r) => [r.Variable!, r['In docker-compose.yml']!]),
    );
    expect(Object.keys(documented).sort()).toEqual(envKeys.map((k) => k.name).sort());
    for (const name of greenlaneServices) {
      const env = envOf(name);
      for (const key of envKeys) expect(env[key.name], `${name} ${key.name}`).toBe(documented[key.name]);
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('connect to the services of this file', () => {
    const pg = envOf('postgresql');
    for (const name of greenlaneServices) {
      const env = envOf(name);
      expect(env.API_HOST, `${name}: the API must listen beyond loopback in a container`).toBe('0.0.0.0');
      const [host, port] = env.TEMPORAL_ADDRESS!.split(':');
      expect(host).toBe('temporal');
      expect(port).toBe('7233');
      const db = new URL(env.DATABASE_URL!);
      expect(db.protocol).toBe('postgres:');
      expect(db.hostname).toBe('postgresql');
      expect(db.port).toBe('5432');
      expect(db.pathname).toBe(`/${pg.POSTGRES_DB}`);
      expect(decodeURIComponent(db.username)).toBe(pg.POSTGRES_USER);
      expect(decodeURIComponent(db.password)).toBe(pg.POSTGRES_PASSWORD);
    }
  });

  it('document config.ts defaults as config.ts has them', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@h/d' });
    const leaves: string[] = [];
    const walk = (v: unknown): void => {
      if (v && typeof v === 'object') Object.values(v).forEach(walk);
      else leaves.push(String(v));
    };
    walk(config);
    const byName = new Map(envKeys.map((k) => [k.name, k]));
    for (const row of greenlaneEnvRows) {
      const key = byName.get(row.Variable!)!;
      const doc = row['Default (config.ts)']!;
      if (key.default !== undefined) {
        expect(doc, `${key.name} default`).toBe(key.default);
      } else {
        expect(key.optional, `${key.name} has no default, so config.ts marks it optional`).toBe(true);
        if (doc === 'none') continue;
        // A derived default, written with <VAR> placeholders for the other variables' defaults.
        const derived = doc.replace(/<([A-Z_]+)>/g, (_, v: string) => byName.get(v)?.default ?? `<${v}>`);
        expect(derived, `${key.name}: every placeholder names a variable with a default`).not.toContain('<');
        expect(leaves, `${key.name} derived default`).toContain(derived);
        continue;
      }
      expect(leaves, `${key.name}: loadConfig yields the documented default`).toContain(key.default);
    }
    expect(() => loadConfig({}), 'DATABASE_URL is documented as required').toThrow(/DATABASE_URL/);
    expect(greenlaneEnvRows.find((r) => r.Variable === 'DATABASE_URL')?.Meaning).toContain('Required');
  });

  it('run the documented commands', () => {
    expect(service('greenlane-migrate').command).toEqual(['node', '--import', 'tsx', 'db/migrate.ts']);
    expect(service('greenlane-worker').command).toEqual(['node', '--import', 'tsx', 'worker.ts']);
    expect(service('greenlane-api').command).toEqual(['node', '--import', 'tsx', 'api/server.ts']);
  });

  it('let the worker scale: no container name, no port, a replicas example', () => {
    const worker = service('greenlane-worker');
    expect(worker.container_name).toBeUndefined();
    expect(portsOf('greenlane-worker')).toEqual([]);
    expect(Number.isInteger(worker.deploy?.replicas)).toBe(true);
    expect(worker.deploy?.replicas as number).toBeGreaterThanOrEqual(1);
    for (const name of greenlaneServices) expect(service(name).container_name, name).toBeUndefined();
    const check = healthcheckTest('greenlane-worker').join(' ');
    expect(check).toContain('describeTaskQueue');
    expect(check).toContain('env.TEMPORAL_TASK_QUEUE');
  });

  it('check the API on /healthz at the port it listens on', () => {
    const env = envOf('greenlane-api');
    const check = healthcheckTest('greenlane-api').join(' ');
    expect(check).toContain(`http://127.0.0.1:${env.API_PORT}/healthz`);
    expect(portsOf('greenlane-api').map((p) => p.target)).toEqual([Number(env.API_PORT)]);
  });
});

describe('compose variables promised by docs/deployment.md', () => {
  it('documents every compose variable (NAME:-default) with its default, and nothing else', () => {
    const defaults = composeDefaults();
    const documented = new Map<string, string>();
    for (const row of composeVarRows) documented.set(row.Variable!, row.Default!);
    for (const row of greenlaneEnvRows) {
      if (defaults.has(row.Variable!)) documented.set(row.Variable!, row['In docker-compose.yml']!);
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(defaults));
  });
});

// ---------------------------------------------------------------------------------------------------

/**
 * ENTRY FILES, CHECKED BY NAME ONLY. api/server.ts, worker.ts and db/migrate.ts are written by other
 * engineers and may not exist yet, so this test does not look for them on disk. It checks that the
 * Dockerfile, the compose file and package.json all name entry files from this list, and that
 * .dockerignore keeps them in the image. When all three are committed, also assert they exist.
 */
const ENTRY_FILES = ['api/server.ts', 'worker.ts', 'db/migrate.ts'] as const;

const dockerfile = read('Dockerfile');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim', () => {
    const from = instructions.filter((i) => i.op === 'FROM');
    expect(from.at(-1)?.args).toBe('node:20-bookworm-slim');
  });

  it('installs production dependencies from the lock file, tsx among them', () => {
    const copyLock = instructions.findIndex((i) => i.op === 'COPY' && /package-lock\.json/.test(i.args));
    const install = instructions.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.args));
    expect(copyLock).toBeGreaterThanOrEqual(0);
    expect(install).toBeGreaterThan(copyLock);
    const pkg = JSON.parse(read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.dependencies.tsx, 'tsx runs the sources at run time').toMatch(/^[~^]?\d+\./);
    expect(pkg.devDependencies.tsx).toBeUndefined();
    expect(pkg.dependencies['@temporalio/client'], 'the worker healthcheck imports it').toMatch(
      /^[~^]?\d+\./,
    );
  });

  it('runs as a non-root user', () => {
    const users = instructions.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(['', 'root', '0', '0:0']).not.toContain(users.at(-1)!.args.trim());
    const lastUser = instructions.lastIndexOf(users.at(-1)!);
    const lastCmd = instructions.findLastIndex((i) => i.op === 'CMD');
    expect(lastUser).toBeLessThan(lastCmd);
  });

  it('starts the API by default, and the worker and migration override the command', () => {
    const cmd = instructions.filter((i) => i.op === 'CMD').at(-1);
    expect(JSON.parse(cmd!.args)).toEqual(['node', '--import', 'tsx', 'api/server.ts']);
    expect(instructions.some((i) => i.op === 'ENTRYPOINT')).toBe(false);
  });

  it('names only known entry files (by name: see ENTRY_FILES)', () => {
    const cmd = JSON.parse(instructions.filter((i) => i.op === 'CMD').at(-1)!.args) as string[];
    const named = [cmd.at(-1), ...greenlaneServices.map((n) => (service(n).command as string[]).at(-1))];
    for (const file of named) expect(ENTRY_FILES, String(file)).toContain(file);
    expect(new Set(named)).toEqual(new Set(ENTRY_FILES));
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.api).toBe('tsx api/server.ts');
    expect(scripts.worker).toBe('tsx worker.ts');
    expect(scripts.migrate).toBe('tsx db/migrate.ts');
  });
});

describe('.dockerignore', () => {
  const patterns = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  // Docker's rules, enough for this file: a pattern matches a path or any folder above it; `*` is
  // one path segment's characters, `**` any number of segments; `!` re-includes.
  const toRegex = (p: string): RegExp => {
    const segment = (part: string): string =>
      part
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]');
    return new RegExp(
      `^${p
        .replace(/^\/+|\/+$/g, '')
        .split('**')
        .map(segment)
        .join('.*')}$`,
    );
  };
  const ignored = (path: string): boolean => {
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let result = false;
    for (const pattern of patterns) {
      const negate = pattern.startsWith('!');
      const re = toRegex(negate ? pattern.slice(1) : pattern);
      if (prefixes.some((p) => re.test(p))) result = !negate;
    }
    return result;
  };

  it('keeps the sources, the lock file and the entry files in the build context', () => {
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'config.ts',
      'workflows/search-attributes.ts',
      'domain/catalog.ts',
      ...ENTRY_FILES,
    ];
    for (const path of needed) expect(ignored(path), path).toBe(false);
  });

  it('leaves out node_modules, git, local tools, data and secrets', () => {
    for (const path of ['node_modules/x/index.js', '.git/HEAD', '.tools/temporal', '.data/pg', '.env']) {
      expect(ignored(path), path).toBe(true);
    }
  });
});

describe('docs/deployment.md', () => {
  it('is the page the README links to as the deployment promise', () => {
    expect(docText.split('\n')[0]).toBe('# Running beyond one machine');
    expect(docText).toContain('docker compose up -d --build --scale greenlane-worker=3');
    expect(docText).toMatch(/Docker is not available on the development machines/);
    expect(docText).toContain('test/deploy/compose.test.ts');
  });

  it('tells how to run single processes against an external Temporal and PostgreSQL', () => {
    const section = docText.split('## Single processes against an external Temporal and PostgreSQL')[1];
    expect(section, 'the section exists').toMatch(/\S/);
    expect(section).toMatch(/export TEMPORAL_ADDRESS=/);
    expect(section).toMatch(/export DATABASE_URL=postgres:\/\//);
    const pairs = [...section!.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => [m[1]!, m[2]!]);
    expect(Object.fromEntries(pairs), 'the manual search-attribute command').toEqual(
      greenlaneSearchAttributes,
    );
  });
});
