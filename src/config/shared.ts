/**
 * What every settings parser shares (src/config.ts and the files beside it): the roles, the error a bad setting
 * raises, and the small readers. Imports nothing of ours, so the parsers can use it without importing each other.
 */
import * as z from 'zod/v4';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const Role = z.enum(ROLES);

/** A setting that cannot be used; `message` is the one line to print. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A setting's value trimmed, or undefined when it is unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** True for hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** `role` as a Role, or a ConfigError that names `where` and the roles accepted. */
export function roleNamed(where: string, role: string): Role {
  if (!Role.safeParse(role).success) {
    throw new ConfigError(`${where}: role must be one of ${ROLES.join(', ')} (got "${role}")`);
  }
  return role as Role;
}
