/**
 * One source for Temporal's configuration: npm run start:cluster (scripts/temporal-cluster.ts) and
 * docker-compose.yml run the same template (deploy/temporal/config/greenlane.yaml) and dynamic-config
 * file. The template is rendered by temporal-server itself (`render-config`, built by setup.sh) with
 * the environment each of them gives it, and the two renderings must agree on everything but what is
 * particular to a host: addresses, ports, credentials and where the files are.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import {
  CONFIG_ENV,
  DEFAULT_PORTS,
  DEFAULT_RETENTION,
  DEPLOY_DIR,
  DYNAMIC_CONFIG,
  SERVICE_NAMES,
  serviceEnv,
} from '../../scripts/temporal-cluster';
import { projectRoot, temporalServerToolPath, toolVersions } from '../../scripts/toolchain';

type Service = {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  entrypoint?: string[];
  command?: string[];
  deploy?: { replicas?: number };
};
const compose = parseDocument(readFileSync(`${projectRoot}/docker-compose.yml`, 'utf8'), {
  merge: true,
}).toJS() as { services: Record<string, Service> };
const MOUNT = '/etc/greenlane/temporal';
const temporalServices = Object.entries(compose.services).filter(([, s]) =>
  s.image?.startsWith('temporalio/server:'),
);
/** Compose's `${NAME:-default}` with an empty environment. */
const interpolate = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const template = readFileSync(`${DEPLOY_DIR}/config/${CONFIG_ENV}.yaml`, 'utf8');
const templateVariables = new Set([...template.matchAll(/env "([A-Z0-9_]+)"/g)].map((m) => m[1]!));

/** temporal-server's own rendering of the template, with exactly this environment. */
function render(env: Record<string, string>): Record<string, unknown> {
  const out = execFileSync(
    temporalServerToolPath('temporal-server'),
    ['--config', relative(projectRoot, `${DEPLOY_DIR}/config`), '--env', CONFIG_ENV, 'render-config'],
    { cwd: projectRoot, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' },
  );
  return parse(out) as Record<string, unknown>;
}

/** What only a host decides: left out before the two renderings are compared. */
function withoutHostDetails(config: Record<string, unknown>): unknown {
  const c = structuredClone(config) as Record<string, Record<string, unknown>>;
  const persistence = c.persistence as { datastores: Record<string, { sql: Record<string, unknown> }> };
  for (const store of Object.values(persistence.datastores)) {
    delete store.sql.connectAddr;
    delete store.sql.user;
    delete store.sql.password;
  }
  for (const service of Object.values(c.services as Record<string, { rpc: Record<string, unknown> }>)) {
    for (const key of ['grpcPort', 'membershipPort', 'httpPort', 'bindOnIP']) delete service.rpc[key];
  }
  delete (c.global!.membership as Record<string, unknown>).broadcastAddress;
  const cluster = c.clusterMetadata as { clusterInformation: Record<string, Record<string, unknown>> };
  for (const info of Object.values(cluster.clusterInformation)) delete info.rpcAddress;
  const defaults = c.namespaceDefaults as { archival: Record<string, Record<string, unknown>> };
  for (const kind of Object.values(defaults.archival)) delete kind.URI;
  delete c.dynamicConfigClient!.filepath;
  return c;
}

describe('docker-compose.yml runs the template that npm run start:cluster runs', () => {
  it('has the four Temporal services, two history processes among them, each started from deploy/temporal', () => {
    const byService = Object.fromEntries(temporalServices.map(([name, s]) => [s.command?.[0], name]));
    const kinds = new Set(SERVICE_NAMES.map((n) => (n.startsWith('history') ? 'history' : n)));
    expect(Object.keys(byService).sort()).toEqual([...kinds].sort());
    expect(compose.services[byService.history!]!.deploy?.replicas).toBe(2);
    expect(SERVICE_NAMES.filter((n) => n.startsWith('history'))).toHaveLength(2);
    for (const [name, s] of temporalServices) {
      expect(s.image, name).toBe(`temporalio/server:${toolVersions().temporalServerVersion}`);
      expect(s.volumes, name).toContain(`./${relative(projectRoot, DEPLOY_DIR)}:${MOUNT}:ro`);
      const script = s.entrypoint?.join(' ') ?? '';
      expect(script, name).toContain(
        `temporal-server --root ${MOUNT} --config config --env ${CONFIG_ENV} --allow-no-auth start --service "$$0"`,
      );
      expect(s.environment?.TEMPORAL_DYNAMIC_CONFIG, name).toBe(
        `${MOUNT}/${relative(DEPLOY_DIR, DYNAMIC_CONFIG)}`,
      );
    }
  });

  it('sets only variables the template reads, and the script sets them too', () => {
    const local = serviceEnv('history-2', {
      postgres: { host: '127.0.0.1', port: 5432, user: 'postgres' },
      archivalDir: '/tmp/archival',
      ports: DEFAULT_PORTS,
    });
    for (const [name, s] of temporalServices) {
      for (const key of Object.keys(s.environment ?? {})) {
        expect(templateVariables.has(key), `${name} sets ${key}`).toBe(true);
        expect(Object.keys(local), `the script sets ${key} too`).toContain(key);
      }
    }
    for (const key of Object.keys(local).filter((k) => k !== 'PATH')) {
      expect(templateVariables.has(key), `the script sets ${key}`).toBe(true);
    }
  });

  it('renders, with either environment, to the same configuration but for host details', () => {
    const local = render(
      serviceEnv('history-1', {
        postgres: { host: '127.0.0.1', port: 5432, user: 'postgres' },
        archivalDir: '/tmp/archival',
        ports: DEFAULT_PORTS,
      }),
    );
    const [, frontend] = temporalServices.find(([n]) => n === 'temporal')!;
    const composeEnv = Object.fromEntries(
      Object.entries(frontend.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]),
    );
    const docker = render({ ...composeEnv, TEMPORAL_BROADCAST_ADDRESS: '172.18.0.5' });
    expect(withoutHostDetails(docker)).toEqual(withoutHostDetails(local));

    // What each one's host details are.
    const sql = (c: Record<string, unknown>) =>
      (c.persistence as { datastores: Record<string, { sql: { connectAddr: string } }> }).datastores[
        'postgres-default'
      ]!.sql;
    expect(sql(docker).connectAddr).toBe('postgresql:5432');
    expect(sql(local).connectAddr).toBe('127.0.0.1:5432');
    const dynamic = (c: Record<string, unknown>) => (c.dynamicConfigClient as { filepath: string }).filepath;
    expect(dynamic(local)).toBe(DYNAMIC_CONFIG);
    expect(dynamic(docker)).toBe(`${MOUNT}/dynamicconfig.yaml`);
    // Archival on, for history and visibility, in both.
    for (const c of [local, docker]) {
      const archival = c.archival as Record<string, { state: string; enableRead: boolean }>;
      expect([archival.history!.state, archival.visibility!.state]).toEqual(['enabled', 'enabled']);
      expect(archival.history!.enableRead && archival.visibility!.enableRead).toBe(true);
    }
  });

  it('creates the namespace with archival and the retention the script uses', () => {
    const setup = compose.services['temporal-setup']!;
    const script = setup.command?.join('\n') ?? '';
    expect(script).toContain('--history-archival-state enabled');
    expect(script).toContain('--visibility-archival-state enabled');
    expect(interpolate(setup.environment!.NAMESPACE_RETENTION!)).toBe(DEFAULT_RETENTION);
  });

  it('runs the Temporal UI of the version setup.sh builds', () => {
    expect(compose.services['temporal-ui']!.image).toBe(`temporalio/ui:${toolVersions().temporalUiVersion}`);
  });
});
