/**
 * The workflow file: the automation SDK's JSON read unchanged (its own examples), bad input named by JSON path with
 * what is accepted, and the plan a file makes (host selection, step order, what may be stored, the digest).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.ts';
import { parseWorkflow } from '../../../src/core/workflows/format.ts';
import { planWorkflow, splitSecrets, workflowDigest } from '../../../src/core/workflows/plan.ts';
import { SEED_EXAMPLES } from './seed-examples.ts';

function problem(value: unknown): string {
  try {
    parseWorkflow(value);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected the workflow to be refused');
}

describe('the workflow file', () => {
  it.each(Object.entries(SEED_EXAMPLES))('reads the SDK example "%s" unchanged', (_name, example) => {
    expect(() => parseWorkflow(example)).not.toThrow();
  });

  it('names a bad bond mode by its JSON path, with the modes it accepts', () => {
    const machines = [0, 1, 2, 3].map((i) => ({ hostname: `node0${i}` }));
    (machines[3] as Record<string, unknown>).network = {
      bonds: [{ name: 'bond0', interfaces: ['eth0', 'eth1'], mode: 'lacp' }],
    };
    expect(problem({ actions: ['configure_network'], machines })).toBe(
      'machines[3].network.bonds[0].mode: expected one of balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb',
    );
  });

  it('names an unknown field at its path and suggests the field meant', () => {
    expect(problem({ actions: ['deploy'], machines: [{ hostname: 'node01', distro: 'jammy' }] })).toMatch(
      /^machines\[0\]\.distro: unknown field \(did you mean distro_series\?\); accepted: hostname, pxe_mac/,
    );
  });

  it('lists every problem of a file at once, each with its path', () => {
    const msg = problem({
      actions: ['deploy', 'reboot'],
      machine: { hostname: 'node01', pxe_mac: 'not-a-mac', commission_timeout: 'soon' },
      network: { vlans: [{ parent: 'bond0', vid: 5000 }] },
    });
    expect(msg).toContain('4 problems in the workflow');
    expect(msg).toContain('actions[1]: expected one of list, create_machine');
    expect(msg).toContain('machine.pxe_mac: expected a MAC address like aa:bb:cc:dd:ee:ff');
    expect(msg).toContain('machine.commission_timeout: expected a number (got "soon")');
    expect(msg).toContain('network.vlans[0].vid: expected at most 4094 (got 5000)');
  });

  it('refuses two machines of one hostname, naming both', () => {
    expect(problem({ actions: ['commission'], machines: [{ hostname: 'a' }, { hostname: 'A' }] })).toBe(
      'machines[1].hostname: "A" is also machines[0].hostname; each machine once',
    );
  });

  it('refuses a machine without a hostname, and a file that is not an object', () => {
    expect(problem({ actions: ['commission'], machines: [{ pxe_mac: 'aa:bb:cc:dd:ee:ff' }] })).toBe(
      'machines[0].hostname: required: every machine needs a hostname',
    );
    expect(problem(['commission'])).toBe('(the file): expected an object (got a list)');
  });
});

describe('the plan of a file', () => {
  const file = parseWorkflow({
    actions: ['create_machine', 'set_power', 'configure_storage', 'commission', 'deploy'],
    storage: { device: '/dev/sda', params: { root_size_g: 40 } },
    machines: [
      {
        hostname: 'node01',
        pxe_mac: 'aa:bb:cc:dd:ee:01',
        power_type: 'ipmi',
        power_parameters: { power_address: '10.0.0.1', power_user: 'root', power_pass: 'Bmc-Secret-1' },
      },
      { hostname: 'node02', power_type: 'ipmi', storage: { device: '/dev/nvme0n1' } },
    ],
  });

  it('lays storage out after commissioning, which would undo it, and says so', () => {
    const plan = planWorkflow(file);
    expect(plan.steps).toEqual(['create_machine', 'set_power', 'commission', 'configure_storage', 'deploy']);
    expect(plan.notes[0]).toMatch(/configure_storage runs right after commission/);
  });

  it("gives each host its own settings, else the file's", () => {
    const [a, b] = planWorkflow(file).hosts;
    expect(a?.spec.storage?.device).toBe('/dev/sda');
    expect(b?.spec.storage?.device).toBe('/dev/nvme0n1');
  });

  it('runs -a alone on the --hosts asked for, and names a host the file does not have', () => {
    const plan = planWorkflow(file, { action: 'commission', hosts: ['NODE02'] });
    expect(plan.hosts.map((h) => [h.hostname, h.steps])).toEqual([['node02', ['commission']]]);
    expect(() => planWorkflow(file, { hosts: ['node01', 'node09'] })).toThrow(
      'hosts: "node09" is not in the workflow (it has node01, node02)',
    );
  });

  it('refuses set_power for a machine the file gives no power type, by its path', () => {
    const bad = parseWorkflow({
      actions: ['set_power'],
      machines: [{ hostname: 'a', power_type: 'ipmi' }, { hostname: 'b' }],
    });
    expect(() => planWorkflow(bad)).toThrow('machines[1].power_type: set_power needs it (e.g. "ipmi")');
  });

  it('stores the file without credentials or secret values, and hashes nothing secret', async () => {
    const withKey = parseWorkflow({
      ...(file as object),
      maas_api_url: 'http://maas:5240/MAAS',
      maas_api_key: 'a:b:c',
    });
    const { stored, secrets } = splitSecrets(withKey);
    const text = JSON.stringify(stored);
    expect(text).not.toContain('Bmc-Secret-1');
    expect(text).not.toContain('maas_api');
    expect(text).toContain('10.0.0.1');
    expect(secrets.node01?.power_parameters).toEqual({ power_user: 'root', power_pass: 'Bmc-Secret-1' });
    // Another password alone is the same run; another host selection is another.
    const other = splitSecrets(
      parseWorkflow(JSON.parse(JSON.stringify(file).replace('Bmc-Secret-1', 'Other-Secret-2'))),
    ).stored;
    expect(await workflowDigest(other, {})).toBe(await workflowDigest(stored, {}));
    expect(await workflowDigest(stored, { hosts: ['all'] })).toBe(await workflowDigest(stored, {}));
    expect(await workflowDigest(stored, { hosts: ['node01'] })).not.toBe(await workflowDigest(stored, {}));
  });
});
