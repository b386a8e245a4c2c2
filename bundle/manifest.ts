/**
 * The Claude Desktop bundle's manifest.json (MCPB manifest 0.3), built from the code it describes: the tools from the
 * registry, the toolsets from the settings, the version from src/version.ts. README "Claude Desktop" explains each
 * setting to users.
 */
import type { McpbManifestAny } from '@anthropic-ai/mcpb';
import { TOOLSETS } from '../src/config.ts';
import { ALL_TOOLS } from '../src/tools/index.ts';
import { VERSION } from '../src/version.ts';

/** Where the bundled CLI sits inside the bundle. */
export const SERVER_ENTRY = 'server/index.js';

/**
 * The environment each setting becomes. Every setting has a default, so an unset one is substituted as that
 * default ("" or false) rather than left as a literal `${user_config.…}`. The API key goes through the environment,
 * never the command line, which other local users can read.
 */
export const SETTING_ENV = {
  maas_url: 'MAAS_URL',
  maas_api_key: 'MAAS_API_KEY',
  maas_ca_file: 'MAAS_CA_FILE',
  read_only: 'MAAS_MCP_READ_ONLY',
  toolsets: 'MAAS_MCP_TOOLSETS',
  demo: 'MAAS_MCP_DEMO',
} as const;

export type Setting = keyof typeof SETTING_ENV;

const LONG_DESCRIPTION = `Drive a [Canonical MAAS](https://maas.io) bare-metal fleet from Claude: list and inspect machines, \
commission, allocate, deploy, release, erase, rescue, mark broken, lock, tag and power them.

- Every destructive action (deploy, release, erase, delete, power off, abort, mark broken, restore config) first \
shows what will happen to each machine and runs only after you confirm it.
- Long MAAS operations are followed in the background; you are told when they finish.
- API keys, BMC passwords and cloud-init user data never appear in answers or logs; every write is recorded in an \
audit log on this computer.

Turn on **Try it without MAAS** to explore with a built-in simulated MAAS and a seeded fleet of 24 machines: \
nothing real is touched. To use your MAAS, give its URL and an API key (kept in the system keychain); maas-mcp can \
do exactly what that MAAS user can.`;

export function bundleManifest(): McpbManifestAny {
  const env: Record<string, string> = {};
  for (const [setting, variable] of Object.entries(SETTING_ENV)) env[variable] = `\${user_config.${setting}}`;
  return {
    manifest_version: '0.3',
    name: 'maas-mcp',
    display_name: 'MAAS (maas-mcp)',
    version: VERSION,
    description:
      'Drive a Canonical MAAS bare-metal fleet safely: typed tools, confirmed destructive actions, background operations.',
    long_description: LONG_DESCRIPTION,
    author: { name: 'maas-mcp contributors' },
    icon: 'icon.png',
    license: 'Apache-2.0',
    keywords: ['maas', 'bare metal', 'canonical', 'ubuntu', 'servers', 'provisioning', 'datacenter'],
    server: {
      type: 'node',
      entry_point: SERVER_ENTRY,
      mcp_config: {
        command: 'node',
        args: [`\${__dirname}/${SERVER_ENTRY}`, 'stdio'],
        env,
      },
    },
    tools: ALL_TOOLS.map((t) => ({ name: t.name, description: t.description })),
    tools_generated: false,
    compatibility: {
      // Pure JavaScript and WebAssembly: no native module, so any platform the host's Node runs on.
      platforms: ['darwin', 'win32', 'linux'],
      runtimes: { node: '>=20.0.0' },
    },
    user_config: {
      maas_url: {
        type: 'string',
        title: 'MAAS URL',
        description:
          'Your MAAS, e.g. http://maas.example.com:5240/MAAS. Leave empty when "Try it without MAAS" is on.',
        required: false,
        default: '',
      },
      maas_api_key: {
        type: 'string',
        title: 'MAAS API key',
        description:
          'consumer_key:token_key:token_secret of the MAAS user maas-mcp acts as (MAAS UI: your user → API keys). maas-mcp can do exactly what that user can. Kept in the system keychain.',
        sensitive: true,
        required: false,
        default: '',
      },
      maas_ca_file: {
        type: 'file',
        title: 'MAAS CA certificate',
        description:
          'Optional: a PEM file with the CA that signed your MAAS HTTPS certificate, when it is not publicly trusted.',
        required: false,
        default: '',
      },
      read_only: {
        type: 'boolean',
        title: 'Read-only',
        description: 'Offer only the tools that change nothing.',
        default: false,
      },
      toolsets: {
        type: 'string',
        title: 'Toolsets',
        description: `Which tools to offer: all, or a comma list of ${TOOLSETS.join(', ')}.`,
        default: 'all',
      },
      demo: {
        type: 'boolean',
        title: 'Try it without MAAS',
        description:
          'Use a built-in simulated MAAS with a seeded fleet of 24 machines; nothing real is touched. The MAAS URL and key are not used while this is on.',
        default: false,
      },
    },
  };
}
