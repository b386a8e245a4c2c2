/** The /maas text parser, unit by unit: tokenize, parseText, toArgs per field kind, usage and field help. */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { zodMessage } from '../../src/core/errors.ts';
import type { AnyTool } from '../../src/core/tool.ts';
import {
  fieldHelp,
  fieldKind,
  optionNames,
  parseText,
  toArgs,
  tokenize,
  UsageError,
  usage,
} from '../../src/slack/parse.ts';
import { findTool } from '../../src/tools/index.ts';

function tool(name: string): AnyTool {
  const t = findTool(name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
}

const deploy = tool('machine_deploy');
const release = tool('machine_release');
const list = tool('machines_list');
const show = tool('machine_get');
const annotate = tool('machine_owner_data');
const update = tool('machine_update');

/** Parses `text` (without the verb) for `t` the way a command is parsed. */
function args(t: AnyTool, text: string): Record<string, unknown> {
  return toArgs(t, parseText(`${t.verb} ${text}`));
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('tokenize', () => {
  it('splits on any run of whitespace', () => {
    expect(tokenize('deploy  web-01\tweb-02\n distro_series=jammy ')).toEqual([
      'deploy',
      'web-01',
      'web-02',
      'distro_series=jammy',
    ]);
    expect(tokenize('')).toEqual([]);
    expect(tokenize('   ')).toEqual([]);
  });

  it('keeps double- and single-quoted runs together, quotes removed', () => {
    expect(tokenize('mark-broken gpu-01 comment="disk 2 died"')).toEqual([
      'mark-broken',
      'gpu-01',
      'comment=disk 2 died',
    ]);
    expect(tokenize("comment='fan is loud' x")).toEqual(['comment=fan is loud', 'x']);
    // A quote inside a word is a character, not the start of a run.
    expect(tokenize('a"b c"d')).toEqual(['a"b', 'c"d']);
  });

  it('treats the curly quotes Slack clients type as quotes', () => {
    expect(tokenize('comment=“disk 2 died” next')).toEqual(['comment=disk 2 died', 'next']);
    expect(tokenize('comment=‘fan is loud’')).toEqual(['comment=fan is loud']);
    // A curly apostrophe inside double quotes is kept (as a straight one).
    expect(tokenize('comment="it’s dead"')).toEqual(["comment=it's dead"]);
  });

  it('keeps the other kind of quote inside a quoted run', () => {
    expect(tokenize(`comment="it's fine"`)).toEqual(["comment=it's fine"]);
    expect(tokenize(`comment='say "hi"'`)).toEqual(['comment=say "hi"']);
  });

  it('keeps an empty quoted value as an empty value', () => {
    expect(tokenize('annotate web-04 set.ticket=""')).toEqual(['annotate', 'web-04', 'set.ticket=']);
    expect(tokenize('x "" y')).toEqual(['x', '', 'y']);
    expect(tokenize("''")).toEqual(['']);
  });

  it('keeps newlines inside quotes (cloud-init user data)', () => {
    expect(tokenize('user_data="#cloud-config\npackages: [htop]"')).toEqual([
      'user_data=#cloud-config\npackages: [htop]',
    ]);
  });

  it('refuses an unclosed quote with a UsageError naming the quote', () => {
    expect(usageError(() => tokenize('comment="disk 2 died'))).toMatch(/quote \(".*not closed/);
    expect(usageError(() => tokenize("comment='x"))).toMatch(/quote \('\) is not closed/);
    expect(usageError(() => tokenize('comment=“disk'))).toMatch(/not closed/);
  });

  it('reads an apostrophe inside a word (also a curly one) as a letter, the way people type', () => {
    expect(tokenize('mark-broken gpu-01 comment=it’s dead')).toEqual([
      'mark-broken',
      'gpu-01',
      "comment=it's",
      'dead',
    ]);
  });

  it('still refuses a quote opened at the start of a value and never closed', () => {
    expect(usageError(() => tokenize('comment="never closed'))).toMatch(/not closed/);
  });
});

describe('parseText', () => {
  it('takes the first word as the verb (lower-cased), bare words as positional, key=value and --flag as options', () => {
    expect(parseText('DEPLOY Web-01 web-02 Distro_Series=Jammy --wait comment="a = b"')).toEqual({
      verb: 'deploy',
      positional: ['Web-01', 'web-02'],
      options: [
        ['distro_series', 'Jammy'],
        ['wait', 'true'],
        ['comment', 'a = b'],
      ],
    });
  });

  it('defaults to help for empty text', () => {
    expect(parseText('')).toEqual({ verb: 'help', positional: [], options: [] });
    expect(parseText('   ').verb).toBe('help');
  });

  it('keeps everything after the first = in the value', () => {
    expect(parseText('x note=a=b=c').options).toEqual([['note', 'a=b=c']]);
  });

  it('keeps dotted keys for key/value fields', () => {
    expect(parseText('annotate web-04 set.service=web').options).toEqual([['set.service', 'web']]);
  });

  it('propagates an unclosed quote as a UsageError', () => {
    expect(() => parseText('deploy web-01 comment="x')).toThrow(UsageError);
  });
});

describe('fieldKind', () => {
  it('sees booleans, numbers, lists, records and strings through optional/default wrappers', () => {
    const shape = (t: AnyTool) => t.input.shape as Record<string, z.ZodType>;
    expect(fieldKind(shape(release).erase as z.ZodType)).toBe('boolean');
    expect(fieldKind(shape(deploy).wait as z.ZodType)).toBe('boolean');
    expect(fieldKind(shape(deploy).wait_timeout_s as z.ZodType)).toBe('number');
    expect(fieldKind(shape(list).limit as z.ZodType)).toBe('number');
    expect(fieldKind(shape(list).tags as z.ZodType)).toBe('list');
    expect(fieldKind(shape(deploy).machines as z.ZodType)).toBe('list');
    expect(fieldKind(shape(show).detail as z.ZodType)).toBe('list');
    expect(fieldKind(shape(annotate).set as z.ZodType)).toBe('record');
    expect(fieldKind(shape(update).power_parameters as z.ZodType)).toBe('record');
    expect(fieldKind(shape(deploy).distro_series as z.ZodType)).toBe('string');
    expect(fieldKind(shape(show).machine as z.ZodType)).toBe('string');
  });
});

describe('toArgs', () => {
  it('booleans: true/yes/on/1 and --flag are true; false/no/off/0 are false (any case)', () => {
    for (const v of ['true', 'yes', 'on', '1', 'YES'])
      expect(args(release, `db-01 erase=${v}`).erase).toBe(true);
    for (const v of ['false', 'no', 'off', '0', 'No'])
      expect(args(release, `db-01 erase=${v}`).erase).toBe(false);
    expect(args(release, 'db-01 --erase').erase).toBe(true);
  });

  it('booleans: anything else is refused, naming the field and the value', () => {
    expect(usageError(() => args(release, 'db-01 erase=maybe'))).toBe(
      'erase must be true or false (got "maybe")',
    );
    expect(usageError(() => args(release, 'db-01 erase='))).toBe('erase must be true or false (got "")');
  });

  it('numbers: limit=5 is 5; words and empty values are refused', () => {
    expect(args(list, 'limit=5').limit).toBe(5);
    expect(args(list, 'limit=5 offset=10')).toEqual({ limit: 5, offset: 10 });
    expect(usageError(() => args(list, 'limit=x'))).toBe('limit must be a number (got "x")');
    expect(usageError(() => args(list, 'limit='))).toBe('limit must be a number (got "")');
    expect(usageError(() => args(list, 'limit=Infinity'))).toMatch(/must be a number/);
  });

  it('lists: comma-separated and repeated options accumulate', () => {
    expect(args(list, 'tags=a,b tags=c').tags).toEqual(['a', 'b', 'c']);
    expect(args(list, 'status=failed').status).toEqual(['failed']);
    expect(args(list, 'tags=a,,b,').tags).toEqual(['a', 'b']);
    expect(args(show, 'web-01 detail=hardware,events').detail).toEqual(['hardware', 'events']);
  });

  it('records: key.sub=value builds an object; a bare key is refused with an example', () => {
    expect(args(annotate, 'web-04 set.service=web set.ticket=OPS-42').set).toEqual({
      service: 'web',
      ticket: 'OPS-42',
    });
    expect(args(annotate, 'web-04 set.ticket=').set).toEqual({ ticket: '' });
    expect(usageError(() => args(annotate, 'web-04 set=web'))).toBe(
      'set takes set.<key>=<value> (e.g. set.service=web)',
    );
  });

  // Regression (fixed): a key/value field's key is cut at its second dot: `set.team.name=x` sets the annotation "team", not
  // "team.name" (annotation keys may contain dots: /^[\w.-]{1,64}$/ in src/tools/machine-admin.ts). Cause:
  // `key.split('.', 2)` in toArgs (src/slack/parse.ts, "const [typed = '', sub] = key.split('.', 2)") drops
  // everything after the second dot. Fix: split at the first dot only —
  // `const i = key.indexOf('.'); const typed = i < 0 ? key : key.slice(0, i); const sub = i < 0 ? undefined : key.slice(i + 1);`
  it('records: a key with dots is kept whole (set.team.name=x)', () => {
    expect(args(annotate, 'web-04 set.team.name=x').set).toEqual({ 'team.name': 'x' });
  });

  // Regression (fixed): a key/value field's key with a dash (allowed for annotations: /^[\w.-]{1,64}$/) is not recognised as an
  // option at all: parseText's option pattern /^([a-z_][a-z0-9_.]*)=(.*)$/ (src/slack/parse.ts) has no "-", so
  // `set.ticket-id=OPS-1` becomes a bare word and is glued to the machine name ("web-04 set.ticket-id=OPS-1").
  // Fix: allow "-" after the first dot, e.g. /^([a-z_][a-z0-9_]*(?:\.[\w.-]+)?)=(.*)$/is.
  it('records: a key with a dash is an option (set.ticket-id=OPS-1)', () => {
    expect(args(annotate, 'web-04 set.ticket-id=OPS-1')).toEqual({
      machine: 'web-04',
      set: { 'ticket-id': 'OPS-1' },
    });
  });

  it('objects: key.sub=value reads each value by its own schema (numbers, lists); JSON also works', () => {
    const layout = tool('machine_storage_layout');
    expect(
      args(
        layout,
        'db-02 layout=efi_lvm params.root_size_g=40 params.device=/dev/sda params.cache_no_part=yes',
      ),
    ).toEqual({
      machines: ['db-02'],
      layout: 'efi_lvm',
      params: { root_size_g: 40, device: '/dev/sda', cache_no_part: true },
    });
    expect(args(layout, 'db-02 layout=custom spec={"disks":[{"name":"sda","fstype":"ext4"}]}').spec).toEqual({
      disks: [{ name: 'sda', fstype: 'ext4' }],
    });
    expect(usageError(() => args(layout, 'db-02 params.colour=blue'))).toMatch(
      /^params\.colour: there is no "colour" there \(it has boot_size, root_size, /,
    );
    expect(usageError(() => args(layout, 'db-02 params.root_size_g=lots'))).toBe(
      'params.root_size_g must be a number (got "lots")',
    );
    expect(usageError(() => args(layout, 'db-02 params=big'))).toBe(
      'params takes params.<key>=value, or JSON',
    );
  });

  it('lists of objects: key.<n>.sub=value builds item n (n may be left out for the first); lists inside accumulate', () => {
    const net = tool('machine_network_configure');
    expect(
      args(
        net,
        'db-02 bonds.name=bond0 bonds.0.interfaces=eno3 bonds.interfaces=eno4 bonds.mtu=9000 bonds.1.name=bond1 interfaces.0.name=bond0 interfaces.0.default_gateway=true interfaces.1.name=eno1 interfaces.1.ip_mode=DHCP',
      ),
    ).toEqual({
      machines: ['db-02'],
      bonds: [{ name: 'bond0', interfaces: ['eno3', 'eno4'], mtu: 9000 }, { name: 'bond1' }],
      interfaces: [
        { name: 'bond0', default_gateway: true },
        { name: 'eno1', ip_mode: 'dhcp' },
      ],
    });
    expect(usageError(() => args(net, 'db-02 bonds=bond0'))).toBe(
      'bonds takes bonds.<n>.<key>=value (n from 0), e.g. bonds.0.name=…, or JSON',
    );
    expect(usage(net)).toContain('[bonds.<n>.<key>=…]');
  });

  it('positional machines: every bare word (and comma list) is a machine', () => {
    expect(args(deploy, 'web-01 web-02,web-03').machines).toEqual(['web-01', 'web-02', 'web-03']);
  });

  it('positional single machine: bare words form the one machine reference', () => {
    expect(args(show, 'web-01').machine).toBe('web-01');
    // Two words are one (unknown) reference; MAAS then says it does not know "web-01 web-02".
    expect(args(show, 'web-01 web-02').machine).toBe('web-01 web-02');
  });

  it('a verb without a positional field refuses bare words', () => {
    expect(usageError(() => args(list, 'web-01'))).toBe(
      '`list` takes no bare words (got "web-01"); use key=value',
    );
  });

  it('an unknown option is refused, naming the options the verb takes (never confirm_token)', () => {
    const msg = usageError(() => args(deploy, 'web-01 bogus=1'));
    expect(msg).toBe(
      'unknown option "bogus"; `deploy` takes: distro_series, hwe_kernel, user_data, comment, wait, wait_timeout_s',
    );
    expect(usageError(() => args(deploy, 'web-01 confirm_token=mmc_x'))).toMatch(
      /^unknown option "confirm_token"/,
    );
  });

  it('an unambiguous start of an option name is that option; an ambiguous one is unknown', () => {
    expect(args(deploy, 'web-01 distro=jammy').distro_series).toBe('jammy');
    expect(usageError(() => args(deploy, 'web-01 w=1'))).toMatch(/^unknown option "w"/);
    // A start of confirm_token never reaches it.
    expect(usageError(() => args(deploy, 'web-01 confirm=mmc_x'))).toMatch(/^unknown option "confirm"/);
  });

  it('strings keep their value as typed (case, spaces from quotes)', () => {
    expect(args(deploy, 'web-01 comment="Rack 4, Slot B"').comment).toBe('Rack 4, Slot B');
  });

  it('the schema validates after parsing: a readable zod message for out-of-range values', () => {
    const parsed = list.input.safeParse(args(list, 'limit=501'));
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(zodMessage(parsed.error)).toMatch(/^limit: .*500/);
  });
});

describe('usage and field help', () => {
  it('usage shows the positional field and every option with a hint of its kind', () => {
    expect(usage(deploy)).toBe(
      '`/maas deploy <machines…> [distro_series=…] [hwe_kernel=…] [user_data=…] [comment=…] [wait=true|false] [wait_timeout_s=N]`',
    );
    expect(usage(show)).toBe('`/maas show <machine> [detail=a,b]`');
    expect(usage(annotate)).toBe('`/maas annotate <machine> [set.<key>=…]`');
    expect(usage(list)).toContain('[tags=a,b]');
    expect(usage(list)).toContain('[limit=N]');
    expect(usage(list)).not.toContain('<');
  });

  it('option names leave out the positional field and confirm_token', () => {
    expect(optionNames(release)).toEqual([
      'erase',
      'secure_erase',
      'quick_erase',
      'comment',
      'wait',
      'wait_timeout_s',
    ]);
  });

  it('field help has one described line per field (from the zod descriptions), never confirm_token', () => {
    const lines = fieldHelp(release);
    expect(lines).toHaveLength(7);
    for (const line of lines) expect(line).toMatch(/^• `[a-z_]+` — \S.{5,}/);
    expect(lines.join('\n')).not.toContain('confirm_token');
    expect(lines[1]).toBe('• `erase` — Erase the disks');
  });
});
