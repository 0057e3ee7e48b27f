import type { WorkerOptions } from '@temporalio/worker';

/**
 * How the workflow code is bundled: by the worker, and by the tests that run or replay workflows, so they
 * check the bundle production runs. Each cached workflow gets its own instance of every module the bundle
 * loads (one reused V8 context, module state per workflow), so their size is paid once per open project.
 * The SDK bundles in webpack's development mode, where every module of zod is instantiated whether the
 * workflow uses it or not. Here the modules that their package marks free of side effects and that
 * nothing uses are left out, and ES modules are concatenated (one scope instead of a module record and
 * export getters each): 1.44 → 1.05 MiB of heap per workflow (`bench/scale/module-cost.ts`). No minifying and
 * no mangled export names: the workflows are found by name and stack traces read the same.
 */
export const workflowBundlerOptions: NonNullable<WorkerOptions['bundlerOptions']> = {
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
