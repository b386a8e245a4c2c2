import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/sim/requests.ts';
import { createSimulator } from '../../src/sim/simulator.ts';
import { call, sid } from './helpers.ts';

describe('the request log', () => {
  it('records form bodies with secret-looking values redacted, the machine still getting them', async () => {
    const sim = createSimulator();
    const id = sid(sim, 'web-06');
    const put = await call(sim, sim.users.admin, 'PUT', `machines/${id}/`, {
      form: {
        description: 'spare',
        power_parameters_power_user: 'ops',
        power_parameters_power_pass: 'Bmc-Secret-1',
        power_parameters_privilege_key: 'Key-Secret-2',
      },
    });
    expect(put.status).toBe(200);
    const created = await call(sim, sim.users.admin, 'POST', 'machines/', {
      form: {
        mac_addresses: '52:54:00:aa:bb:61',
        architecture: 'amd64/generic',
        power_type: 'ipmi',
        power_parameters: JSON.stringify({ power_address: '10.9.9.9', power_pass: 'Bmc-Secret-3' }),
        commission: 'false',
      },
    });
    expect(created.status).toBe(200);
    const [first, second] = sim.requests.entries;
    expect(first?.form).toEqual([
      ['description', 'spare'],
      ['power_parameters_power_user', 'ops'],
      ['power_parameters_power_pass', REDACTED],
      ['power_parameters_privilege_key', REDACTED],
    ]);
    expect(second?.form).toContainEqual([
      'power_parameters',
      JSON.stringify({ power_address: '10.9.9.9', power_pass: REDACTED }),
    ]);
    const logged = JSON.stringify(sim.requests.entries);
    for (const secret of ['Bmc-Secret-1', 'Key-Secret-2', 'Bmc-Secret-3'])
      expect(logged).not.toContain(secret);
    expect(sim.state.machine(id)?.powerParameters).toMatchObject({
      power_user: 'ops',
      power_pass: 'Bmc-Secret-1',
      privilege_key: 'Key-Secret-2',
    });
    sim.close();
  });

  it('keeps the Authorization header but not its token or signature secrets', async () => {
    const sim = createSimulator();
    const [consumerKey, tokenKey, tokenSecret] = sim.users.admin.apiKey.split(':') as [
      string,
      string,
      string,
    ];
    expect((await call(sim, sim.users.admin, 'GET', 'zones/')).status).toBe(200);
    const auth = sim.requests.entries[0]?.authorization ?? '';
    expect(auth).toMatch(/^OAuth realm="", oauth_version="1.0", oauth_signature_method="PLAINTEXT", /);
    expect(auth).toContain(`oauth_consumer_key="${consumerKey}"`);
    expect(auth).toContain(`oauth_token="${REDACTED}"`);
    expect(auth).toContain(`oauth_signature="%26${REDACTED}"`);
    expect(auth).toMatch(/oauth_nonce="[^"]+", oauth_timestamp="\d+"$/);
    expect(auth).not.toContain(tokenKey);
    expect(auth).not.toContain(tokenSecret);
    sim.close();
  });

  it('redacts OAuth parameters sent in the query string', async () => {
    const sim = createSimulator();
    const [consumerKey, tokenKey, tokenSecret] = sim.users.admin.apiKey.split(':') as [
      string,
      string,
      string,
    ];
    const query = new URLSearchParams({
      oauth_consumer_key: consumerKey,
      oauth_token: tokenKey,
      oauth_signature: `&${tokenSecret}`,
      oauth_signature_method: 'PLAINTEXT',
      oauth_timestamp: String(Math.floor(Date.now() / 1000)),
      oauth_nonce: 'query-nonce-1',
    });
    expect((await call(sim, null, 'GET', `zones/?${query}`)).status).toBe(200);
    expect(sim.requests.entries[0]?.query).toEqual([
      ['oauth_consumer_key', REDACTED],
      ['oauth_token', REDACTED],
      ['oauth_signature', `&${REDACTED}`],
      ['oauth_signature_method', 'PLAINTEXT'],
      ['oauth_timestamp', query.get('oauth_timestamp')],
      ['oauth_nonce', 'query-nonce-1'],
    ]);
    const logged = JSON.stringify(sim.requests.entries);
    expect(logged).not.toContain(tokenKey);
    expect(logged).not.toContain(tokenSecret);
    sim.close();
  });
});
