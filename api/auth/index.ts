/**
 * Everything api/auth.ts exported before it was split, for importers that still say `…/api/auth`.
 * New code imports from the module it needs:
 *
 * - principal.ts: `Role`, `Principal`, the context variables `authenticate` sets;
 * - key-material.ts: the key format, making keys, checking a presented one (pure);
 * - people-and-keys.ts: registering people, issuing, listing and revoking keys (the rules);
 * - middleware.ts: `authenticate`, `guard`, `requireRole`, AUTHENTICATED_PATHS, the OpenAPI scheme;
 * - client-ip.ts: where a request comes from;
 * - permissions.ts: who may do what (`can…`, `forbidden`, `actorOf`).
 *
 * The statements on `people` and `api_keys` are db/people.ts and db/keys.ts.
 */

export { listPeople } from '../../db/people';
export * from './client-ip';
export * from './key-material';
export * from './middleware';
export * from './people-and-keys';
export * from './permissions';
export * from './principal';
