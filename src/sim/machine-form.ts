/**
 * Machine create (`POST /machines/`) and the field validation it shares with PUT (MAAS `maasserver/forms/__init__.py`).
 */

import { canonicalMac, isMac, POWER_TYPES } from './facts.ts';
import { KNOWN_ARCHES } from './filters.ts';
import { latentHardware, makeNic, unknownHardwareInfo } from './hardware.ts';
import { badRequest, CHOICE, choiceError, djangoBool, fieldErrors, type Params } from './http.ts';
import { startCommissioning } from './lifecycle.ts';
import type { SimNode, SimState, SimUserRecord } from './model.ts';
import { renderAnonMachine, renderMachine } from './render.ts';
import type { Ctx } from './router.ts';
import { blankNode, SUBNET, VLAN } from './seed-inventory.ts';
import { S } from './status.ts';

export type Errors = Record<string, string[]>;

/** `fix_architecture` then validation against the known architectures. */
export function cleanArchitecture(arch: string, subarch: string | undefined, errors: Errors): string {
  let a = arch.includes('/') ? arch : `${arch}/${subarch || 'generic'}`;
  if (a.endsWith('/')) a += 'generic';
  if (!KNOWN_ARCHES.includes(a)) {
    errors.architecture = [
      `'${arch}' is not a valid architecture.  It should be one of: ${KNOWN_ARCHES.map((k) => `'${k}'`).join(', ')}.`,
    ];
  }
  return a;
}

export function cleanHostname(state: SimState, hostname: string, self: SimNode | null, errors: Errors): void {
  const labels = hostname.split('.');
  const bad = labels.find((l) => !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l));
  if (hostname.length > 255 || bad !== undefined) {
    errors.hostname = [
      `Invalid hostname: ${hostname === '' ? 'Hostname cannot be empty.' : 'Label cannot start or end with hyphen, and may only contain letters, digits and hyphens.'}`,
    ];
    return;
  }
  const short = labels[0] ?? hostname;
  for (const n of state.nodes.values()) {
    if (n !== self && n.hostname === short) {
      errors.hostname = ['Node with this Hostname already exists.'];
      return;
    }
  }
}

/** `power_parameters` as a JSON string (python-libmaas) or `power_parameters_<key>` fields (gomaasapi, CLI). */
export function cleanPowerParameters(
  data: Params,
  base: Record<string, string>,
  errors: Errors,
): Record<string, string> {
  const out = { ...base };
  const json = data.get('power_parameters');
  if (json !== undefined && json !== '') {
    try {
      const parsed: unknown = JSON.parse(json);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      for (const [k, v] of Object.entries(parsed)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    } catch {
      errors.power_parameters = ['Enter valid JSON.'];
    }
  }
  for (const [k, v] of data.pairs) {
    if (k.startsWith('power_parameters_') && k !== 'power_parameters_skip_check') out[k.slice(17)] = v;
  }
  return out;
}

export function cleanPowerType(value: string, errors: Errors): string {
  if (value !== '' && !(POWER_TYPES as readonly string[]).includes(value)) {
    errors.power_type = [choiceError(value)];
  }
  return value;
}

const ADJECTIVES = [
  'calm',
  'brave',
  'quick',
  'noble',
  'fair',
  'keen',
  'bold',
  'wise',
  'vast',
  'warm',
  'sharp',
  'prime',
];
const ANIMALS = [
  'cod',
  'heron',
  'lynx',
  'otter',
  'finch',
  'moose',
  'gecko',
  'ibex',
  'koala',
  'trout',
  'wren',
  'bison',
];

function generateHostname(state: SimState): string {
  for (let i = 0; ; i++) {
    const name = `${state.rng.pick(ADJECTIVES)}-${state.rng.pick(ANIMALS)}${i > 20 ? `-${i}` : ''}`;
    if (![...state.nodes.values()].some((n) => n.hostname === name)) return name;
  }
}

/** `MachinesHandler.create` (user null = anonymous enlistment). */
export function createMachine(ctx: Ctx, user: SimUserRecord | null): unknown {
  const { state, engine } = ctx.svc;
  const d = ctx.data;
  const errors: Errors = {};
  if (d.has('hwe_kernel'))
    throw badRequest('hwe kernel must be specified using the min_hwe_kernel argument.');
  const macs = d.getAll('mac_addresses');
  checkNewMacs(state, macs, errors);
  const powerType = cleanPowerType(d.get('power_type') ?? '', errors);
  const deployed = djangoBool(d, 'deployed', false);
  const archParam = d.get('architecture');
  let arch = 'amd64/generic';
  if (archParam) arch = cleanArchitecture(archParam, d.get('subarchitecture'), errors);
  else if (powerType !== 'ipmi' && !deployed) errors.architecture = ['This field is required.'];
  const minHwe = d.get('min_hwe_kernel') ?? '';
  if (minHwe && !/^(hwe|ga)-/.test(minHwe))
    errors.min_hwe_kernel = ['The kernel must start with hwe- or ga-.'];
  const hostname = d.get('hostname');
  if (hostname !== undefined) cleanHostname(state, hostname, null, errors);
  const domain = d.get('domain') ? state.domainByName(d.get('domain') ?? '') : state.defaultDomain();
  if (!domain) errors.domain = [CHOICE];
  const zone = d.get('zone') ? state.zoneByName(d.get('zone') ?? '') : state.zoneByName('default');
  if (!zone) errors.zone = [CHOICE];
  const pool = d.get('pool') ? state.poolByName(d.get('pool') ?? '') : state.pools.get(0);
  if (!pool) errors.pool = [CHOICE];
  const power = cleanPowerParameters(d, {}, errors);
  if (Object.keys(errors).length) throw fieldErrors(errors);

  const n = blankNode(state.newSystemId(), hostname?.split('.')[0] || generateHostname(state), 'machine');
  n.architecture = arch;
  n.minHweKernel = minHwe;
  n.description = d.get('description') ?? '';
  n.domainId = domain?.id ?? 0;
  n.zoneId = zone?.id ?? 1;
  n.poolId = pool?.id ?? 0;
  n.powerType = powerType;
  n.powerParameters = power;
  n.powerState = powerType === '' || powerType === 'manual' ? 'unknown' : 'off';
  n.hardwareInfo = unknownHardwareInfo();
  n.latent = latentHardware(state, state.rng);
  n.interfaces = macs.map((m, i) => {
    const nic = makeNic(state, state.rng, `eth${i}`, i === 0 ? VLAN.untagged : null, false);
    nic.mac = canonicalMac(m);
    if (i === 0) nic.links.push({ id: state.nextId('link'), mode: 'auto', subnetId: SUBNET.main, ip: null });
    return nic;
  });
  n.bootInterfaceId = n.interfaces[0]?.id ?? null;
  state.addNode(n);
  if (deployed && user) {
    n.status = S.DEPLOYED;
    n.owner = user.username;
    n.osystem = 'ubuntu';
    n.distroSeries = 'jammy';
    n.netboot = false;
  } else if (user?.isSuperuser && djangoBool(d, 'commission', true) && powerType !== '') {
    // Errors from this step are ignored by MAAS (LP:1600328); the machine then just stays New.
    startCommissioning(engine, n, user.username, {
      skipTests: d.get('testing_scripts') === 'none',
      skipStorage: djangoBool(d, 'skip_storage', false),
    });
  }
  return user ? renderMachine(state, n) : renderAnonMachine(state, n);
}

/** The `mac_addresses` checks of MAAS's machine and device forms: required, valid, and not already in use. */
export function checkNewMacs(state: SimState, macs: readonly string[], errors: Errors): void {
  if (macs.length === 0) errors.mac_addresses = ['This field is required.'];
  const invalid = macs.find((m) => !isMac(m.trim()));
  if (invalid !== undefined) {
    errors.mac_addresses = [
      `One or more MAC addresses is invalid. ('${invalid}' is not a valid MAC address.)`,
    ];
    return;
  }
  for (const m of macs) {
    const owner = state.nodes.get(state.macs.get(canonicalMac(m)) ?? '');
    if (owner) errors.mac_addresses = [`MAC address ${canonicalMac(m)} already in use on ${owner.hostname}.`];
  }
}
