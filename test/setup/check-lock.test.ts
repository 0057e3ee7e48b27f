import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockProblems } from '../../scripts/check-lock.mjs';
import { projectRoot } from '../../scripts/toolchain';

type Lock = { lockfileVersion: number; packages: Record<string, Record<string, unknown>> };

const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
const readLock = (): Lock => JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8'));

describe('scripts/check-lock.mjs', () => {
  it('finds nothing missing in the committed lock', () => {
    expect(lockProblems(manifest, readLock())).toEqual([]);
  });

  it("names another platform's optional binary that the lock lost (the lock that broke npm ci)", () => {
    const lock = readLock();
    delete lock.packages['node_modules/@biomejs/cli-darwin-arm64'];
    delete lock.packages['node_modules/@swc/core-win32-x64-msvc'];
    expect(lockProblems(manifest, lock)).toEqual([
      '@biomejs/biome needs optional @biomejs/cli-darwin-arm64, which the lock does not hold',
      '@swc/core needs optional @swc/core-win32-x64-msvc, which the lock does not hold',
    ]);
  });

  it('names a dependency added to package.json without updating the lock, and a changed range', () => {
    const changed = {
      ...manifest,
      dependencies: { ...manifest.dependencies, 'left-pad': '^1.3.0', zod: '^3.0.0' },
    };
    expect(lockProblems(changed, readLock())).toEqual([
      `dependencies.zod is ^3.0.0 in package.json but ${manifest.dependencies.zod} in the lock`,
      'dependencies.left-pad (^1.3.0) is in package.json, not in the lock',
    ]);
  });

  it('names a dependency removed from package.json but still locked', () => {
    const { yaml: _gone, ...devDependencies } = manifest.devDependencies;
    expect(lockProblems({ ...manifest, devDependencies }, readLock())).toEqual([
      'devDependencies.yaml is in the lock, no longer in package.json',
    ]);
  });
});
