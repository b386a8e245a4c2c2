/**
 * Who may do what in Slack (SLACK_ROLES): a rule for the user wins; otherwise the highest role among the user
 * groups they belong to (asked of Slack, cached for 5 minutes); otherwise the `*` rule; otherwise nothing.
 * With no SLACK_ROLES at all, everyone is a viewer (read-only).
 */

import type { Clock } from '../base/clock.ts';
import type { Logger } from '../base/log.ts';
import type { Role, SlackRoleRule } from '../config.ts';
import { higherRole } from '../core/access.ts';
import type { SlackApi } from './api.ts';

const GROUP_TTL_MS = 5 * 60_000;

export class SlackRoles {
  private readonly groups = new Map<string, { members: Set<string>; until: number }>();

  constructor(
    private readonly rules: readonly SlackRoleRule[],
    private readonly api: SlackApi | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async roleOf(userId: string): Promise<Role | undefined> {
    if (this.rules.length === 0) return 'viewer';
    const own = this.rules.find((r) => r.subject === userId);
    if (own) return own.role;
    let best: Role | undefined;
    for (const rule of this.rules.filter((r) => r.subject.startsWith('S'))) {
      if ((await this.members(rule.subject)).has(userId)) best = higherRole(best, rule.role);
    }
    return best ?? this.rules.find((r) => r.subject === '*')?.role;
  }

  private async members(group: string): Promise<Set<string>> {
    const now = this.clock.now();
    const cached = this.groups.get(group);
    if (cached && cached.until > now) return cached.members;
    let members = new Set<string>();
    try {
      if (this.api) members = new Set(await this.api.usergroupMembers(group));
    } catch (err) {
      // Fail closed: a group we cannot read grants nothing (retried in a minute).
      this.log.warn('could not read a Slack user group for SLACK_ROLES', { group, error: err });
      this.groups.set(group, { members, until: now + 60_000 });
      return members;
    }
    this.groups.set(group, { members, until: now + GROUP_TTL_MS });
    return members;
  }
}
