import { TestWorkflowEnvironment } from '@temporalio/testing';
import { testServerPath } from '../../scripts/toolchain';

/**
 * A Temporal time-skipping test server (the Java one from Maven Central, fetched by
 * scripts/setup.sh) on a free port, with a client and a native connection for a worker. Each call
 * starts its own server; call `env.teardown()` when done (afterAll), which stops it.
 *
 * `existing-path`: the SDK would otherwise download the server from a host these machines cannot
 * reach. It starts the wrapper as `<path> <port> --enable-time-skipping` and waits 5 s for it to
 * accept connections (the JVM is up in under a second here).
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}
