import { z } from 'zod';

/**
 * What `npm start` (scripts/start.ts, which supervises its children) tells its API over the IPC
 * channel: which pieces it is restarting after they exited. /healthz reports them. An API started
 * any other way (compose, `npm run api`) has no channel and hears nothing: then nothing is restarting.
 */

export const SupervisedPiece = z.enum(['worker', 'api', 'temporal', 'postgres']);
export type SupervisedPiece = z.infer<typeof SupervisedPiece>;

/** The message start.ts sends at the API's start and whenever a piece starts or ends a restart. */
export const SupervisionMessage = z.object({
  type: z.literal('greenlane-supervision'),
  restarting: z.array(SupervisedPiece),
});

export type Supervision = {
  /** The pieces being restarted right now (empty when all run, or when nobody supervises this API). */
  restarting(): readonly SupervisedPiece[];
};

/** The parts of `process` this needs (a test passes an EventEmitter). */
export type ParentChannel = {
  send?: unknown;
  channel?: { unref(): void } | null;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
};

/**
 * Listens to the parent's messages when this process has an IPC channel; undefined when it has none.
 * A parent that goes away (killed) takes what it said with it.
 */
export function supervisionFromParent(proc: ParentChannel = process): Supervision | undefined {
  if (typeof proc.send !== 'function') return undefined;
  let restarting: SupervisedPiece[] = [];
  proc.on('message', (message) => {
    const parsed = SupervisionMessage.safeParse(message);
    if (parsed.success) restarting = parsed.data.restarting;
  });
  proc.on('disconnect', () => {
    restarting = [];
  });
  // The channel alone does not keep the process alive: the HTTP server does, until shutdown.
  proc.channel?.unref();
  return { restarting: () => restarting };
}
