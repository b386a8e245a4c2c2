/** MAAS error texts that quote secrets back: what requestSecrets finds and scrubEchoed removes. */
import { describe, expect, it } from 'vitest';
import { REDACTED, requestSecrets, scrubEchoed } from '../../src/base/redact.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('requestSecrets', () => {
  it('takes secret fields, judging each BMC setting by its own name', () => {
    expect(
      requestSecrets(
        {
          power_parameters_power_pass: 'calvin-pw',
          power_parameters_power_address: '10.0.0.5',
          description: 'front rack',
          power_parameters: {
            power_address: '10.0.0.6',
            power_user: 'bmc-admin',
            power_pass: { nested: 'deep-pw' },
          },
        },
        { hostname: ['web-01'] },
      ).sort(),
    ).toEqual(['bmc-admin', 'calvin-pw', 'deep-pw']);
  });

  it('counts base64 user_data decoded too, line by line, and skips values too short to scrub verbatim', () => {
    const text = '#cloud-config\nchpasswd: root:Hunter2-secret\n';
    expect(requestSecrets({ user_data: b64(text), power_parameters_power_pass: 'abc' })).toEqual([
      b64(text),
      text,
      '#cloud-config',
      'chpasswd: root:Hunter2-secret',
    ]);
  });
});

describe('scrubEchoed', () => {
  it("removes the request's own secret values, raw and JSON-escaped", () => {
    const body = '{"power_parameters": ["Could not log in to 10.0.0.5 as admin with \\"pa\\"ss-42\\"."]}';
    const out = scrubEchoed(body, ['pa"ss-42']);
    expect(out).toBe(
      `{"power_parameters": ["Could not log in to 10.0.0.5 as admin with \\"${REDACTED}\\"."]}`,
    );
    expect(JSON.parse(out)).toBeTruthy();
  });

  it('removes any value shaped like a secret power parameter, even one maas-mcp never saw', () => {
    const cases: [string, string][] = [
      ['power_pass=Other-BMC-1 power_address=10.1.1.1', `power_pass=${REDACTED} power_address=10.1.1.1`],
      [
        '{"power_pass": "Other-BMC-2", "power_address": "10.1.1.2"}',
        `{"power_pass": "${REDACTED}", "power_address": "10.1.1.2"}`,
      ],
      [
        "{'power_user': 'root', 'power_pass': 'Other BMC 3'}",
        `{'power_user': '${REDACTED}', 'power_pass': '${REDACTED}'}`,
      ],
      ['["got {\\"power_pass\\": \\"Other-BMC-4\\"}"]', `["got {\\"power_pass\\": \\"${REDACTED}\\"}"]`],
      [
        'power_parameters_power_pass=Other-BMC-5&power_parameters_power_address=10.1.1.5',
        `power_parameters_power_pass=${REDACTED}&power_parameters_power_address=10.1.1.5`,
      ],
      ['"password": "with \\"quote\\" inside"', `"password": "${REDACTED}"`],
      ["power_pass='never closed\nnext line", `power_pass='${REDACTED}\nnext line`],
    ];
    for (const [text, want] of cases) expect(scrubEchoed(text), text).toBe(want);
  });

  it('leaves prose and field errors alone', () => {
    for (const text of [
      'password: This field is required.',
      '{"power_parameters_power_pass": ["This field is required."]}',
      "Can't deploy a machine that is in the 'Deployed' state",
      'zone: Select a valid choice. That choice is not one of the available choices.',
    ]) {
      expect(scrubEchoed(text)).toBe(text);
    }
  });
});
