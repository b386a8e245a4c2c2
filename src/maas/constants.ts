/** Facts about MAAS 3.7 that both the simulator and the tools rely on (MAAS `MachinesHandler.create`). */

/** Power drivers (`src/provisioningserver/drivers/power/*.py` names) plus the pod drivers virsh and lxd. */
export const POWER_TYPES = [
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
] as const;

/** A MAC address as MAAS accepts it: six hex pairs separated by ":" or "-". */
export const MAC_RE = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;

/** The form MAAS stores and filters MAC addresses in. */
export function normaliseMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}
