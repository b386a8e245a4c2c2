/**
 * (f) The tool catalogue's size: what `tools/list` costs a model's context, in bytes of JSON, for every toolset on
 * (target ≤ 48 KB) and per toolset, as a 2026-07-28 client and a 2025 one see it (an admin sees every tool).
 */
import { TOOLSETS } from '../src/config.ts';
import { toolList } from '../src/mcp/tool-list.ts';
import { enabledTools } from '../src/tools/index.ts';

export interface CatalogueRow {
  toolsets: string;
  tools: number;
  modern_bytes: number;
  legacy_bytes: number;
}

/** The budget for the whole catalogue, every toolset on. */
export const CATALOGUE_BUDGET = 48 * 1024;

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

function row(toolsets: readonly (typeof TOOLSETS)[number][], name: string): CatalogueRow {
  const tools = enabledTools({ toolsets: new Set(toolsets), readOnly: false, role: 'admin' });
  return {
    toolsets: name,
    tools: tools.length,
    modern_bytes: bytes({ tools: toolList(tools, 'modern') }),
    legacy_bytes: bytes({ tools: toolList(tools, 'legacy') }),
  };
}

export function catalogue(): CatalogueRow[] {
  return [row(TOOLSETS, 'all'), ...TOOLSETS.map((t) => row([t], t))];
}
