/**
 * The status page is a list of sections, each a data provider with its view: what it loads for the person looking,
 * how it renders, and one line that says what changed (read out by screen readers when it updates). The page,
 * its event stream and each section's refresh all go through this list (sections/index.ts), so a new section is
 * one file there.
 */
import type { Child } from 'hono/jsx';
import type { Principal } from '../core/access.ts';
import type { Deps } from '../core/deps.ts';
import type { AnyTool } from '../core/tool.ts';
import type { FleetSnapshot } from './fleet.ts';

/** What every section loads from: who looks, what they may do, and the fleet read shared by all sections. */
export interface PageContext {
  deps: Deps;
  viewer: Principal;
  tools: readonly AnyTool[];
  /** The fleet (one read for the whole page). */
  fleet(): Promise<FleetSnapshot>;
  /** The CSRF token for this viewer's forms; absent when this server cannot sign one (no actions offered). */
  csrf: string | undefined;
  /** Whether the viewer came with a page session (browser sign-in): the page then offers to sign out. */
  signedIn?: boolean;
  /** How the grid is grouped, and which page of machines it shows. */
  grid: { by: 'zone' | 'pool'; page: number };
}

export interface PageSection<T> {
  /** The element id of its body (and the name its updates carry). */
  id: string;
  title: string;
  /** Whether `ctx.viewer` may see it at all (default: everyone who may see the page). */
  shows?(ctx: PageContext): boolean;
  load(ctx: PageContext): Promise<T>;
  render(data: T, ctx: PageContext): Child;
  /** One line a person would want read out when it changes ("2 operations running"). */
  summary(data: T): string;
  /** False for a section too large to resend on every change (the machine grid: its cells update one by one). */
  live?: boolean;
}

/** A section with its data type hidden, as the page lists them. */
export interface Section {
  id: string;
  title: string;
  live: boolean;
  shows(ctx: PageContext): boolean;
  build(ctx: PageContext): Promise<{ body: Child; summary: string }>;
}

export function defineSection<T>(s: PageSection<T>): Section {
  return {
    id: s.id,
    title: s.title,
    live: s.live ?? true,
    shows: (ctx) => s.shows?.(ctx) ?? true,
    build: async (ctx) => {
      const data = await s.load(ctx);
      return { body: s.render(data, ctx), summary: s.summary(data) };
    },
  };
}

/** "1 machine", "3 machines". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A time as people read it on the page: "14:03:27 UTC". */
export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}
