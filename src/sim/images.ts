/** The boot images the simulated MAAS has synced, and deploy-time `distro_series` / `hwe_kernel` validation. */
import { fieldError } from './http.ts';

/** Ubuntu series → version, oldest first (the order MAAS lists choices in). */
export const SERIES: ReadonlyArray<[string, string]> = [
  ['focal', '20.04'],
  ['jammy', '22.04'],
  ['noble', '24.04'],
];

/** `Config.default_distro_series`. */
export const DEFAULT_SERIES = 'jammy';

/** Accepts `jammy`, `ubuntu/jammy`, `22.04`, `ubuntu/22.04`; 400 JSON otherwise. */
export function cleanDistroSeries(value: string | undefined): {
  osystem: string;
  series: string;
  version: string;
} {
  const raw = (value ?? '').trim() || DEFAULT_SERIES;
  const bare = raw.startsWith('ubuntu/') ? raw.slice(7) : raw;
  const hit = SERIES.find(([name, version]) => name === bare || version === bare);
  if (!hit) {
    const choices = ["''", ...SERIES.map(([name]) => `'ubuntu/${name}'`)].join(', ');
    throw fieldError(
      'distro_series',
      `'${raw}' is not a valid distro_series.  It should be one of: ${choices}.`,
    );
  }
  return { osystem: 'ubuntu', series: hit[0], version: hit[1] };
}

/** Kernels offered for a series: `ga-V`, `hwe-V`, `hwe-V-edge` (plus lowlatency flavours). */
function kernelsFor(version: string): string[] {
  return [
    `ga-${version}`,
    `hwe-${version}`,
    `hwe-${version}-edge`,
    `ga-${version}-lowlatency`,
    `hwe-${version}-lowlatency`,
  ];
}

export function cleanHweKernel(
  value: string | undefined,
  series: string,
  version: string,
  arch: string,
): string {
  if (value === undefined || value.trim() === '') return `ga-${version}`;
  const k = value.trim();
  if (!kernelsFor(version).includes(k)) {
    throw fieldError('hwe_kernel', `${k} is not available for ubuntu/${series} on ${arch}.`);
  }
  return k;
}
