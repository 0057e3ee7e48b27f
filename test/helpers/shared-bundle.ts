import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { adoptWorkflowBundle } from '../../workflow-bundle';

// setupFiles: this file's workers use the bundle made once for the project (bundle-once.ts).
adoptWorkflowBundle(JSON.parse(readFileSync(inject('workflowBundlePath'), 'utf8')));
