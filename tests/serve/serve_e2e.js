// `intsim serve` end to end over loopback, driven by the official libraries a real peer or user
// would use: the npm `stripe` library signs events, `ical.js` parses our iCal export.
//
//   node serve_e2e.js PATH/TO/intsim basic   signed event -> 2xx and its effect; tampered -> 400;
//                                            replay -> already processed, store unchanged;
//                                            WhatsApp GET handshake; ical.js parses the export
//   node serve_e2e.js PATH/TO/intsim peers   `intsim peers` as Stripe: a booking makes the core
//                                            create a PaymentIntent on the peer, whose signed
//                                            events come back and confirm the booking
//   node serve_e2e.js PATH/TO/intsim crash   kill -9 under load, restart: every acknowledged
//                                            webhook is in the store and a redelivery of any of
//                                            them is "already processed" (none processed twice)
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const Stripe = require('stripe');
const ICAL = require('ical.js');

const intsim = process.argv[2];
const mode = process.argv[3] || 'basic';
const stripe = new Stripe('sk_test_unused');
const secret = 'whsec_e2e_' + process.pid;
const verifyToken = 'verify_' + process.pid;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'intsim-serve-'));
const db = path.join(tmp, 'intsim.db');
let server = null;

function fail(msg) {
  console.error('FAIL: ' + msg);
  if (server) server.kill('SIGKILL');
  if (peers) peers.kill('SIGKILL');
  process.exit(1);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

function writeConfig(stripePort) {
fs.writeFileSync(
  path.join(tmp, 'serve.json'),
  JSON.stringify({
    listen: { address: '127.0.0.1', port: 0 },
    peers: stripePort ? { stripe: { base_url: `http://127.0.0.1:${stripePort}` } } : {},
    store: { path: db },
    units: [{ id: 'u1', kind: 'studio' }],
    secrets: {
      'stripe.webhook': 'INTSIM_E2E_STRIPE_SECRET',
      'whatsapp.verify_token': 'INTSIM_E2E_WA_TOKEN',
      'whatsapp.app_secret': 'INTSIM_E2E_WA_SECRET',
    },
  }),
);
}
writeConfig(0);

// Starts `intsim serve` and resolves with its port once it logs serve.listening.
function start() {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      INTSIM_E2E_STRIPE_SECRET: secret,
      INTSIM_E2E_WA_TOKEN: verifyToken,
      INTSIM_E2E_WA_SECRET: 'wa_app_secret',
    };
    server = spawn(intsim, ['serve', '--config', path.join(tmp, 'serve.json')], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const timer = setTimeout(() => reject(new Error('no serve.listening in 10 s:\n' + log)), 10000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /"event":"serve.listening".*"port":"(\d+)"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(port, method, target, body = '', headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: target, agent, headers: { ...headers } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function signedEvent(id, type, object) {
  const payload = JSON.stringify({
    id,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    api_version: '2024-06-20',
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  });
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
  return { payload, headers: { 'Stripe-Signature': header, 'Content-Type': 'application/json' } };
}

function sql(query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' });
}

async function basic() {
  const port = await start();
  // A second server on the same store is refused (each would deduplicate only what it saw).
  const { spawnSync } = require('node:child_process');
  const second = spawnSync(intsim, ['serve', '--config', path.join(tmp, 'serve.json')], {
    env: { ...process.env, INTSIM_E2E_STRIPE_SECRET: secret, INTSIM_E2E_WA_TOKEN: verifyToken,
           INTSIM_E2E_WA_SECRET: 'wa_app_secret' },
    encoding: 'utf8',
    timeout: 10000,
  });
  check(second.status === 2 && /another intsim serve \(pid \d+\)/.test(second.stderr),
        `a second intsim serve on the same store was not refused: ${second.status} ${second.stderr}`);
  // A booking through the API, then Stripe says its payment succeeded.
  const created = await request(
    port,
    'POST',
    '/api/bookings',
    JSON.stringify({
      guest: 'g_1',
      unit: 'u1',
      first_night: '2031-03-10',
      nights: 2,
      currency: 'USD',
      payment_method: 'pm_card_visa',
    }),
    { 'Content-Type': 'application/json' },
  );
  check(created.status === 201, `booking create: ${created.status} ${created.body}`);
  const booking = JSON.parse(created.body);
  const pi = {
    id: 'pi_e2e_1',
    object: 'payment_intent',
    amount: booking.amount,
    currency: booking.currency.toLowerCase(),
    status: 'succeeded',
    last_payment_error: null,
    metadata: { booking_id: booking.booking_id },
  };
  const ev = signedEvent('evt_e2e_1', 'payment_intent.succeeded', pi);

  // Tampered first: 400 and no effect.
  const tampered = ev.payload.replace(`"amount":${booking.amount}`, '"amount":1');
  check(tampered !== ev.payload, 'the tampering changed nothing');
  const bad = await request(port, 'POST', '/webhooks/stripe', tampered, ev.headers);
  check(bad.status === 400, `tampered event: expected 400, got ${bad.status} ${bad.body}`);

  const ok = await request(port, 'POST', '/webhooks/stripe', ev.payload, ev.headers);
  check(ok.status >= 200 && ok.status < 300, `signed event: ${ok.status} ${ok.body}`);
  check(!ok.body.includes('already_processed'), `first delivery seen as a replay: ${ok.body}`);
  const after = JSON.parse((await request(port, 'GET', `/api/bookings/${booking.booking_id}`)).body);
  check(after.status === 'confirmed', `booking not confirmed by the event: ${JSON.stringify(after)}`);
  check(sql(`SELECT count(*) FROM kv WHERE tbl='webhook_inbox' AND key='stripe/evt_e2e_1'`).trim() === '1',
        'the inbox row is not in the store');

  // Replay: "already processed", and the store is byte for byte what it was, outbox jobs aside:
  // their rows change by themselves as the outbox retries (no Stripe peer answers here), so for
  // them only the set of jobs counts (a replay must not add one).
  const storeNow = `SELECT tbl, key, CASE WHEN tbl='outbox' THEN '' ELSE hex(value) END
                    FROM kv ORDER BY tbl, key`;
  const before = sql(storeNow);
  const again = await request(port, 'POST', '/webhooks/stripe', ev.payload, ev.headers);
  check(again.status === 200 && again.body.includes('already_processed'),
        `replay: ${again.status} ${again.body}`);
  check(sql(storeNow) === before, 'the replay changed the store (a second effect)');

  // WhatsApp's verification handshake.
  const hs = await request(port, 'GET',
    `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`);
  check(hs.status === 200 && hs.body === '1158201444', `handshake: ${hs.status} ${hs.body}`);
  const hsBad = await request(port, 'GET',
    '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1');
  check(hsBad.status === 403, `handshake with a wrong token: ${hsBad.status}`);

  // ical.js parses the export and finds the booking's nights.
  const ics = await request(port, 'GET', '/ical/u1.ics');
  check(ics.status === 200, `iCal export: ${ics.status} ${ics.body}`);
  const cal = new ICAL.Component(ICAL.parse(ics.body));
  const events = cal.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
  check(events.length === 1, `expected one VEVENT, got ${events.length}:\n${ics.body}`);
  check(events[0].startDate.toString() === '2031-03-10' && events[0].endDate.toString() === '2031-03-12',
        `VEVENT dates ${events[0].startDate} .. ${events[0].endDate}`);

  // Graceful stop.
  server.removeAllListeners('exit');
  const exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
  check(code === 0, `exit after SIGTERM: ${code}`);
  server = null;
  agent.destroy();
  console.log('serve e2e basic: passed');
}

async function crash() {
  let port = await start();
  const acked = new Set();
  const sent = [];
  let next = 0;
  let killed = false;
  const workers = [];
  const deadline = Date.now() + 10000;  // bounded even if the kill never lands
  for (let w = 0; w < 32; ++w) {
    workers.push((async () => {
      while (!killed && Date.now() < deadline) {
        const id = `evt_crash_${next++}`;
        const ev = signedEvent(id, 'customer.created', { id: 'cus_' + id, object: 'customer' });
        sent.push(ev);
        try {
          const r = await request(port, 'POST', '/webhooks/stripe', ev.payload, ev.headers);
          if (r.status === 200) acked.add(id);
        } catch (e) {
          return;  // the server died under this request: not acknowledged
        }
      }
    })());
  }
  // Let the load build, then kill -9 in the middle of it.
  await new Promise((r) => setTimeout(r, 1500));
  server.removeAllListeners('exit');
  server.on('exit', () => {});
  server.kill('SIGKILL');
  killed = true;
  await Promise.all(workers);
  check(acked.size > 100, `too little load before the kill: ${acked.size} acknowledged`);
  agent.destroy();

  // What the disk says, before any restart: every acknowledged id is there.
  const stored = new Set(
    sql(`SELECT key FROM kv WHERE tbl='webhook_inbox'`).split('\n').filter(Boolean)
      .map((k) => k.replace(/^stripe\//, '')));
  for (const id of acked) check(stored.has(id), `acknowledged webhook ${id} lost by kill -9`);

  // Restart and redeliver everything, as Stripe would: what was acknowledged or stored is
  // "already processed"; the rest is processed now, once.
  port = await start();
  for (const ev of sent) {
    const id = JSON.parse(ev.payload).id;
    const fresh = signedEvent(id, 'customer.created', JSON.parse(ev.payload).data.object);
    const r = await request(port, 'POST', '/webhooks/stripe', fresh.payload, fresh.headers);
    check(r.status === 200, `redelivery of ${id}: ${r.status} ${r.body}`);
    const dup = r.body.includes('already_processed');
    check(dup === stored.has(id),
          `${id}: ${stored.has(id) ? 'stored' : 'not stored'} before the restart, yet the redelivery says ${r.body}`);
  }
  server.kill('SIGTERM');
  server = null;
  console.log(`serve e2e crash: passed (${sent.length} sent, ${acked.size} acknowledged, ` +
              `${stored.size} stored at the kill)`);
}

// Starts `intsim peers` (the simulated Stripe) on an ephemeral port and resolves with it.
function startPeers(corePort) {
  return new Promise((resolve, reject) => {
    peers = spawn(intsim, ['peers', '--core-url', `http://127.0.0.1:${corePort}`,
                           '--stripe-port', '0', '--seed', '7'], {
      env: { ...process.env, INTSIM_STRIPE_WEBHOOK_SECRET: secret },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    const timer = setTimeout(() => reject(new Error('no peers.listening in 10 s:\n' + log)), 10000);
    peers.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /"event":"peers.listening".*"port":"(\d+)"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    peers.on('exit', (code) => reject(new Error(`peers exited with ${code}:\n${log}`)));
  });
}
let peers = null;

async function withPeers() {
  // The core's port is needed by the peer and the peer's by the core: fix the core's first.
  const probe = http.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const corePort = probe.address().port;
  probe.close();
  const stripePort = await startPeers(corePort);
  writeConfig(stripePort);
  const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'serve.json'), 'utf8'));
  cfg.listen.port = corePort;
  fs.writeFileSync(path.join(tmp, 'serve.json'), JSON.stringify(cfg));
  const port = await start();
  check(port === corePort, `serve listens on ${port}, expected ${corePort}`);
  const created = await request(port, 'POST', '/api/bookings', JSON.stringify({
    guest: 'g_2', unit: 'u1', first_night: '2031-05-01', nights: 3, currency: 'EUR',
    payment_method: 'pm_card_visa',
  }), { 'Content-Type': 'application/json' });
  check(created.status === 201, `booking create: ${created.status} ${created.body}`);
  const id = JSON.parse(created.body).booking_id;
  let booking = null;
  for (let i = 0; i < 100; ++i) {  // the peer delivers within a couple of seconds
    booking = JSON.parse((await request(port, 'GET', `/api/bookings/${id}`)).body);
    if (booking.status === 'confirmed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check(booking.status === 'confirmed' && booking.payment.status === 'succeeded',
        `booking not confirmed through the Stripe peer: ${JSON.stringify(booking)}`);
  check(/^pi_/.test(booking.payment.payment_intent), 'no PaymentIntent from the peer');
  const inbox = sql(`SELECT count(*) FROM kv WHERE tbl='webhook_inbox'`).trim();
  check(Number(inbox) >= 1, 'no event from the peer reached the inbox');
  peers.removeAllListeners('exit');
  peers.kill('SIGTERM');
  peers = null;
  server.removeAllListeners('exit');
  server.kill('SIGTERM');
  server = null;
  agent.destroy();
  console.log(`serve e2e peers: passed (${inbox} events from the Stripe peer in the inbox)`);
}

(mode === 'crash' ? crash() : mode === 'peers' ? withPeers() : basic())
  .then(() => fs.rmSync(tmp, { recursive: true, force: true }))
  .catch((e) => fail(e.stack || String(e)));
