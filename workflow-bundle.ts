import {
  bundleWorkflowCode,
  type Logger,
  Runtime,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

/** The workflow bundle's entry point: every workflow the worker runs. */
export const workflowsPath = new URL('./workflows/index.ts', import.meta.url).pathname;

/**
 * How the workflow code is bundled: by the worker, and by the tests that run or replay workflows, so they
 * check the bundle production runs.
 *
 * All workflows of a worker run in one reused V8 context. A module loaded while a workflow runs gets an
 * instance for that workflow alone, and the workflow modules (our domain, zod and 461 schemas built from
 * it) came to 935 KiB of heap per cached workflow: most of what an open project cost. They are therefore
 * preloaded: loaded once, when the context is made, and shared by every workflow in it, which leaves
 * 13 KiB per workflow (`bench/scale/module-cost.ts`). The SDK deep-freezes what it shares, so the shared
 * modules must hold no state that a workflow changes: at module level the workflow graph has constants,
 * read-only sets and maps, and schemas, and `test/workflows/shared-modules.test.ts` keeps it that way.
 *
 * Bundling: the SDK bundles in webpack's development mode, where every module of zod is instantiated
 * whether the workflow uses it or not. Here modules that their package marks free of side effects and
 * that nothing uses are left out, and ES modules are concatenated. No minifying and no mangled export
 * names: the workflows are found by name and stack traces read the same.
 */
export const workflowBundlerOptions: NonNullable<WorkerOptions['bundlerOptions']> = {
  preloadModules: [workflowsPath],
  webpackConfigHook: (config) => ({
    ...config,
    optimization: {
      ...config.optimization,
      sideEffects: true,
      usedExports: true,
      innerGraph: true,
      concatenateModules: true,
    },
  }),
};

let bundled: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * Bundle the workflow code as the worker runs it (webpack: seconds). Webpack's report goes to `logger`:
 * by default the SDK runtime's, as when Worker.create bundles.
 */
export function bundleWorkflows(
  logger: Logger = Runtime.instance().logger,
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...workflowBundlerOptions, workflowsPath, logger });
}

/**
 * The workflow code bundled once per process, for Worker.create and Worker.runReplayHistory. Bundling takes seconds (2.2 s on a
 * quiet machine, several times that on a busy one), and a worker that restarts in its process (a
 * pause, a drain and start again) would otherwise bundle again while projects wait for it. The bundle
 * carries its preloading: the context each worker makes from it shares the modules as above.
 */
export function workflowBundle(): Promise<{ workflowBundle: WorkflowBundleWithSourceMap }> {
  if (!bundled) {
    bundled = bundleWorkflows();
    // A failed bundling is not kept: the next worker tries again.
    bundled.catch(() => {
      bundled = undefined;
    });
  }
  return bundled.then((workflowBundle) => ({ workflowBundle }));
}

/**
 * Use a bundle made elsewhere from this same checkout by `bundleWorkflows` (the test suite makes one
 * for all its files, instead of one per file).
 */
export function adoptWorkflowBundle(bundle: WorkflowBundleWithSourceMap): void {
  bundled = Promise.resolve(bundle);
}
