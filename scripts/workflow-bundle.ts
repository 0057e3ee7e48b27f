import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * The project workflow as one build: the bundle a worker runs (Worker.create `workflowBundle`), without
 * its inline source map. `npm run bundle -- <file.js.gz>` writes one, gzipped; the upgrade drill keeps an
 * earlier build this way (test/fixtures/build-a/), and a deployment can ship the bundle it tested.
 */

export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: new URL('../workflows/index.ts', import.meta.url).pathname,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const map = code.lastIndexOf('//# sourceMappingURL=');
  return map === -1 ? code : code.slice(0, map);
}

/** A bundle written by `npm run bundle`, as Worker.create takes it. */
export function readBundle(gz: Buffer): { code: string } {
  return { code: gunzipSync(gz).toString('utf8') };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('Usage: npm run bundle -- <file.js.gz>');
    process.exit(2);
  }
  const code = await bundleWorkflows();
  writeFileSync(out, gzipSync(code, { level: 9 }));
  console.log(`workflow bundle: ${code.length} bytes, written gzipped to ${out}`);
}
