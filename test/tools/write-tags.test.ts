/**
 * machine_tag: one `update_nodes` request per tag whatever the number of machines; missing tags created only
 * when asked; automatic (XPath-defined) tags left to MAAS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Deps } from '../../src/core/deps.ts';
import type { machineTag } from '../../src/tools/tags.ts';
import { call } from '../helpers.ts';
import { API, node, opOf, posts, requestOf, runCleanups, setup, sid } from './write-helpers.ts';

afterEach(runCleanups);

type TagOut = z.infer<typeof machineTag.output>;

const sorted = (xs: readonly string[]) => [...xs].sort();

/** The tags MAAS lists (`GET tags/`). */
const tagNames = async (deps: Deps) => (await deps.maas.tags()).map((t) => t.name);

describe('machine_tag', () => {
  it('adds and removes tags on several machines with one update_nodes request per tag', async () => {
    const { sim, client } = await setup();
    const [w1, w2, w6] = [sid(sim, 'web-01'), sid(sim, 'web-02'), sid(sim, 'web-06')];
    const res = await call<TagOut>(client, 'machine_tag', {
      machines: ['web-01', 'web-02', 'web-06'],
      add: ['gpu', 'nvme'],
      remove: 'ssd',
    });
    expect(res.isError).toBe(false);
    expect(posts(sim).map((e) => [e.path, opOf(e), e.form])).toEqual([
      [
        `${API}tags/gpu/`,
        'update_nodes',
        [
          ['add', w1],
          ['add', w2],
          ['add', w6],
        ],
      ],
      [
        `${API}tags/nvme/`,
        'update_nodes',
        [
          ['add', w1],
          ['add', w2],
          ['add', w6],
        ],
      ],
      // web-06 has no ssd tag, so only the two that do are named.
      [
        `${API}tags/ssd/`,
        'update_nodes',
        [
          ['remove', w1],
          ['remove', w2],
        ],
      ],
    ]);
    expect(res.data.changes).toEqual([
      {
        hostname: 'web-01',
        system_id: w1,
        added: ['gpu', 'nvme'],
        removed: ['ssd'],
        tags: ['compute', 'gpu', 'nvme'],
      },
      {
        hostname: 'web-02',
        system_id: w2,
        added: ['gpu', 'nvme'],
        removed: ['ssd'],
        tags: ['compute', 'gpu', 'nvme'],
      },
      {
        hostname: 'web-06',
        system_id: w6,
        added: ['gpu', 'nvme'],
        removed: [],
        tags: ['compute', 'gpu', 'nvme'],
      },
    ]);
    for (const h of ['web-01', 'web-02', 'web-06']) {
      expect(sorted(node(sim, h).tags), h).toEqual(['compute', 'gpu', 'nvme']);
    }
    expect(res.data.summary).toBe('tags changed on 3 of 3 machines');
    expect(res.text).toContain('web-01: +gpu +nvme -ssd → compute, gpu, nvme');
  });

  it('sends nothing for a tag every machine already has', async () => {
    const { sim, client } = await setup();
    const res = await call<TagOut>(client, 'machine_tag', { machines: ['web-01', 'web-02'], add: 'compute' });
    expect(posts(sim)).toHaveLength(0);
    expect(res.data.summary).toBe('tags changed on 0 of 2 machines');
    expect(res.text).toContain('web-01: unchanged → compute, ssd');
  });

  it('refuses a tag that does not exist unless create_missing, then creates it', async () => {
    const { sim, client, deps } = await setup();
    const refused = await call(client, 'machine_tag', { machines: 'web-01', add: ['rack-a', 'gpu'] });
    expect(refused.isError).toBe(true);
    expect(refused.text).toBe('no tag "rack-a" in MAAS — pass create_missing: true to create it');
    expect(posts(sim)).toHaveLength(0);

    const res = await call<TagOut>(client, 'machine_tag', {
      machines: 'web-01',
      add: ['rack-a', 'gpu'],
      create_missing: true,
    });
    expect(res.data.created_tags).toEqual(['rack-a']);
    expect(posts(sim).map((e) => [e.path, opOf(e), e.form])).toEqual([
      [
        `${API}tags/`,
        undefined,
        [
          ['name', 'rack-a'],
          ['comment', 'created by maas-mcp'],
        ],
      ],
      [`${API}tags/rack-a/`, 'update_nodes', [['add', sid(sim, 'web-01')]]],
      [`${API}tags/gpu/`, 'update_nodes', [['add', sid(sim, 'web-01')]]],
    ]);
    expect(await tagNames(deps)).toContain('rack-a');
    expect(sorted(node(sim, 'web-01').tags)).toEqual(['compute', 'gpu', 'rack-a', 'ssd']);
    expect(res.data.summary).toBe('tags changed on 1 of 1 machine; created rack-a');
  });

  it('refuses automatic tags, which MAAS assigns from hardware details', async () => {
    const { sim, client, deps } = await setup();
    expect((await deps.maas.tags()).find((t) => t.name === 'virtual')?.definition).toMatch(/^\/\//);
    const add = await call(client, 'machine_tag', { machines: 'web-01', add: 'virtual' });
    expect(add.isError).toBe(true);
    expect(add.text).toBe(
      '"virtual" is automatic (defined by an XPath over hardware details); MAAS assigns it itself',
    );
    expect(posts(sim)).toHaveLength(0);
    // An admin defines another automatic tag (MAAS answers 200 and keeps the definition).
    await deps.maas.http.call({
      method: 'POST',
      path: 'tags/',
      form: { name: 'has-gpu', definition: '//node[@class="display"]' },
    });
    expect(posts(sim).map((e) => [e.path, e.status])).toEqual([[`${API}tags/`, 200]]);
    const remove = await call(client, 'machine_tag', { machines: 'k8s-01', remove: ['virtual', 'has-gpu'] });
    expect(remove.text).toMatch(
      /^"virtual", "has-gpu" are automatic \(defined by an XPath over hardware details\); MAAS assigns/,
    );
    expect(posts(sim)).toHaveLength(1);
  });

  it('refuses bad requests before asking MAAS to change anything', async () => {
    const { sim, client } = await setup();
    const none = await call(client, 'machine_tag', { machines: 'web-01' });
    expect(none.text).toBe('give tags to add or remove');
    const both = await call(client, 'machine_tag', { machines: 'web-01', add: 'gpu', remove: 'gpu' });
    expect(both.text).toBe('tag gpu is both added and removed: choose one');
    const bad = await call(client, 'machine_tag', { machines: 'web-01', add: 'rack a' });
    expect(bad.text).toBe('tag "rack a": tag names are letters, digits, _ and - only');
    const nobody = await call(client, 'machine_tag', { machines: ['nope-1', 'nope-2'], add: 'gpu' });
    expect(nobody.isError).toBe(true);
    expect(nobody.text).toBe(
      'no machine matches "nope-1", "nope-2" (by hostname, FQDN or system_id) among those this MAAS user can see',
    );
    expect(posts(sim)).toHaveLength(0);
  });

  it('tags the machines it found and lists the words it did not', async () => {
    const { sim, client, deps } = await setup();
    const res = await call<TagOut>(client, 'machine_tag', { machines: ['web-01', 'nope-1'], add: 'gpu' });
    expect(res.isError).toBe(false);
    expect(res.data.not_found).toEqual(['nope-1']);
    expect(res.text).toContain('not found: "nope-1"');
    expect(node(sim, 'web-01').tags).toContain('gpu');
    const [audit] = await deps.store.listAudit({});
    expect(audit).toMatchObject({ tool: 'machine_tag', result: 'partial' });
    expect(audit?.targets).toEqual([{ system_id: sid(sim, 'web-01'), hostname: 'web-01', outcome: '+gpu' }]);
  });

  // Regression (fixed): src/tools/tags.ts run() (~lines 73-96) audits only after every MAAS request succeeded. When a
  // later request fails (here the second update_nodes), the tag it created and the first update_nodes it
  // applied are real changes in MAAS, yet nothing reaches the audit log (README "Safety": every write is
  // audited). Expected: wrap the writes in try/catch and record a 'failed'/'partial' audit entry naming what
  // was already done (created tags, tags applied) before rethrowing.
  it('audits the changes already made when a later tag request fails', async () => {
    const { sim, client, deps } = await setup({
      fetch: (s) => async (input, init) => {
        const { method, url } = requestOf(input, init);
        if (method === 'POST' && url.pathname === `${API}tags/gpu/`) {
          return new Response('Unable to connect to any rack controller', { status: 503 });
        }
        return s.fetch(input, init);
      },
    });
    const res = await call(client, 'machine_tag', {
      machines: 'web-01',
      add: ['rack-a', 'gpu'],
      create_missing: true,
    });
    expect(res.isError).toBe(true);
    // MAAS did change: the tag exists and web-01 carries it.
    expect(await tagNames(deps)).toContain('rack-a');
    expect(node(sim, 'web-01').tags).toContain('rack-a');
    expect(await deps.store.listAudit({})).toHaveLength(1);
  });
});
