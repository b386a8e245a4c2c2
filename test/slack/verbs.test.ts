/**
 * Every tool with a Slack verb, from the registry: `/maas help <verb>` built from its schema, a valid example that
 * passes the tool's own validation (and runs), and an invalid one answered ephemerally with the usage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/core/invoke.ts';
import type { AnyTool } from '../../src/core/tool.ts';
import { parseText, toArgs, usage } from '../../src/slack/parse.ts';
import { ALL_TOOLS, findTool } from '../../src/tools/index.ts';
import { drive } from '../helpers.ts';
import { answer, buttonsOf, posts, type Rig, slackRig, texts } from './helpers.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** One valid command per verb (as an admin may type it), with at least one option where the verb has any. */
const EXAMPLES: Record<string, string> = {
  list: 'list status=ready zone=zone-a,zone-b limit=5',
  show: 'show web-01 detail=hardware',
  events: 'events web-01 limit=5 level=WARNING',
  status: 'status zone=zone-a',
  annotate: 'annotate web-04 set.service=web set.ticket=OPS-42',
  allocate: 'allocate dry_run=true cpus=2 tags=compute',
  commission: 'commission new-01 skip_storage=yes',
  test: 'test web-01 testing_scripts=smartctl-validate',
  deploy: 'deploy web-01 web-02 distro_series=jammy comment="for the demo"',
  release: 'release db-01 --erase quick_erase=true comment=“done with it”',
  abort: 'abort lab-02 comment=stuck',
  rescue: 'rescue web-01 action=enter',
  'mark-broken': "mark-broken gpu-01 comment='fan died'",
  'mark-fixed': 'mark-fixed gpu-02 comment=replaced',
  lock: 'lock web-04 comment=prod',
  unlock: 'unlock web-03',
  'restore-config': 'restore-config web-01 scope=storage',
  tag: 'tag web-01 web-02 add=ssd remove=compute',
  'power-query': 'power-query web-01 web-02',
  'power-on': 'power-on web-04 comment=maintenance',
  'power-off': 'power-off web-04 stop_mode=hard',
  'power-cycle': 'power-cycle web-04',
  devices: 'devices zone=zone-a limit=10',
  controllers: 'controllers kind=rack',
  zones: 'zones name=zone',
  pools: 'pools name=prod',
  tags: 'tags name=ss',
  subnets: 'subnets cidr=10.20. limit=2',
  ops: 'ops state=running,succeeded limit=5',
  op: 'op op_0123456789abcd --wait wait_timeout_s=5',
  cancel: 'cancel op_0123456789abcd abort=false',
  create: 'create mac_addresses=52:54:00:12:34:56 power_type=manual hostname=new-99 commission=false',
  update: 'update web-01 zone=zone-b description="moved to B"',
  delete: 'delete new-02',
  audit: 'audit since=24h limit=5',
  storage: 'storage db-01',
  network: 'network db-01',
  'configure-storage': 'configure-storage db-02 layout=efi_lvm params.root_size_g=40 params.device=/dev/sda',
  'configure-network':
    'configure-network db-02 bonds.name=bond0 bonds.interfaces=eno3,eno4 bonds.mode=802.3ad bonds.mtu=9000 interfaces.0.name=bond0 interfaces.0.subnet=10.40.0.0/22 interfaces.0.ip_mode=static',
  clone: 'clone db-02 source=web-06 storage=true network=true',
  'boot-disk': 'boot-disk web-02 disk=sdb',
  'cluster-create': 'cluster-create dev workers=1 service_cidr=172.20.0.0/16 constraints.worker.pool=staging',
  clusters: 'clusters',
  'cluster-show': 'cluster-show dev',
  'cluster-scale': 'cluster-scale dev workers=2 erase=false',
  'cluster-delete': 'cluster-delete dev erase=true',
  workflow: 'workflow op_0123456789abcd --wait wait_timeout_s=5',
  workflows: 'workflows state=running limit=5',
  'workflow-cancel': 'workflow-cancel op_0123456789abcd',
};

/** State an example needs to run (the seeded fleet has no owned machine that is off, for power-on). */
/** A 1 + 1 cluster `dev`, made as an agent would (unconfirmed: this is preparation). */
async function devCluster(r: Rig): Promise<void> {
  const tool = findTool('cluster_create');
  if (!tool) throw new Error('no cluster_create');
  await drive(
    r.clock,
    runTool(
      tool,
      { name: 'dev', workers: 1, service_cidr: '172.20.0.0/16' },
      {
        deps: r.deps,
        principal: { id: 'agent', role: 'admin', via: 'mcp' },
        confirmMode: 'off',
      },
    ),
  );
}

const ARRANGE: Record<string, (r: Rig) => void | Promise<void>> = {
  'power-on': (r) => {
    r.sim.control.setMachine('web-04', { power: 'off' });
  },
  'cluster-show': devCluster,
  'cluster-scale': devCluster,
  'cluster-delete': devCluster,
};

/**
 * What each non-destructive example answers (in the response, or in the channel when the response only deletes
 * the ack). `op` and `cancel` name an operation that does not exist: they run as far as looking it up.
 */
const ANSWERS: Record<string, string | RegExp> = {
  list: 'Machines 1–5 of 8',
  show: 'web-01: Ready',
  events: 'web-01: no events.',
  status: '9 machines',
  annotate: 'web-04 annotations: service=web, ticket=OPS-42',
  allocate: 'Would allocate web-01.',
  commission: 'commission: 1 done',
  test: 'test: 1 done',
  rescue: 'rescue: 1 done',
  'mark-fixed': 'mark fixed: 1 done',
  lock: 'lock: 1 done',
  unlock: 'unlock: 1 done',
  tag: 'tags changed on 2 of 2 machines',
  'power-query': /web-01 \(\w+\): off\nweb-02 \(\w+\): off/,
  'power-on': 'power on: 1 done',
  devices: 'Devices 1–4 of 4',
  controllers: 'Region and rack controller',
  zones: 'zone-a — «Row A',
  pools: 'production — «Customer-facing workloads»',
  tags: 'ssd',
  subnets: 'Subnets 1–1 of 1',
  ops: 'No operations.',
  op: 'no operation "op_0123456789abcd"',
  cancel: 'no operation "op_0123456789abcd"',
  create: 'Added new-99',
  update: 'Changed zone, description of web-01',
  audit: 'No audit entries match.',
  workflow: 'no workflow run "op_0123456789abcd"',
  workflows: 'No workflow runs.',
  clusters: 'No clusters. Create one with cluster_create.',
  'cluster-show': /Cluster dev \(1 \+ 1, Kubernetes 1\.34 on noble\): deploying; API https:\/\//,
  'cluster-scale': /scale cluster dev from 1 \+ 1 to 2 workers: 1 of 1 deploying/,
  'workflow-cancel': 'no workflow run "op_0123456789abcd"',
  storage: /db-01 \(\w+\), Deployed — storage:\n {2}sda \(1\.75 TiB, ssd, boot disk\), GPT:/,
  network: /db-01 \(\w+\), Deployed — network \(default gateway 10\.10\.0\.1, 2001:db8:10::1\):/,
};

/** Verbs whose example is expected to end in a warning (see {@link ANSWERS}). */
const WARNS = new Set(['op', 'cancel', 'workflow', 'workflow-cancel']);

const VERB_TOOLS: AnyTool[] = ALL_TOOLS.filter((t) => t.slack);
const verbOf = (t: AnyTool) => t.verb as string;

describe('the registry as /maas verbs', () => {
  it('every tool with a Slack verb has an example here (and every example is a real verb)', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(VERB_TOOLS.map(verbOf).sort());
    expect(new Set(VERB_TOOLS.map(verbOf)).size).toBe(VERB_TOOLS.length);
    // Every non-destructive verb has an expected answer; destructive ones answer with a preview.
    expect(Object.keys(ANSWERS).sort()).toEqual(
      VERB_TOOLS.filter((t) => !t.annotations.destructiveHint)
        .map(verbOf)
        .sort(),
    );
  });

  describe.each(VERB_TOOLS.map((t) => [verbOf(t), t] as const))('%s', (verb, tool) => {
    it('`/maas help <verb>` shows the usage and describes every field from the schema', async () => {
      rig = await slackRig({ MAAS_MCP_TOOLSETS: 'all' });
      const { msg } = await answer(rig, `help ${verb}`, 'UADMIN');
      expect(msg.response_type).toBe('ephemeral');
      const shown = texts(msg);
      expect(shown).toContain(usage(tool));
      const shape = tool.input.shape as Record<string, { description?: string }>;
      for (const field of Object.keys(shape).filter((k) => k !== 'confirm_token')) {
        expect(shown, `field ${field}`).toContain(`\`${field}\` — `);
      }
      expect(shown).not.toContain('confirm_token');
      // Every described field has a non-empty description in the help.
      for (const line of shown.split('\n').filter((l) => l.startsWith('• `'))) expect(line).toMatch(/ — \S/);
    });

    it('its example passes the tool’s own validation', () => {
      const text = EXAMPLES[verb] as string;
      const parsed = parseText(text);
      expect(parsed.verb).toBe(verb);
      const result = tool.input.safeParse(toArgs(tool, parsed));
      expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    });

    it('its example runs without a usage error', async () => {
      rig = await slackRig({ MAAS_MCP_TOOLSETS: 'all' });
      await ARRANGE[verb]?.(rig);
      const { msg } = await answer(rig, EXAMPLES[verb] as string, 'UADMIN');
      // A result posted in the channel replaces the ack: the response only deletes it.
      const shown = msg.delete_original ? texts(posts(rig, 'CCHAN')[0]) : texts(msg);
      expect(shown).not.toContain(usage(tool));
      expect(shown).not.toMatch(/unknown option|takes no bare words|must be (true or false|a number)/);
      if (tool.annotations.destructiveHint) {
        // A preview with Confirm/Cancel: the example's machines are all ones the verb can act on.
        expect(buttonsOf(msg).map((b) => b.action_id)).toEqual(['maas:confirm', 'maas:cancel']);
        expect(msg.text).toMatch(/^[A-Z].* \d+ machines?\?$/);
      } else {
        expect(shown).toMatch(ANSWERS[verb] as string | RegExp);
        // No warning or failure row, and no failed or skipped machine in a result's summary.
        if (!WARNS.has(verb)) expect(shown).not.toMatch(/^(:warning:|:x:)|\b\d+ (failed|skipped)\b/m);
        expect(buttonsOf(msg)).toEqual([]);
      }
    });

    it('a bad option answers ephemerally with the usage', async () => {
      rig = await slackRig({ MAAS_MCP_TOOLSETS: 'all' });
      const { msg } = await answer(rig, `${verb} bogus_option=1`, 'UADMIN');
      expect(msg.response_type).toBe('ephemeral');
      expect(msg.text).toContain('unknown option "bogus_option"');
      const context = msg.blocks?.find((b) => b.type === 'context');
      expect(JSON.stringify(context)).toContain(JSON.stringify(usage(tool)).slice(1, -1));
    });
  });
});

describe('help and unknown verbs', () => {
  it('an unknown verb answers ephemerally with "Unknown command" and a help hint', async () => {
    rig = await slackRig();
    const { msg } = await answer(rig, 'frobnicate web-01');
    expect(msg.response_type).toBe('ephemeral');
    expect(texts(msg)).toContain('Unknown command `frobnicate`');
    expect(texts(msg)).toContain('/maas help');
  });

  it('`/maas help` lists exactly the verbs the user’s role allows', async () => {
    rig = await slackRig({ MAAS_MCP_TOOLSETS: 'all' });
    const listed = (t: string) => new Set([...t.matchAll(/`([a-z-]+)` /g)].map((m) => m[1] as string));
    const viewer = listed(texts((await answer(rig, 'help', 'UVIEW')).msg));
    const operator = listed(texts((await answer(rig, 'help', 'UOPS')).msg));
    const admin = listed(texts((await answer(rig, 'help', 'UADMIN')).msg));
    const allowed = (role: 'viewer' | 'operator' | 'admin') =>
      VERB_TOOLS.filter(
        (t) =>
          ['viewer', 'operator', 'admin'].indexOf(t.minRole) <= ['viewer', 'operator', 'admin'].indexOf(role),
      )
        .map(verbOf)
        .sort();
    expect([...viewer].sort()).toEqual(allowed('viewer'));
    expect([...operator].sort()).toEqual(allowed('operator'));
    expect([...admin].sort()).toEqual(allowed('admin'));
    expect(viewer.has('deploy')).toBe(false);
    expect(operator.has('deploy')).toBe(true);
    expect(operator.has('delete')).toBe(false);
    expect(admin.has('audit')).toBe(true);
  });

  it('`/maas help` marks destructive verbs (they ask for confirmation)', async () => {
    rig = await slackRig();
    const shown = texts((await answer(rig, 'help', 'UOPS')).msg);
    expect(shown).toMatch(/`deploy` Deploy machines :warning:/);
    expect(shown).not.toMatch(/`list` List machines :warning:/);
  });

  it('`/maas help <unknown>` answers like an unknown verb', async () => {
    rig = await slackRig();
    const { msg } = await answer(rig, 'help frobnicate');
    expect(msg.response_type).toBe('ephemeral');
    expect(texts(msg)).toContain('Unknown command `frobnicate`');
  });

  it('an unclosed quote answers ephemerally with a hint to /maas help', async () => {
    rig = await slackRig();
    const { msg } = await answer(rig, 'deploy web-01 comment="oops');
    expect(msg.response_type).toBe('ephemeral');
    expect(texts(msg)).toContain('is not closed');
    expect(texts(msg)).toContain('/maas help');
  });

  it('a schema violation answers ephemerally with the zod message and the usage', async () => {
    rig = await slackRig();
    const { msg } = await answer(rig, 'list limit=501');
    expect(msg.response_type).toBe('ephemeral');
    expect(msg.text).toMatch(/^limit: /);
    expect(texts(msg)).toContain('/maas list');
  });
});
