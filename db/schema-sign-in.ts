import type { GeneratedTimestamp, Timestamp } from './schema';

/** The sign-in tables of the Greenlane database: browser sessions and the identity provider's links (re-exported by db/schema.ts). */

/** A signed-in browser: only the SHA-256 of its opaque token is kept (migration 2026-12-04T05). */
export interface WebSessionsTable {
  /** Lower-case hex SHA-256 of the token the browser holds. */
  id: string;
  /** Signed in with this API key; its revocation ends the session. */
  key_id: string | null;
  /** Signed in as this person (the organisation's identity provider). */
  person_id: string | null;
  /** Sent back by every form of the session (synchronizer token). */
  csrf_token: string;
  created_at: GeneratedTimestamp;
  last_seen_at: GeneratedTimestamp;
  /** The absolute end, whatever the activity. */
  expires_at: Timestamp;
  ended_at: Timestamp | null;
  user_agent: string | null;
  /** The ID token of a session signed in through the identity provider (id_token_hint at sign-out). */
  id_token: string | null;
}

/** Which person an identity of the provider is (migration 2026-12-07T09). */
export interface OidcIdentitiesTable {
  issuer: string;
  /** The ID token's `sub`. */
  subject: string;
  person_id: string;
  linked_at: GeneratedTimestamp;
  /** The key id of the operator who linked it, or `claim:<name>` when a first sign-in did. */
  linked_by: string;
}

/** A sign-in under way at the provider: its state, nonce and PKCE verifier, taken once. */
export interface OidcLoginsTable {
  /** Lower-case hex SHA-256 of the token in the browser's cookie. */
  id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  expires_at: Timestamp;
}
