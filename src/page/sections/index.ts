/** The status page's sections, top to bottom. A new one is a file beside these and a line here. */
import type { Section } from '../section.ts';
import { approvals } from './approvals.tsx';
import { audit } from './audit.tsx';
import { clusters } from './clusters.tsx';
import { failures } from './failures.tsx';
import { counts, grid, groups } from './fleet.tsx';
import { operations, workflows } from './operations.tsx';

export const SECTIONS: readonly Section[] = [
  counts,
  approvals,
  operations,
  workflows,
  clusters,
  failures,
  groups,
  grid,
  audit,
];
