import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DefaultLogger } from '@temporalio/worker';
import { bundleWorkflows } from '../workflow-bundle';

/**
 * The project workflow as one build: the bundle a worker runs (Worker.create `workflowBundle`), its
 * inline source map (which the worker requires) kept without the sources' text. `npm run bundle --
 * <file.js.gz>` writes one, gzipped; the upgrade drill keeps an earlier build this way
 * (test/fixtures/build-a/), and a deployment can ship the bundle it tested.
 */

export async function shippableBundle(): Promise<string> {
  // The bundle the worker makes: the build shipped is the build tested.
  const { code } = await bundleWorkflows(new DefaultLogger('WARN'));
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const comma = code.indexOf(',', at);
  if (at === -1 || comma === -1) return code;
  const map = JSON.parse(Buffer.from(code.slice(comma + 1).trim(), 'base64').toString('utf8'));
  delete map.sourcesContent;
  return `${code.slice(0, comma + 1)}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
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
  const code = await shippableBundle();
  writeFileSync(out, gzipSync(code, { level: 9 }));
  console.log(`workflow bundle: ${code.length} bytes, written gzipped to ${out}`);
}
