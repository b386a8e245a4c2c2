/**
 * Confirmation through MCP 2026-07-28's multi-round-trip requests (README "Safety"): a destructive call answers
 * `input_required` with the preview as a question, and the client calls again with the person's answer and the
 * request state it was given. That state carries the confirm token the gate issued for the preview — bound by the
 * gate to the tool, the exact arguments, the caller and the machines as shown, single-use and short-lived — sealed
 * with AES-GCM under a key made from the server's own key (so any process or Worker isolate can open it, and no
 * store holds it) and bound to the caller:
 * nobody can read, forge, alter or reuse it for someone else, and the gate still checks everything the token binds.
 */
import { type AeadKey, derivedKey, seal, unseal } from '../base/aead.ts';
import { randomBase64url } from '../base/ids.ts';
import { type Principal, principalKey } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import { argsHash, CONFIRM_TTL_MS } from '../core/gate.ts';

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

/**
 * A key for a server without one of its own (tests): this process alone can open what it sealed. Made on first use
 * (a Worker may not make random values at load).
 */
let processSecret: string | undefined;
const keys = new Map<string, Promise<AeadKey>>();

/**
 * The key request states are sealed under, made from the server's key (Deps.sealKey: the MAAS API key, which every
 * process and Worker isolate has and nothing stores) for this use alone.
 */
function stateKey(sealKey: string | undefined): Promise<AeadKey> {
  if (sealKey === undefined) processSecret ??= randomBase64url(32);
  const secret = sealKey ?? (processSecret as string);
  let key = keys.get(secret);
  if (!key) {
    key = derivedKey(secret, 'confirm state');
    keys.set(secret, key);
  }
  return key;
}

type StateDeps = Pick<Deps, 'sealKey' | 'clock'>;

/** Why a request state cannot be used: the SDK answers -32602 "Invalid or expired requestState" on the wire. */
export class BadConfirmState extends Error {
  override name = 'BadConfirmState';
}

/** Seals the state of one confirmation for `principal`. */
export async function sealConfirmState(
  deps: StateDeps,
  principal: Principal,
  state: Omit<ConfirmState, 'exp'>,
): Promise<string> {
  const full: ConfirmState = { ...state, exp: deps.clock.now() + CONFIRM_TTL_MS };
  return PREFIX + (await seal(await stateKey(deps.sealKey), JSON.stringify(full), context(principal)));
}

/** Opens a request state sealed for `principal`; throws {@link BadConfirmState} for anything else. */
export async function openConfirmState(
  deps: StateDeps,
  principal: Principal,
  sealed: string,
): Promise<ConfirmState> {
  if (!sealed.startsWith(PREFIX)) throw new BadConfirmState('not a confirmation state of this server');
  const text = await unseal(await stateKey(deps.sealKey), sealed.slice(PREFIX.length), context(principal));
  if (text === undefined) throw new BadConfirmState('altered, sealed with another key, or for someone else');
  const state = JSON.parse(text) as ConfirmState;
  if (deps.clock.now() >= state.exp) throw new BadConfirmState('expired');
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
