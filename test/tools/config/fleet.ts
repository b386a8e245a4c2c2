/** Picking machines from a large seeded fleet for the clone and journey tests, from MAAS's own answers. */
import type { Deps } from '../../../src/core/deps.ts';

interface Raw {
  hostname: string;
  architecture: string;
  bios_boot_method: string | null;
  boot_disk: { size: number } | null;
  physicalblockdevice_set: { size: number }[];
  interface_set: { name: string; type: string; vlan: { fabric: string } | null }[];
}

/**
 * Ready amd64 UEFI machines with eno3 and eno4 on the `data` fabric (bondable), in MAAS's order: the first is the one
 * with the smallest boot disk and fewest disks, so every other one can take its clone.
 */
export async function bondableFleet(deps: Deps): Promise<string[]> {
  const ready = (await deps.maas.http.call({
    method: 'GET',
    path: 'machines/',
    query: { status: 'ready' },
  })) as Raw[];
  const fits = ready.filter(
    (m) =>
      m.architecture === 'amd64/generic' &&
      m.bios_boot_method === 'uefi' &&
      ['eno3', 'eno4'].every((n) => m.interface_set.some((i) => i.name === n && i.vlan?.fabric === 'data')),
  );
  const key = (m: Raw) => [m.boot_disk?.size ?? 0, m.physicalblockdevice_set.length];
  const source = [...fits].sort((a, b) => key(a)[0]! - key(b)[0]! || key(a)[1]! - key(b)[1]!)[0];
  if (!source) return [];
  return [source.hostname, ...fits.filter((m) => m !== source).map((m) => m.hostname)];
}
