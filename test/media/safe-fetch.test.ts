/**
 * The SSRF guard and the download limits, against real HTTP servers on
 * loopback. 127.0.0.1 plays the private network; 127.0.0.2 plays a "public"
 * host through an injected address policy, so redirects from an allowed host
 * to a private one can be tested without the internet.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserFacingError } from '../../src/core/errors.js';
import { isPublicAddress } from '../../src/media/address-policy.js';
import { fetchUserFile, type SafeFetchOptions } from '../../src/media/safe-fetch.js';

/** The first bytes of a real MP4: a 24-byte `ftyp` box (brand isom). */
const MP4_BYTES = Buffer.concat([
  Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex'),
  Buffer.alloc(200, 7),
]);
const PNG_BYTES = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, 1)]);

interface TestServer {
  url: string;
  port: number;
  hits: string[];
  hosts: string[];
  close(): Promise<void>;
}

async function startServer(host: string, handler: http.RequestListener): Promise<TestServer> {
  const hits: string[] = [];
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    hosts.push(req.headers.host ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    hits,
    hosts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The "public" host: a small router of canned responses. */
function publicRoutes(privateUrl: () => string, self: () => string): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/clip.mp4':
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': MP4_BYTES.length });
        return void res.end(MP4_BYTES);
      case '/octet-mp4':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(MP4_BYTES);
      case '/octet-html':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end('<!doctype html><html><body>not a video</body></html>');
      case '/page.html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end('<html></html>');
      case '/face.png':
        res.writeHead(200, { 'content-type': 'image/png' });
        return void res.end(PNG_BYTES);
      case '/vector.svg':
        res.writeHead(200, { 'content-type': 'image/svg+xml' });
        return void res.end('<svg/>');
      case '/big-declared':
        // Declares more than the cap; the body is never wanted.
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 60 * 1024 * 1024 });
        return void res.write(MP4_BYTES);
      case '/endless': {
        // Chunked, no length, never ends: only the streaming cap (or the deadline) stops it.
        res.writeHead(200, { 'content-type': 'video/mp4' });
        res.write(MP4_BYTES);
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 1)), 1);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/plain' });
        return void res.end('nope');
      case '/to-private':
        res.writeHead(302, { location: `${privateUrl()}/secret` });
        return void res.end();
      case '/to-localhost':
        res.writeHead(301, { location: privateUrl().replace('127.0.0.1', 'localhost') + '/secret' });
        return void res.end();
      case '/to-metadata':
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' });
        return void res.end();
      case '/to-file':
        res.writeHead(302, { location: 'file:///etc/passwd' });
        return void res.end();
      case '/relative':
        res.writeHead(302, { location: '/clip.mp4' });
        return void res.end();
      case '/hop': {
        // /hop?n=3 redirects three times, then serves the clip.
        const n = Number(url.searchParams.get('n'));
        res.writeHead(302, { location: n > 1 ? `${self()}/hop?n=${n - 1}` : `${self()}/clip.mp4` });
        return void res.end();
      }
      case '/never':
        return; // accepts the request and never answers
      default:
        res.writeHead(404);
        res.end();
    }
  };
}

let dir: string;
let privateServer: TestServer;
let publicServer: TestServer;
let counter = 0;

/** Treats 127.0.0.2 as a public host; everything else by the production policy. */
const allowPublicTwo = (address: string) => address === '127.0.0.2' || isPublicAddress(address);

function fetchTo(url: string, overrides: Partial<SafeFetchOptions> = {}) {
  const destination = path.join(dir, `download-${counter++}`);
  const options: SafeFetchOptions = { kind: 'video', maxBytes: 1_000_000, timeoutMs: 5_000, allowAddress: allowPublicTwo, ...overrides };
  return { destination, result: fetchUserFile(url, destination, options) };
}

async function assertRefused(promise: Promise<unknown>, code: string, sentence?: RegExp): Promise<UserFacingError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof UserFacingError, `expected a UserFacingError, got ${String(caught)}`);
  assert.equal(caught.code, code, `message was: ${caught.userMessage}`);
  if (sentence) assert.match(caught.userMessage, sentence);
  return caught;
}

async function leftovers(): Promise<string[]> {
  return readdir(dir);
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'safe-fetch-'));
  privateServer = await startServer('127.0.0.1', (_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4' });
    res.end(MP4_BYTES);
  });
  publicServer = await startServer('127.0.0.2', publicRoutes(() => privateServer.url, () => publicServer.url));
});

after(async () => {
  await privateServer.close();
  await publicServer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('address policy', () => {
  const refused = [
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    '169.254.169.254', '169.254.0.1', '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3',
    '224.0.0.1', '239.255.255.250', '255.255.255.255', '240.0.0.1', '192.0.2.10', '198.18.0.1',
    '::', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::ffff:8.8.8.8',
    '::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::127.0.0.1', '64:ff9b:1::1', 'fc00::1', 'fd12:3456::1',
    'fe80::1', 'fe80::1%eth0', 'febf::1', 'ff02::1', 'ff05::2', '2002:7f00:1::1', '2002:a9fe:a9fe::1',
    '2001:db8::1', '2001:0:4136:e378::1', '100::1', 'not-an-ip', '',
  ];
  for (const address of refused) {
    test(`refuses ${address || '(empty)'}`, () => assert.equal(isPublicAddress(address), false));
  }
  const allowed = ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '11.0.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e', '2002:808:808::1'];
  for (const address of allowed) {
    test(`allows ${address}`, () => assert.equal(isPublicAddress(address), true));
  }
});

describe('fetchUserFile refuses private destinations', () => {
  // Literal forms that all reach this machine. The default policy applies (no 127.0.0.2 exception).
  const literalUrls = () => [
    `${privateServer.url}/clip.mp4`,
    `http://[::1]:${privateServer.port}/clip.mp4`,
    `http://[::ffff:127.0.0.1]:${privateServer.port}/clip.mp4`,
    `http://[::ffff:7f00:1]:${privateServer.port}/clip.mp4`,
    'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
    'http://169.254.169.254/latest/meta-data/',
    `http://0.0.0.0:${privateServer.port}/clip.mp4`,
    `http://2130706433:${privateServer.port}/clip.mp4`, // 127.0.0.1 as one decimal number
    `http://0x7f.1:${privateServer.port}/clip.mp4`, // 127.0.0.1 in hex shorthand
    `http://localhost:${privateServer.port}/clip.mp4`,
  ];
  test('every literal and DNS form of a local address, without sending a request', async () => {
    for (const url of literalUrls()) {
      const { result } = fetchTo(url, { allowAddress: undefined, timeoutMs: 2_000 });
      await assertRefused(result, 'source_private_address', /private network address/);
    }
    assert.deepEqual(privateServer.hits, []);
    assert.deepEqual(await leftovers(), []);
  });

  test('a host name whose DNS answer is private (metadata address)', async () => {
    const { result } = fetchTo('http://cdn.example/clip.mp4', { resolve: async () => [{ address: '169.254.169.254', family: 4 }] });
    const error = await assertRefused(result, 'source_private_address');
    assert.match(String((error.cause as Error).message), /169\.254\.169\.254/, 'the technical cause is kept for the log');
  });

  test('a host name with one public and one private answer', async () => {
    const { result } = fetchTo('http://mixed.example/clip.mp4', {
      resolve: async () => [
        { address: '127.0.0.2', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ],
    });
    await assertRefused(result, 'source_private_address');
  });

  test('a redirect from an allowed host to a private one, to localhost, and to the metadata address', async () => {
    for (const route of ['/to-private', '/to-localhost', '/to-metadata']) {
      const { result } = fetchTo(`${publicServer.url}${route}`);
      await assertRefused(result, 'source_private_address');
    }
    assert.deepEqual(privateServer.hits, [], 'the private server must never be contacted');
  });

  test('allowPrivateAddresses lets the simulator on 127.0.0.1 through (tests only)', async () => {
    const { result, destination } = fetchTo(`${privateServer.url}/clip.mp4`, { allowAddress: undefined, allowPrivateAddresses: true });
    assert.equal((await result).bytes, MP4_BYTES.length);
    assert.deepEqual(await readFile(destination), MP4_BYTES);
    privateServer.hits.length = 0;
  });
});

describe('fetchUserFile schemes and redirects', () => {
  test('only http and https', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.mp4', 'data:video/mp4;base64,AAAA', 'gopher://x/']) {
      await assertRefused(fetchTo(url).result, 'source_bad_scheme', /http/);
    }
    await assertRefused(fetchTo(`${publicServer.url}/to-file`).result, 'source_bad_scheme');
    await assertRefused(fetchTo('not a url').result, 'source_bad_url');
  });

  test('follows a relative redirect and up to 3 hops', async () => {
    assert.equal((await fetchTo(`${publicServer.url}/relative`).result).bytes, MP4_BYTES.length);
    const fetched = await fetchTo(`${publicServer.url}/hop?n=3`).result;
    assert.equal(fetched.finalUrl, `${publicServer.url}/clip.mp4`);
  });

  test('refuses a fourth redirect', async () => {
    await assertRefused(fetchTo(`${publicServer.url}/hop?n=4`).result, 'source_too_many_redirects');
  });

  test('connects to the checked address, not to a fresh DNS answer (rebinding)', async () => {
    let lookups = 0;
    // First answer public, every later one private: a rebinding attacker's DNS.
    const resolve = async () => [{ address: lookups++ === 0 ? '127.0.0.2' : '127.0.0.1', family: 4 as const }];
    const before = publicServer.hosts.length;
    const { result } = fetchTo(`http://media.rebind.test:${publicServer.port}/clip.mp4`, { resolve });
    // `media.rebind.test` does not exist in real DNS: success proves the connection used the pinned address.
    assert.equal((await result).bytes, MP4_BYTES.length);
    assert.equal(lookups, 1);
    assert.equal(publicServer.hosts[before], `media.rebind.test:${publicServer.port}`);
    assert.deepEqual(privateServer.hits, []);
  });

  test('an HTTP error status is refused with a sentence', async () => {
    await assertRefused(fetchTo(`${publicServer.url}/missing`).result, 'source_http_error', /HTTP 404/);
  });
});

describe('fetchUserFile limits', () => {
  test('refuses an oversized Content-Length before reading the body', async () => {
    const { result, destination } = fetchTo(`${publicServer.url}/big-declared`, { maxBytes: 50 * 1024 * 1024, timeoutMs: 20_000 });
    await assertRefused(result, 'source_too_large', /larger than the 50 MB the bot accepts for character clips/);
    await assert.rejects(readFile(destination), { code: 'ENOENT' });
  });

  test('aborts a body that streams past the cap and deletes the partial file', async () => {
    const started = Date.now();
    const { result, destination } = fetchTo(`${publicServer.url}/endless`, { maxBytes: 256 * 1024, timeoutMs: 20_000 });
    await assertRefused(result, 'source_too_large', /256 KB/);
    assert.ok(Date.now() - started < 5_000, 'the cap, not the deadline, must stop the download');
    await assert.rejects(readFile(destination), { code: 'ENOENT' });
  });

  test('content type: video/* and sniffed octet-stream MP4 pass; HTML, SVG and disguised HTML do not', async () => {
    assert.equal((await fetchTo(`${publicServer.url}/clip.mp4`).result).extension, 'mp4');
    const sniffed = await fetchTo(`${publicServer.url}/octet-mp4`).result;
    assert.equal(sniffed.contentType, 'video/mp4');
    assert.equal((await fetchTo(`${publicServer.url}/face.png`, { kind: 'image' }).result).extension, 'png');
    for (const [route, kind] of [
      ['/page.html', 'video'],
      ['/octet-html', 'video'],
      ['/face.png', 'video'],
      ['/vector.svg', 'image'],
      ['/clip.mp4', 'image'],
    ] as const) {
      const { result, destination } = fetchTo(`${publicServer.url}${route}`, { kind });
      await assertRefused(result, 'source_bad_type');
      await assert.rejects(readFile(destination), { code: 'ENOENT' });
    }
  });

  test('gives up on a server that never answers after the total timeout', async () => {
    const started = Date.now();
    await assertRefused(fetchTo(`${publicServer.url}/never`, { timeoutMs: 200 }).result, 'source_timeout', /took longer/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 2_000, `elapsed ${elapsed} ms`);
  });
});
