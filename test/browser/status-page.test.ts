/**
 * The status page in a real browser (headless Chromium, Debian's package, driven by playwright-core): the demo
 * process on 127.0.0.1, an agent's deploy through MCP (the official client) held for approval, approved on the
 * page, its progress bar moving and the machine's cell turning Deployed without a reload; screenshots go to
 * .screenshots/ (not committed); axe-core finds no accessibility violation, wide and on a phone.
 *
 * Needs /usr/bin/chromium (CHROMIUM_PATH to use another): `.ci/run` installs it; elsewhere without it the test is
 * skipped, except under CI=true, where it fails.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../slack/fake-slack.ts';
import { type Demo, ROOT, startDemo } from './demo.ts';

const SHOTS = `${ROOT}.screenshots`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && process.env.CI === 'true')
  throw new Error(`the browser test needs ${CHROMIUM} (see .ci/run)`);
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let demo: Demo | undefined;
let fake: FakeSlack | undefined;
let browser: Browser | undefined;
let base = '';

beforeAll(async () => {
  if (!present) return;
  mkdirSync(SHOTS, { recursive: true });
  fake = await new FakeSlack().start();
  demo = await startDemo(['--time-scale', '0.02'], fake.url);
  base = demo.base;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 15_000 });
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await fake?.close();
});

/** axe-core's violations on the page as it is now (serious or not: any is a failure). */
async function axeViolations(page: Page): Promise<{ id: string; help: string; nodes: number }[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const r = await (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> };
      }
    ).axe.run();
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.length }));
  });
}

describe.skipIf(!present)('the status page in Chromium', () => {
  it('approves an agent’s deploy on the page, shows its progress bar move and the machine turn Deployed without a reload', async () => {
    const context = await (browser as Browser).newContext({
      viewport: { width: 1100, height: 900 },
      // Lets axe-core's script in; the page's own policy allows only its own scripts.
      bypassCSP: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${base}/`);
    await expect.poll(() => page.locator('#conn').textContent(), { timeout: 10_000 }).toBe('Live');
    // A mark that a reload would wipe.
    await page.evaluate(() => {
      (globalThis as unknown as { mark: number }).mark = 42;
    });

    // The agent asks through MCP; MAAS_MCP_CONFIRM=slack holds the call for a person.
    const client = new Client({ name: 'browser-test-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    const held = (await client.callTool({
      name: 'machine_deploy',
      arguments: { machines: 'web-01' },
    })) as unknown as {
      structuredContent: { status: string; operation_id: string };
    };
    await client.close();
    expect(held.structuredContent.status).toBe('awaiting_approval');
    const id = held.structuredContent.operation_id;

    // The page shows it without a reload, with the buttons the local admin may use.
    const approve = page.getByRole('button', { name: `Approve ${id}` });
    await approve.waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/1-approval-waiting.png`, fullPage: true });
    const web01 = await page.locator('#grid li[title^="web-01:"]').getAttribute('data-id');

    // Approve on the page; record the bar's values as it moves.
    const values = new Set<number>();
    const bar = page.locator(`#op-${id} li[data-id="${web01}"] progress`);
    await approve.click();
    await expect.poll(() => page.locator('#flash').textContent()).toContain(`Approved ${id}`);
    const cell = page.locator(`#grid li[data-id="${web01}"]`);
    let midShot = false;
    const until = Date.now() + 40_000;
    while (Date.now() < until) {
      if (await bar.count()) values.add(Number(await bar.first().getAttribute('value')));
      if (!midShot && [...values].some((v) => v > 5 && v < 100)) {
        await page.screenshot({ path: `${SHOTS}/2-deploying.png`, fullPage: true });
        midShot = true;
      }
      if ((await cell.getAttribute('class'))?.includes('t-deployed')) break;
      await page.waitForTimeout(150);
    }
    expect(await cell.getAttribute('class')).toBe('c t-deployed');
    expect(await cell.getAttribute('title')).toBe('web-01: Deployed');
    await expect.poll(async () => Number(await bar.first().getAttribute('value'))).toBe(100);
    expect([...values].some((v) => v > 5 && v < 100)).toBe(true);
    // No reload happened: the mark is still there.
    expect(await page.evaluate(() => (globalThis as unknown as { mark?: number }).mark)).toBe(42);
    await page.screenshot({ path: `${SHOTS}/3-deployed.png`, fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  }, 90_000);

  it('reads on a phone, with no accessibility violation', async () => {
    const context = await (browser as Browser).newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      bypassCSP: true,
    });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.locator('#counts').waitFor();
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { documentElement: { scrollWidth: number } };
        innerWidth: number;
      };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/4-phone.png`, fullPage: false });
    await context.close();
  }, 30_000);
});
