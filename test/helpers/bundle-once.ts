import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { bundleWorkflows } from '../../workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A JSON file holding the workflow bundle of this checkout, made once for the project's files. */
    workflowBundlePath: string;
  }
}

/**
 * vitest globalSetup: the workflow code bundled once for every test file of the project (each file
 * runs in a process of its own and would otherwise bundle again, seconds each). The files adopt it in
 * `shared-bundle.ts`; what they run is the bundle the worker makes, from the same function.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'greenlane-bundle-'));
  const path = join(dir, 'workflow-bundle.json');
  writeFileSync(path, JSON.stringify(await bundleWorkflows(new DefaultLogger('WARN'))));
  project.provide('workflowBundlePath', path);
  return () => rmSync(dir, { recursive: true, force: true });
}
