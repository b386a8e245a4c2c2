/**
 * `npm run screenshot`: the README's picture of the status page (docs/status-page.png), taken as a person would see
 * it — the demo (120 machines) with an agent's 40-machine deploy approved on the page and under way, and another
 * agent call waiting for approval. Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { chromium } from 'playwright-core';
import { ROOT, startDemo } from '../test/browser/demo.ts';
import { FakeSlack } from '../test/slack/fake-slack.ts';

const OUT = process.argv[2] ?? `${ROOT}docs/status-page.png`;

const fake = await new FakeSlack().start();
const demo = await startDemo(['--machines', '120', '--time-scale', '0.05'], fake.url);
try {
  const base = demo.base;
  const client = new Client({ name: 'screenshot-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  const ready = (await client.callTool({
    name: 'machines_list',
    arguments: { status: 'ready', limit: 40 },
  })) as unknown as {
    structuredContent: { columns: string[]; rows: unknown[][] };
  };
  const at = ready.structuredContent.columns.indexOf('hostname');
  const hosts = ready.structuredContent.rows.map((r) => String(r[at]));
  const deploy = (await client.callTool({
    name: 'machine_deploy',
    arguments: { machines: hosts },
  })) as unknown as {
    structuredContent: { operation_id: string };
  };
  // Approve the deploy as a person would, with the page's own form.
  const page = await (await fetch(`${base}/`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  await fetch(`${base}/approvals/${deploy.structuredContent.operation_id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ csrf, decision: 'approve' }).toString(),
  });
  await client.callTool({ name: 'machine_release', arguments: { machines: 'db-01', erase: true } });
  await client.close();

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  const view = await browser.newPage({ viewport: { width: 1000, height: 1500 } });
  await view.goto(`${base}/`);
  await view.waitForTimeout(12_000);
  await view.screenshot({ path: OUT, fullPage: false });
  await browser.close();
  console.log(`wrote ${OUT}`);
} finally {
  await demo.stop();
  await fake.close();
}
