import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { MaasNetworkError } from '../../src/maas/errors.ts';
import { MaasHttp, type MaasRequest } from '../../src/maas/http.ts';
import { createNodeFetch } from '../../src/node/fetch.ts';

const KEY = 'aaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbb:cccccccccccccccccccccccccccccccc';
let dir: string;
let server: Server;
let url: string;

/** A private CA and a certificate it signed for 127.0.0.1, made with openssl for this test run only. */
function makeCertificates(d: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'ignore' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'srv.key',
    '-out',
    'srv.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1" > ext.cnf'], { cwd: d });
  run(
    'x509',
    '-req',
    '-in',
    'srv.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'srv.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'maas-mcp-tls-'));
  makeCertificates(dir);
  server = createServer(
    { key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.pem')) },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end('[]');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/MAAS`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function send(opts: Parameters<typeof createNodeFetch>[0], req: MaasRequest) {
  const nf = createNodeFetch(opts);
  try {
    return await new MaasHttp({ url, apiKey: KEY, fetch: nf.fetch, retries: 0 }).call(req);
  } finally {
    await nf.close();
  }
}

const list = (opts: Parameters<typeof createNodeFetch>[0]) =>
  send(opts, { method: 'GET', path: 'machines/' });

describe('Node fetch for an HTTPS MAAS', () => {
  it('refuses a certificate it cannot verify, and says the write cannot have happened', async () => {
    const write: MaasRequest = { method: 'POST', path: 'machines/', op: 'allocate', form: { name: 'x' } };
    const err = await send({}, write).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MaasNetworkError);
    expect((err as MaasNetworkError).message).toBe(
      "MAAS's TLS certificate is not trusted (unable to verify the first certificate): set MAAS_CA_FILE to the CA certificate that signed it, or MAAS_TLS_INSECURE=true to skip the check (not recommended)",
    );
    // The TLS handshake failed before any request was sent: the caller may safely say nothing happened.
    expect((err as MaasNetworkError).mayHaveReachedMaas).toBe(false);
  });

  it('says MAAS answered plain HTTP when an https:// URL reaches an HTTP port, without an OpenSSL dump', async () => {
    const plain = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const nf = createNodeFetch({});
    try {
      const c = new MaasHttp({
        url: `https://127.0.0.1:${(plain.address() as AddressInfo).port}/MAAS`,
        apiKey: KEY,
        fetch: nf.fetch,
        retries: 0,
      });
      const write = c.call({ method: 'POST', path: 'machines/', op: 'allocate', form: { name: 'x' } });
      const err = (await write.then(
        () => undefined,
        (e: unknown) => e,
      )) as MaasNetworkError;
      expect(err).toBeInstanceOf(MaasNetworkError);
      expect(err.message).toBe(
        'MAAS answered plain HTTP on an https:// URL: use http:// in MAAS_URL (MAAS serves plain HTTP on port 5240), or point it at the port where MAAS has TLS enabled',
      );
      expect(err.mayHaveReachedMaas).toBe(false);
    } finally {
      await nf.close();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  it('trusts the CA given in MAAS_CA_FILE', async () => {
    expect(await list({ caFile: join(dir, 'ca.pem') })).toEqual([]);
  });

  it('skips verification with MAAS_TLS_INSECURE', async () => {
    expect(await list({ insecure: true })).toEqual([]);
  });

  it('names MAAS_CA_FILE when the file cannot be read', () => {
    expect(() => createNodeFetch({ caFile: join(dir, 'missing.pem') })).toThrow(ConfigError);
    expect(() => createNodeFetch({ caFile: join(dir, 'missing.pem') })).toThrow(
      /MAAS_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/,
    );
  });
});
