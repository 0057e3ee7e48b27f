import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in tests log only warnings and errors (bundle statistics and state changes at INFO would bury
// vitest's own output). One Runtime per test process; this runs before any worker is created.
Runtime.install({ logger: new DefaultLogger('WARN') });
