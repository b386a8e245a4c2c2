/**
 * Operation kinds read as words (kindLabel) in headings and lists, one emoji per
 * operation state everywhere, and machine status emoji from MAAS's status families.
 */
import { describe, expect, it } from 'vitest';
import type { OperationView } from '../../src/core/operations/view.ts';
import * as B from '../../src/slack/blocks.ts';
import { type Msg, texts } from './helpers.ts';

const text = (m: B.SlackMessage) => texts(m as Msg);

function view(over: Partial<OperationView> = {}): OperationView {
  return {
    id: 'op_0123456789abcd',
    kind: 'rescue_enter',
    tool: 'machine_rescue',
    state: 'partial',
    summary: 'enter rescue mode: web-01, web-02',
    requester: 'UOPS (slack)',
    created_at: '2024-01-01T00:00:00.000Z',
    deadline_at: '2024-01-01T00:15:00.000Z',
    finished_at: '2024-01-01T00:05:00.000Z',
    counts: { total: 2, succeeded: 1, failed: 1, pending: 0, timed_out: 0, cancelled: 0 },
    targets: [
      {
        hostname: 'web-01',
        system_id: 'a1',
        start_status: 'Deployed',
        status: 'Rescue mode',
        result: 'succeeded',
        message: '',
      },
      {
        hostname: 'web-02',
        system_id: 'a2',
        start_status: 'Deployed',
        status: 'Failed to enter rescue mode',
        result: 'failed',
        message: '',
        error: 'no boot',
      },
    ],
    ...over,
  } as OperationView;
}

describe('operation headings and lists', () => {
  it('name the kind in words, with the same state emoji in both', () => {
    const status = text(B.operationStatus(view()));
    expect(status).toContain(':warning: *enter rescue mode* `op_0123456789abcd` partial: 1/2 done, 1 failed');
    expect(status).toMatch(/^enter rescue mode op_0123456789abcd partial/);
    const { targets: _t, ...row } = view();
    const list = text(B.operationsList({ operations: [row], more: false, next_offset: null }));
    expect(list).toContain(':warning: `op_0123456789abcd` *enter rescue mode* partial 1/2');
  });

  it('every state has one emoji, the same in a heading and a list row', () => {
    const expected = {
      running: ':hourglass_flowing_sand:',
      awaiting_approval: ':passport_control:',
      succeeded: ':white_check_mark:',
      failed: ':x:',
      partial: ':warning:',
      timed_out: ':alarm_clock:',
      cancelled: ':no_entry_sign:',
    } as const;
    for (const [state, emoji] of Object.entries(expected)) {
      const v = view({ state: state as OperationView['state'], kind: 'power_on' });
      expect(text(B.operationStatus(v))).toContain(`${emoji} *power on*`);
      const { targets: _t, ...row } = v;
      expect(text(B.operationsList({ operations: [row], more: false, next_offset: null }))).toContain(
        `${emoji} \`op_0123456789abcd\` *power on*`,
      );
    }
  });
});

describe('machine status emoji', () => {
  it('come from the status family', () => {
    expect(B.emoji('Deployed')).toBe(':large_green_circle:');
    expect(B.emoji('Failed deployment')).toBe(':red_circle:');
    expect(B.emoji('Releasing failed')).toBe(':red_circle:');
    expect(B.emoji('Disk erasing')).toBe(':hourglass_flowing_sand:');
    expect(B.emoji('Rescue mode')).toBe(':ambulance:');
    expect(B.emoji('Entering rescue mode')).toBe(':hourglass_flowing_sand:');
    // "Missing" is not on its way anywhere (the old suffix guess took it for a transition).
    expect(B.emoji('Missing')).toBe(':black_circle:');
    expect(B.emoji('not a status')).toBe(':black_circle:');
  });
});
