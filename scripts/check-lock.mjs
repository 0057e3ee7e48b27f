#!/usr/bin/env node
// Checks that package-lock.json can install this package.json on every platform, before a fresh
// clone finds out at `npm ci`:
//   1. the lock's root entry asks for exactly the dependencies package.json asks for;
//   2. every dependency and optional dependency of every locked package resolves, the way Node
//      resolves node_modules folders, to a locked package — a lock written where a platform's
//      optional binary (say @biomejs/cli-darwin-arm64) was unavailable fails here;
//   3. npm itself agrees: `npm ci --dry-run --ignore-scripts` on a copy of the two files in a
//      temporary folder (skipped with --no-npm, for the unit test).
//
//   node scripts/check-lock.mjs [folder holding package.json and package-lock.json] [--no-npm]
//
// Plain Node (no dependencies), so it runs before node_modules exists. Exit 0 when the lock is
// complete; otherwise it lists every problem and the command that fixes them, and exits 1.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FIX = 'npm install --package-lock-only --no-audit --no-fund   # then commit package-lock.json';
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/** Problems of the lock against the manifest, as sentences; empty when the lock is complete. */
export function lockProblems(manifest, lock) {
  const problems = [];
  const packages = lock.packages;
  if (lock.lockfileVersion < 2 || !packages) {
    return [`lockfileVersion ${lock.lockfileVersion} has no "packages" map; npm 7 or later writes one`];
  }
  const root = packages[''] ?? {};
  for (const field of DEPENDENCY_FIELDS) {
    const wanted = manifest[field] ?? {};
    const locked = root[field] ?? {};
    for (const [name, range] of Object.entries(wanted)) {
      if (locked[name] === undefined)
        problems.push(`${field}.${name} (${range}) is in package.json, not in the lock`);
      else if (locked[name] !== range) {
        problems.push(`${field}.${name} is ${range} in package.json but ${locked[name]} in the lock`);
      }
    }
    for (const name of Object.keys(locked)) {
      if (wanted[name] === undefined)
        problems.push(`${field}.${name} is in the lock, no longer in package.json`);
    }
  }
  for (const [path, entry] of Object.entries(packages)) {
    if (entry.link) continue;
    const needs = { ...entry.dependencies, ...entry.optionalDependencies };
    const optional = new Set(Object.keys(entry.optionalDependencies ?? {}));
    // Peer dependencies marked optional need not be installed; required peers are installed by npm 7+.
    for (const [name, meta] of Object.entries(entry.peerDependencies ?? {})) {
      if (!entry.peerDependenciesMeta?.[name]?.optional) needs[name] = meta;
    }
    for (const name of Object.keys(needs)) {
      if (resolveLocked(packages, path, name) === undefined) {
        const who = path === '' ? 'package.json' : path.replace(/^.*node_modules\//, '');
        problems.push(
          `${who} needs ${optional.has(name) ? 'optional ' : ''}${name}, which the lock does not hold`,
        );
      }
    }
  }
  return problems;
}

/** The lock path where `name` is found from package `from`, searching node_modules folders upwards. */
function resolveLocked(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

function npmAgrees(folder) {
  const tmp = mkdtempSync(join(tmpdir(), 'greenlane-lock-'));
  try {
    copyFileSync(join(folder, 'package.json'), join(tmp, 'package.json'));
    copyFileSync(join(folder, 'package-lock.json'), join(tmp, 'package-lock.json'));
    const run = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: tmp,
      encoding: 'utf8',
    });
    if (run.status === 0) return [];
    const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.startsWith('npm error'));
    return [`npm ci --dry-run refused the lock (exit ${run.status}):`, ...lines.map((l) => `  ${l}`)];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const args = process.argv.slice(2);
  const folder = resolve(args.find((a) => !a.startsWith('--')) ?? '.');
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(folder, 'package-lock.json'), 'utf8'));
  const problems = lockProblems(manifest, lock);
  if (problems.length === 0 && !args.includes('--no-npm')) problems.push(...npmAgrees(folder));
  if (problems.length > 0) {
    console.error(
      `check-lock: package-lock.json cannot install package.json everywhere (${problems.length}):`,
    );
    for (const p of problems) console.error(`  - ${p}`);
    console.error(`check-lock: fix: ${FIX}`);
    process.exit(1);
  }
  console.log(
    `check-lock: package-lock.json is complete (${Object.keys(lock.packages).length - 1} packages)`,
  );
}
