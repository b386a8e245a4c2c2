/**
 * What the MAAS user behind the API key may do. MAAS keeps some operations to its admins (`is_superuser`: the admin
 * permission of MAAS `maasserver/auth/local.py`, and `@admin_method`); `users/?op=whoami` says who the key is. With
 * another user's key maas-mcp says so before it reads, previews or asks anyone to confirm — MAAS would otherwise
 * answer 403 only after the confirmation.
 */
import type { ToolContext } from './deps.ts';
import { Refusal } from './errors.ts';

/** Refuses a call of a tool only MAAS admins may use when the API key is not a MAAS admin's. */
export async function requireMaasAdmin(tool: { name: string }, ctx: ToolContext): Promise<void> {
  const me = await ctx.deps.maas.me({ signal: ctx.signal });
  if (me.is_superuser) return;
  throw new Refusal(
    `${tool.name} needs a MAAS admin, and the MAAS API key maas-mcp uses is ${me.username}'s, who is not one — MAAS would refuse it. Nothing was changed. Give maas-mcp a MAAS admin's API key (MAAS_API_KEY), or ask a MAAS admin to do it.`,
    'maas-rights',
  );
}
