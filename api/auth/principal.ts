import { z } from 'zod';
import { principalRoles } from '../../db/schema';

/**
 * Who is calling: the principal an API key stands for, and the context variables `authenticate`
 * (api/auth/middleware.ts) sets. What a principal may do is api/auth/permissions.ts.
 */

export const Role = z.enum(principalRoles).describe('What a key may do');
export type Role = z.infer<typeof Role>;

export const Principal = z
  .object({
    keyId: z.string(),
    personId: z.string().nullable(),
    name: z.string().describe("The person's name, or the key's label when it names no person"),
    role: Role,
    department: z.string().nullable(),
  })
  .meta({ id: 'Principal', description: 'Who a request acts as, from its API key' });
export type Principal = z.infer<typeof Principal>;

/** Context variables set by `authenticate`. */
export type AuthEnv = { Variables: { principal: Principal; clientIp: string | null } };

declare module 'hono' {
  interface ContextVariableMap {
    /**
     * The caller, set by `authenticate`. Present on every path in AUTHENTICATED_PATHS (and on routes
     * with `guard(...)` in their middleware); elsewhere it is undefined at run time despite the type.
     */
    principal: Principal;
    /** The caller's address (see `clientIp`), set by `authenticate`. */
    clientIp: string | null;
  }
}
