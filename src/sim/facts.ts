/** Small MAAS facts the simulator checks input against (MAAS 3.7.3). */

/**
 * Power driver names (`provisioningserver/drivers/power/*.py` `name = …`) plus the pod drivers `virsh` and `lxd`.
 */
export const POWER_TYPES: readonly string[] = [
  'amt',
  'apc',
  'dli',
  'eaton',
  'hmc',
  'hmcz',
  'ipmi',
  'lxd',
  'manual',
  'moonshot',
  'mscm',
  'msftocs',
  'nova',
  'openbmc',
  'proxmox',
  'raritan',
  'recs_box',
  'redfish',
  'sm15k',
  'ucsm',
  'virsh',
  'vmware',
  'webhook',
  'wedge',
];

/** A MAC address as MAAS's `MACAddressFormField` accepts it: six hex pairs joined by `:` or `-`. */
export function isMac(text: string): boolean {
  return /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(text.trim());
}

/** The form MAAS stores MAC addresses in (lower case, colons). */
export function canonicalMac(mac: string): string {
  return mac.trim().toLowerCase().replaceAll('-', ':');
}
