/**
 * What a caller asks of `machine_network_configure`: bonds, VLAN interfaces and links. Field names are the
 * automation SDK's `network` JSON (`bonds`: name, interfaces, mode, mtu, lacp_rate, xmit_hash_policy;
 * `interfaces`: name, subnet, ip_mode, ip_address, mtu), so its examples pass unchanged; the choices are MAAS's
 * (`maasserver/enum.py` `BOND_MODE_CHOICES`, `BOND_LACP_RATE_CHOICES`, `BOND_XMIT_HASH_POLICY_CHOICES`).
 */
import * as z from 'zod/v4';

export const BOND_MODES = [
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
] as const;
export const LACP_RATES = ['fast', 'slow'] as const;
export const XMIT_HASH_POLICIES = ['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4'] as const;
export const IP_MODES = ['static', 'dhcp', 'auto', 'link_up'] as const;

/** MAAS's interface name rule (`maasserver/forms/interface.py`): `^[\w\-_.:]{1,15}$`. */
export const INTERFACE_NAME = /^[\w\-.:]{1,15}$/;

/** MAAS takes an interface MTU of at least 552; a VLAN's is at most 65535. */
const Mtu = z.number().int().min(552).max(65535);

export const BondSpec = z
  .object({
    name: z
      .string()
      .regex(INTERFACE_NAME, 'must be 1–15 letters, digits, "_", "-", "." or ":"')
      .describe('e.g. bond0'),
    interfaces: z
      .array(z.string().min(1))
      .min(1)
      .max(16)
      .describe('Physical members on one VLAN, e.g. ["eth0", "eth1"]'),
    mode: z.enum(BOND_MODES).optional().describe('Default balance-rr; 802.3ad (LACP) needs switch support'),
    mtu: Mtu.optional().describe('MAAS raises the members to it'),
    lacp_rate: z.enum(LACP_RATES).optional().describe('802.3ad (default fast)'),
    xmit_hash_policy: z.enum(XMIT_HASH_POLICIES).optional().describe('Default layer2'),
    miimon: z.number().int().min(0).max(100_000).optional().describe('Link check interval, ms (default 100)'),
    downdelay: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .optional()
      .describe('ms before a failed member is off (default 0)'),
    updelay: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .optional()
      .describe('ms before a recovered one is on (default 0)'),
  })
  .strict();
export type BondSpec = z.infer<typeof BondSpec>;

export const VlanSpec = z
  .object({
    parent: z.string().min(1).describe('Physical or bond, e.g. bond0'),
    vid: z.number().int().min(1).max(4094).describe('VLAN tag; the VLAN must exist on the parent’s fabric'),
    mtu: Mtu.optional().describe('At most the parent’s'),
  })
  .strict();
export type VlanSpec = z.infer<typeof VlanSpec>;

export const InterfaceSpec = z
  .object({
    name: z.string().min(1).describe('Physical, bond, or VLAN (<parent>.<vid>)'),
    subnet: z
      .string()
      .min(1)
      .optional()
      .describe('CIDR (10.0.0.0/24), name or id; needed by static and auto'),
    ip_mode: z
      .enum(IP_MODES)
      .optional()
      .describe('static, dhcp, auto (MAAS picks at deploy) or link_up (no address); omitted: links kept'),
    ip_address: z
      .string()
      .min(1)
      .optional()
      .describe('static: a free address in the subnet (default MAAS picks)'),
    mtu: Mtu.optional().describe('MTU, e.g. 9000'),
    default_gateway: z
      .boolean()
      .optional()
      .describe('static/auto: the default route is this subnet’s gateway'),
  })
  .strict()
  .describe('Repeat an interface for several links (IPv4 and IPv6)');
export type InterfaceSpec = z.infer<typeof InterfaceSpec>;

export const NetworkRequest = z.object({
  bonds: z.array(BondSpec).max(32).optional().describe('Bonds to make (or bring to these settings)'),
  vlans: z.array(VlanSpec).max(64).optional().describe('VLAN interfaces to make, named <parent>.<vid>'),
  interfaces: z.array(InterfaceSpec).max(64).optional().describe('Links and MTUs of interfaces'),
});
export type NetworkRequest = z.infer<typeof NetworkRequest>;
