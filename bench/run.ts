/**
 * `npm run bench`: every speed and memory target of the project, measured as ratios within one run, printed as
 * a table and written to bench/results/latest.json. (Tests never assert timings; this is where they live.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { CATALOGUE_BUDGET, catalogue } from './catalogue.ts';
import { economy } from './economy.ts';
import { overhead } from './overhead.ts';
import { pageBench } from './page.ts';
import { policyBench } from './policy.ts';
import { pollerBench } from './poller.ts';
import { scale } from './scale.ts';
import { slackAck } from './slack-ack.ts';
import { ms } from './stats.ts';
import { workflowsBench } from './workflows.ts';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const results: Record<string, unknown> = { node: process.version, at: new Date().toISOString() };
const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');

if (want('overhead')) {
  const rows = await overhead();
  results.overhead = rows;
  console.log(
    '\n(a) tool-call overhead, MCP vs direct MAAS request (target p50 ratio ≤ 1.3× against the in-process simulator)',
  );
  for (const r of rows) {
    console.log(
      `  ${r.maas.padEnd(10)} ${r.tool.padEnd(14)} c=${String(r.concurrency).padEnd(3)} direct p50 ${ms(r.direct_p50)} p99 ${ms(r.direct_p99)} | MCP p50 ${ms(r.mcp_p50)} p99 ${ms(r.mcp_p99)} | ratio ${r.ratio_p50.toFixed(2)}×${r.maas === 'in-process' ? ` ${verdict(r.ratio_p50 <= 1.3)}` : ''}`,
    );
  }
}

if (want('economy')) {
  const r = await economy();
  results.economy = r;
  console.log('\n(b) output economy at 1,000 machines (target ≤ 150 bytes a row)');
  console.log(
    `  MAAS JSON ${r.maas_bytes_per_machine.toFixed(0)} B/machine | machines_list ${r.tool_bytes_per_row.toFixed(0)} B/row (text ${r.text_bytes_per_row.toFixed(0)}, structured ${r.structured_bytes_per_row.toFixed(0)}) | ${(1 / r.ratio).toFixed(0)}× smaller ${verdict(r.tool_bytes_per_row <= 150)}`,
  );
}

if (want('scale')) {
  const r = await scale();
  results.scale = r;
  console.log(
    `\n(c) machines_list against ${r.machines.toLocaleString('en')} machines (${r.answer_mb.toFixed(0)} MB answer; simulator in its own process)`,
  );
  console.log(
    `  bare transfer ${ms(r.transfer.ms)}, peak RSS ${r.transfer.peak_mb.toFixed(0)} MB (baseline ${r.transfer.baseline_mb.toFixed(0)} MB)`,
  );
  console.log(
    `  machines_list ${ms(r.tool.ms)}, peak RSS ${r.tool.peak_mb.toFixed(0)} MB (+${r.tool_growth_mb.toFixed(0)} MB) | ${r.time_ratio.toFixed(2)}× transfer ${verdict(r.time_ratio <= 1.5)} | memory ${verdict(r.tool_growth_mb < r.answer_mb)}`,
  );
  console.log(
    `  for comparison, JSON.parse of the whole answer: ${ms(r.naive.ms)}, +${r.naive_growth_mb.toFixed(0)} MB`,
  );
}

if (want('poller')) {
  const rows = await pollerBench();
  results.poller = rows;
  console.log(
    '\n(d) poller per tick (simulator in its own process; target ≤ 2 requests for 200 operations over 200 machines)',
  );
  for (const r of rows) {
    console.log(
      `  ${r.store.padEnd(6)} ${String(r.operations).padStart(4)} ops / ${String(r.machines).padStart(4)} machines: ${r.requests_per_tick} requests, CPU ${ms(r.cpu_ms_per_tick)}, wall ${ms(r.wall_ms_per_tick)}, heap +${r.heap_mb.toFixed(1)} MB`,
    );
  }
}

if (want('slack')) {
  const rows = await slackAck();
  results.slack = rows;
  console.log('\n(e) Slack ack latency while MAAS answers take 5 s (target p99 < 300 ms)');
  for (const r of rows) {
    console.log(
      `  ${r.command.padEnd(12)} ${r.requests} requests: p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)} ${verdict(r.p99 < 300)}`,
    );
  }
}

if (want('catalogue')) {
  const rows = catalogue();
  results.catalogue = rows;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`\n(f) tools/list size, as JSON (target: every toolset ≤ ${kb(CATALOGUE_BUDGET)})`);
  for (const r of rows) {
    const verdictOf =
      r.toolsets === 'all' ? ` ${verdict(Math.max(r.modern_bytes, r.legacy_bytes) <= CATALOGUE_BUDGET)}` : '';
    console.log(
      `  ${r.toolsets.padEnd(10)} ${String(r.tools).padStart(2)} tools: 2026-07-28 ${kb(r.modern_bytes)}, 2025-11-25 ${kb(r.legacy_bytes)}${verdictOf}`,
    );
  }
}

if (want('workflows')) {
  const r = await workflowsBench();
  results.workflows = r;
  console.log(
    `\n(g) workflows: ${r.hosts} hosts × (${r.steps.join(' → ')}) on the simulator in its own process (time scale 0.02; target ≤ 1.2× one host, ≤ 1 read per 100 machines a tick)`,
  );
  console.log(
    `  one host ${r.one_host_s.toFixed(1)} s | ${r.hosts} hosts ${r.all_hosts_s.toFixed(1)} s = ${r.ratio.toFixed(2)}× one host ${verdict(r.ratio <= 1.2)} (one after another: ~${r.sequential_estimate_s.toFixed(0)} s)`,
  );
  console.log(
    `  poller: ${r.poll_ticks} ticks, up to ${r.max_machines_per_tick} machines and ${r.max_requests_per_tick} request(s) a tick, ${r.ticks_over_budget} ticks over one request per 100 machines ${verdict(r.ticks_over_budget === 0)}; ${r.maas_requests_per_host.toFixed(1)} MAAS requests per host in all`,
  );
}

if (want('page')) {
  const r = await pageBench();
  results.page = r;
  console.log(
    `\n(h) the status page at ${r.machines.toLocaleString('en')} machines (in-process simulator; targets: cold ≤ 1.5× the bare read, warm ≤ 0.25×, ≤ 400 KB)`,
  );
  console.log(
    `  bare read ${ms(r.transfer_ms)} | cold page ${ms(r.cold_ms)} = ${r.cold_ratio.toFixed(2)}× ${verdict(r.cold_ratio <= 1.5)} | warm page ${ms(r.warm_ms)} = ${r.warm_ratio.toFixed(2)}× ${verdict(r.warm_ratio <= 0.25)} | ${r.page_kb.toFixed(0)} KB ${verdict(r.page_kb <= 400)} | one event tick ${ms(r.event_tick_ms)}`,
  );
}

if (want('policy')) {
  const r = await policyBench();
  results.policy = r;
  console.log(
    `\n(i) guardrails: a ${r.machines}-machine preview (machine_power_off, token mode, in-process simulator) without and with a ${r.rules}-rule policy (target < 1.05×)`,
  );
  console.log(
    `  without p50 ${ms(r.without_p50_ms)} | with p50 ${ms(r.with_p50_ms)} | ${r.ratio.toFixed(3)}× ${verdict(r.ratio < 1.05)} (${r.rounds} rounds each, alternating)`,
  );
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
