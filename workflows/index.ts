// The workflow bundle's entry point (workflowsPath): everything the worker runs as a workflow.
export { digestWorkflow } from './digest';
export { majorProjectWorkflow } from './major-project';
