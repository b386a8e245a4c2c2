/** How a call waits for the operation it started (`wait: true`), and what it says when the wait ends first. */
import * as z from 'zod/v4';
import type { ToolContext } from './deps.ts';

/** `wait` and `wait_timeout_s`, for tools whose operation can be waited on. */
export const waitFields = {
  wait: z.boolean().default(false).describe('Wait, with progress, until MAAS finishes'),
  wait_timeout_s: z
    .number()
    .int()
    .min(1)
    .max(900)
    .default(45)
    .describe('With wait: give up after this many seconds'),
};

/** How long this call waits, in seconds: wait_timeout_s (default 45), capped at what its caller can wait. */
export function waitSeconds(args: { wait_timeout_s?: unknown }, ctx: Pick<ToolContext, 'maxWaitS'>): number {
  const asked = typeof args.wait_timeout_s === 'number' ? args.wait_timeout_s : 45;
  return ctx.maxWaitS === undefined ? asked : Math.min(asked, ctx.maxWaitS);
}

/** What to say when a wait ends before the operation does: how to keep following it. */
export function stillGoing(id: string, waitedS: number, askedS: number): string {
  const capped =
    waitedS < askedS
      ? ` (one call waits at most ${waitedS} s, so that the client's request does not time out)`
      : '';
  return `Still going after ${waitedS} s${capped}. Keep following it with operation_get (id "${id}", wait: true), or run the call as an MCP task; a notice follows when it ends.`;
}
