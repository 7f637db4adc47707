/**
 * Webhook endpoints must be on the public internet: every special-purpose range of
 * RFC 6890 and the host's own interface addresses are refused when an endpoint is saved
 * (unless INTAKE_WEBHOOK_ALLOW_PRIVATE=true), and a failed delivery is logged with a
 * generic message, never the socket's error (which would map open ports).
 *
 * Nothing here is ever delivered: the namespaces never upload and no worker runs.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, it, mock } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';
import { DeliveryTimeoutError, deliveryFailureMessage, PrivateAddressError } from '../../src/webhooks/url-guard.js';
import { assertError } from './error-helpers.js';

/** One address of each special-purpose range, as a URL host. */
const SPECIAL = [
  // IPv4
  '0.1.2.3', // 0.0.0.0/8
  '100.64.0.1', // shared
  '169.254.169.254', // link-local, cloud metadata
  '192.0.0.8', // IETF protocol assignments
  '192.0.2.2', // TEST-NET-1
  '198.18.0.1', // benchmarking
  '198.19.255.254',
  '198.51.100.7', // TEST-NET-2
  '203.0.113.9', // TEST-NET-3
  '224.0.0.251', // multicast
  '239.255.255.250',
  '240.0.0.1', // reserved
  '255.255.255.255', // limited broadcast
  // IPv6
  '[::]',
  '[::1]',
  '[::c000:202]', // IPv4-compatible (::192.0.2.2)
  '[::ffff:192.0.2.2]', // IPv4-mapped TEST-NET-1
  '[::ffff:c612:1]', // IPv4-mapped 198.18.0.1, in hex
  '[::ffff:10.0.0.1]',
  '[64:ff9b::808:808]', // NAT64
  '[100::1]', // discard-only
  '[2001::1]', // Teredo, in 2001::/23
  '[2001:2::1]', // benchmarking
  '[2001:db8::1]', // documentation
  '[2002:c000:202::1]', // 6to4 of 192.0.2.2
  '[fc00::1]',
  '[fd12:3456::1]',
  '[fe80::1]',
  '[ff02::1]',
];

let strict: TestIntake;
let open: TestIntake;
before(async () => {
  strict = await startIntake({ INTAKE_WORKERS: '0' });
  open = await startIntake({ INTAKE_WORKERS: '0', INTAKE_WEBHOOK_ALLOW_PRIVATE: 'true' });
});
after(async () => {
  await strict.close();
  await open.close();
});

async function createHook(t: TestIntake, key: string, url: string) {
  return t.api('POST', '/v1/webhooks', { key, json: { url, events: ['asset.ready'] } });
}

describe('webhook addresses', () => {
  it('every special-purpose range is refused at create and at PATCH: 400 private_address', async () => {
    const tenant = await strict.tenant();
    for (const host of SPECIAL) {
      const res = assertError(await createHook(strict, tenant.key, `http://${host}:3777/hook`), 400, 'invalid_request', 'url');
      assert.equal(res.body.error!.details.reason, 'private_address', host);
    }
    // A public address is taken (never delivered to: this namespace never uploads, no worker runs).
    const hook = await createHook(strict, tenant.key, 'http://93.184.216.34/hook');
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    for (const host of ['192.0.2.2', '[2001:db8::1]']) {
      const res = assertError(await strict.api('PATCH', `/v1/webhooks/${hook.body.data.id}`, { key: tenant.key, json: { url: `http://${host}/x` } }), 400, 'invalid_request', 'url');
      assert.equal(res.body.error!.details.reason, 'private_address');
    }
    const list = await strict.api('GET', '/v1/webhooks', { key: tenant.key });
    assert.deepEqual(list.body.data.map((h: any) => h.url), ['http://93.184.216.34/hook'], 'nothing refused was saved');
  });

  it("the host's own interface addresses are refused, whatever range they are in", async () => {
    const tenant = await strict.tenant();
    // This machine's real interfaces first (whatever they are).
    for (const info of Object.values(os.networkInterfaces()).flat()) {
      if (!info || info.address.includes('%')) continue;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      assertError(await createHook(strict, tenant.key, `http://${host}:3777/x`), 400, 'invalid_request', 'url');
    }
    // Then an interface on an otherwise public address (a host with a public IP).
    const real = os.networkInterfaces();
    const fake = mock.method(os, 'networkInterfaces', () => ({
      ...real,
      eth9: [
        { address: '93.184.216.34', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:09', internal: false, cidr: '93.184.216.34/24' },
        { address: '2606:2800:220:1::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:09', internal: false, cidr: '2606:2800:220:1::2/64', scopeid: 0 },
      ],
    }));
    try {
      for (const host of ['93.184.216.34', '[::ffff:93.184.216.34]', '[2606:2800:220:1::2]', '[2606:2800:220:1:0:0:0:2]']) {
        const res = assertError(await createHook(strict, tenant.key, `http://${host}/x`), 400, 'invalid_request', 'url');
        assert.equal(res.body.error!.details.reason, 'private_address', host);
      }
    } finally {
      fake.mock.restore();
    }
    assert.equal((await createHook(strict, tenant.key, 'http://93.184.216.34/x')).status, 201, 'public again once it is no interface of ours');
  });

  it('INTAKE_WEBHOOK_ALLOW_PRIVATE=true opens every range', async () => {
    const tenant = await open.tenant();
    for (const host of SPECIAL) {
      const res = await createHook(open, tenant.key, `http://${host}:3777/hook`);
      assert.equal(res.status, 201, `${host}: ${JSON.stringify(res.body)}`);
    }
  });
});

describe('the delivery log message', () => {
  it('is generic for a socket error: no address, port or errno', async () => {
    // A real refused connection, on loopback.
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const refusedErr = await new Promise<Error>((resolve) => net.connect(closed, '127.0.0.1').once('error', resolve));
    assert.match(refusedErr.message, /ECONNREFUSED/);
    const dnsErr = Object.assign(new Error('getaddrinfo ENOTFOUND internal.example'), { code: 'ENOTFOUND' });
    for (const err of [refusedErr, dnsErr, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })]) {
      const message = deliveryFailureMessage(err, 10_000);
      assert.match(message, /could not connect/);
      assert.doesNotMatch(message, /ECONN|ENOTFOUND|127\.0\.0\.1|internal\.example|\d{3,}/, message);
    }
    assert.equal(deliveryFailureMessage(new DeliveryTimeoutError(10_000), 10_000), 'no answer within 10 s');
    const priv = deliveryFailureMessage(new PrivateAddressError('10.0.0.7'), 10_000);
    assert.match(priv, /private or loopback/);
    assert.doesNotMatch(priv, /10\.0\.0\.7/, 'not even which private address a name resolves to');
  });
});
