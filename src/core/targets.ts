/**
 * Resolving what a caller typed (hostnames, FQDNs, system_ids) to machines, in at most two batched MAAS
 * requests whatever the number of targets: one `?id=…` for everything that could be a system_id, one
 * `?hostname=…` for the rest.
 */
import type { MaasClient } from '../maas/client.ts';
import type { MachineSummary } from '../maas/schemas.ts';
import { ToolError } from './errors.ts';

/** MAAS system_ids are short lower-case alphanumerics (e.g. "4y3ha3"). */
const SYSTEM_ID = /^[a-z0-9]{4,10}$/;

export interface Resolution {
  /** Each distinct machine once, in the order first asked for. */
  machines: MachineSummary[];
  /** The caller's words for each machine (system_id → what they typed). */
  asked: Map<string, string>;
  /** Words that matched nothing this MAAS user can see. */
  missing: string[];
}

/** Splits "web-01, web-02 web-03" and lists into distinct references, keeping order. */
export function normaliseRefs(refs: string | readonly string[]): string[] {
  const list = typeof refs === 'string' ? [refs] : refs;
  const out: string[] = [];
  for (const item of list) {
    for (const word of item.split(/[\s,]+/)) {
      const w = word.trim();
      if (w && !out.includes(w)) out.push(w);
    }
  }
  return out;
}

export async function resolveMachines(
  maas: MaasClient,
  refs: string | readonly string[],
  signal?: AbortSignal,
): Promise<Resolution> {
  const words = normaliseRefs(refs);
  if (words.length === 0) throw new ToolError('name at least one machine (hostname or system_id)');
  if (words.length > 100) throw new ToolError(`at most 100 machines at once (got ${words.length})`);

  const byWord = new Map<string, MachineSummary>();
  const idLike = words.filter((w) => SYSTEM_ID.test(w));
  if (idLike.length > 0) {
    for (const m of await maas.listMachines({ id: idLike }, { signal })) byWord.set(m.system_id, m);
  }

  const rest = words.filter((w) => !byWord.has(w));
  if (rest.length > 0) {
    const hostnames = [...new Set(rest.map(hostPart))];
    const found = await maas.listMachines({ hostname: hostnames }, { signal });
    for (const w of rest) {
      const match = matchHostname(w, found);
      if (match) byWord.set(w, match);
    }
  }

  const machines: MachineSummary[] = [];
  const asked = new Map<string, string>();
  const missing: string[] = [];
  for (const w of words) {
    const m = byWord.get(w);
    if (!m) missing.push(w);
    else if (!asked.has(m.system_id)) {
      asked.set(m.system_id, w);
      machines.push(m);
    }
  }
  return { machines, asked, missing };
}

/** The lookup key for a hostname or FQDN: MAAS's `hostname=` filter matches the bare host part. */
export function hostPart(word: string): string {
  return word.split('.')[0] as string;
}

export function looksLikeSystemId(word: string): boolean {
  return SYSTEM_ID.test(word);
}

/**
 * The one machine among `candidates` that `word` names by hostname or FQDN; throws when it names several
 * (the same hostname in two domains).
 */
export function matchHostname<M extends { hostname: string; fqdn: string; system_id: string }>(
  word: string,
  candidates: readonly M[],
): M | undefined {
  const isFqdn = word.includes('.');
  const matches = candidates.filter((m) => (isFqdn ? m.fqdn === word : m.hostname === word));
  if (matches.length > 1) {
    throw new ToolError(
      `"${word}" matches ${matches.length} machines (${matches.map((m) => m.fqdn || m.system_id).join(', ')}); use the FQDN or system_id`,
    );
  }
  return matches[0];
}

/** Resolves exactly one machine or throws a ToolError a person can act on. */
export async function resolveMachine(
  maas: MaasClient,
  ref: string,
  signal?: AbortSignal,
): Promise<MachineSummary> {
  const { machines, missing } = await resolveMachines(maas, ref, signal);
  if (missing.length > 0 || !machines[0]) throw notFound(missing.length ? missing : [ref]);
  if (machines.length > 1) throw new ToolError('name one machine here, not several');
  return machines[0];
}

export function notFound(words: readonly string[]): ToolError {
  const list = words.map((w) => `"${w}"`).join(', ');
  return new ToolError(
    `no machine ${words.length > 1 ? 'matches' : 'is'} ${list} (by hostname, FQDN or system_id) among those this MAAS user can see`,
  );
}
