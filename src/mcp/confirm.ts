/**
 * Confirmation through MCP 2026-07-28's multi-round-trip requests (README "Safety"): a destructive call answers
 * `input_required` with the preview as a question, and the client calls again with the person's answer and the
 * request state it was given. That state carries the confirm token the gate issued for the preview — bound by the
 * gate to the tool, the exact arguments, the caller and the machines as shown, single-use and short-lived — sealed
 * with AES-GCM under a key kept in the Store (so any process or Worker isolate can open it) and bound to the caller:
 * nobody can read, forge, alter or reuse it for someone else, and the gate still checks everything the token binds.
 */
import { aeadKey, seal, unseal } from '../base/aead.ts';
import type { Clock } from '../base/clock.ts';
import { randomBase64url } from '../base/ids.ts';
import { type Principal, principalKey } from '../core/access.ts';
import { argsHash, CONFIRM_TTL_MS } from '../core/gate.ts';
import type { Store } from '../store/types.ts';

/** What a confirmation's request state holds. */
export interface ConfirmState {
  tool: string;
  /** The arguments previewed (the gate's digest of them). */
  args: string;
  /** The gate's confirm token for that preview. */
  token: string;
  /** When it stops being accepted (ms since the epoch, by the server's clock). */
  exp: number;
}

const PREFIX = 'c1.';
const KEY_NAME = 'mcp:confirm-state-key';
/** A state key is replaced after a year; states in flight then (minutes old at most) are asked again. */
const KEY_TTL_MS = 365 * 24 * 60 * 60_000;

/** The key every process shares, per store (made once, atomically, by whoever needs it first). */
const keys = new WeakMap<Store, Promise<{ key: Awaited<ReturnType<typeof aeadKey>>; until: number }>>();

async function stateKey(store: Store, clock: Clock) {
  let cached = keys.get(store);
  if (cached) {
    const k = await cached.catch(() => undefined);
    if (k && k.until > clock.now()) return k.key;
  }
  cached = (async () => {
    const fresh = randomBase64url(32);
    await store.addValue(KEY_NAME, fresh, clock.now() + KEY_TTL_MS);
    const material = (await store.getValue(KEY_NAME)) ?? fresh;
    const bytes = Uint8Array.from(atob(material.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
      c.charCodeAt(0),
    );
    // Re-read well before the stored key expires, so every process moves to the next one together.
    return { key: await aeadKey(bytes), until: clock.now() + 60 * 60_000 };
  })();
  keys.set(store, cached);
  cached.catch(() => keys.delete(store));
  return (await cached).key;
}

/** Why a request state cannot be used: the SDK answers -32602 "Invalid or expired requestState" on the wire. */
export class BadConfirmState extends Error {
  override name = 'BadConfirmState';
}

/** Seals the state of one confirmation for `principal`. */
export async function sealConfirmState(
  store: Store,
  clock: Clock,
  principal: Principal,
  state: Omit<ConfirmState, 'exp'>,
): Promise<string> {
  const full: ConfirmState = { ...state, exp: clock.now() + CONFIRM_TTL_MS };
  return PREFIX + (await seal(await stateKey(store, clock), JSON.stringify(full), context(principal)));
}

/** Opens a request state sealed for `principal`; throws {@link BadConfirmState} for anything else. */
export async function openConfirmState(
  store: Store,
  clock: Clock,
  principal: Principal,
  sealed: string,
): Promise<ConfirmState> {
  if (!sealed.startsWith(PREFIX)) throw new BadConfirmState('not a confirmation state of this server');
  const text = await unseal(await stateKey(store, clock), sealed.slice(PREFIX.length), context(principal));
  if (text === undefined) throw new BadConfirmState('altered, sealed with another key, or for someone else');
  const state = JSON.parse(text) as ConfirmState;
  if (clock.now() >= state.exp) throw new BadConfirmState('expired');
  return state;
}

/** Whether a state belongs to this very call: the same tool and the same arguments as previewed. */
export async function confirmsThisCall(
  state: ConfirmState,
  tool: string,
  args: Record<string, unknown>,
): Promise<boolean> {
  return state.tool === tool && state.args === (await argsHash(args));
}

function context(principal: Principal): string {
  return `maas-mcp confirm state for ${principalKey(principal)}`;
}
