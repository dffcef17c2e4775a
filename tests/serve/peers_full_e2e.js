// `intsim serve` against every peer of `intsim peers` over loopback, with the real clock:
//
//   node peers_full_e2e.js PATH/TO/intsim
//
// The core is configured with WhatsApp notifications and an Airbnb channel pointed at the
// peers. A booking made through the API is paid through the Stripe peer; its WhatsApp
// confirmation is sent to the WhatsApp peer, whose signed status webhooks come back and are
// verified and applied (the notification's status moves, the inbox holds them). The channel's
// own guests book on the peer's feed; the core polls it, and the channel's stay blocks the unit:
// the core's export shows the nights and a direct booking of them is refused. A guest club
// membership is sold, made active and canceled through the membership API and the Stripe peer.
//
// Node's standard library only (no npm install); needs the sqlite3 shell to read the store.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const intsim = process.argv[2];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'intsim-peers-full-'));
const db = path.join(tmp, 'intsim.db');
const env = {
  ...process.env,
  INTSIM_STRIPE_WEBHOOK_SECRET: 'whsec_full_' + process.pid,
  INTSIM_WHATSAPP_APP_SECRET: 'wa_app_' + process.pid,
  INTSIM_WHATSAPP_ACCESS_TOKEN: 'wa_token_' + process.pid,
  INTSIM_WHATSAPP_VERIFY_TOKEN: 'wa_verify_' + process.pid,
};
const children = [];

function fail(msg) {
  console.error('FAIL: ' + msg);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs `intsim args...` and resolves with the ports of its first `count` "<event>" log lines.
function launch(args, event, count) {
  return new Promise((resolve, reject) => {
    const child = spawn(intsim, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let log = '';
    const timer = setTimeout(() => reject(new Error(`no ${event} in 10 s:\n${log}`)), 10000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const lines = log.split('\n').filter((l) => l.includes(`"event":"${event}"`));
      if (lines.length >= count) {
        clearTimeout(timer);
        resolve(lines.slice(0, count).map((l) => JSON.parse(l)));
      }
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${log}`)));
  });
}

async function request(port, method, target, body = '') {
  const res = await fetch(`http://127.0.0.1:${port}${target}`, {
    method,
    body: body || undefined,
    headers: body ? { 'Content-Type': 'application/json' } : {},
  });
  return { status: res.status, body: await res.text() };
}

// Polls `probe` every 100 ms until it returns a truthy value, for at most `ms`.
async function eventually(probe, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v || Date.now() > end) return v;
    await sleep(100);
  }
}

function rows(table) {
  const out = execFileSync('sqlite3', ['-separator', '\t', db,
    `SELECT key, value FROM kv WHERE tbl='${table}' ORDER BY key`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((l) => {
    const tab = l.indexOf('\t');
    return { key: l.slice(0, tab), value: l.slice(tab + 1) };
  });
}

// The all-day VEVENTs of an iCal body as [{start, end}] (YYYYMMDD strings, end exclusive).
function events(ics) {
  const unfolded = ics.replace(/\r?\n[ \t]/g, '');
  return unfolded.split(/BEGIN:VEVENT/).slice(1).map((block) => ({
    start: /DTSTART;VALUE=DATE:(\d{8})/.exec(block)?.[1],
    end: /DTEND;VALUE=DATE:(\d{8})/.exec(block)?.[1],
  })).filter((e) => e.start && e.end);
}
const isoDate = (d) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;

async function main() {
  // The core's port is needed by the peers and the peers' by the core: fix the core's first.
  const probe = http.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const corePort = probe.address().port;
  probe.close();

  const listening = await launch(['peers', '--core-url', `http://127.0.0.1:${corePort}`,
    '--stripe-port', '0', '--whatsapp-port', '0', '--ota-port', '0', '--ota-channels', 'airbnb',
    '--ota-units', 'u1', '--ota-bookings-per-day', '200000', '--ota-import-interval-ms', '500',
    '--seed', '11'], 'peers.listening', 3);
  const port = Object.fromEntries(listening.map((l) => [l.peer, Number(l.port)]));
  check(port.stripe && port.whatsapp && port.ota, `peer ports: ${JSON.stringify(listening)}`);
  for (const l of listening) {
    for (const v of Object.values(env).filter((x) => /_\d+$/.test(x))) {
      check(!JSON.stringify(l).includes(v), 'a secret was printed');
    }
  }

  fs.writeFileSync(path.join(tmp, 'serve.json'), JSON.stringify({
    listen: { address: '127.0.0.1', port: corePort },
    store: { path: db },
    units: [{ id: 'u1', kind: 'studio' }],
    peers: {
      stripe: { base_url: `http://127.0.0.1:${port.stripe}` },
      whatsapp: { base_url: `http://127.0.0.1:${port.whatsapp}` },
      'ota.airbnb': { base_url: `http://127.0.0.1:${port.ota}/airbnb` },
    },
    secrets: {
      'stripe.webhook': 'INTSIM_STRIPE_WEBHOOK_SECRET',
      'whatsapp.app_secret': 'INTSIM_WHATSAPP_APP_SECRET',
      'whatsapp.access_token': 'INTSIM_WHATSAPP_ACCESS_TOKEN',
      'whatsapp.verify_token': 'INTSIM_WHATSAPP_VERIFY_TOKEN',
    },
    notifications: { enabled: true, api_version: 'v21.0' },
    channels: [{ name: 'airbnb', poll_interval_ms: 300 }],
  }));
  await launch(['serve', '--config', path.join(tmp, 'serve.json')], 'serve.listening', 1);

  // A direct booking, paid through the Stripe peer, far beyond the channel's booking horizon.
  const created = await request(corePort, 'POST', '/api/bookings', JSON.stringify({
    guest: 'g_full', unit: 'u1', first_night: '2031-07-01', nights: 2, currency: 'USD',
    payment_method: 'pm_card_visa',
  }));
  check(created.status === 201, `booking create: ${created.status} ${created.body}`);
  const bookingId = JSON.parse(created.body).booking_id;
  const confirmed = await eventually(async () => {
    const b = JSON.parse((await request(corePort, 'GET', `/api/bookings/${bookingId}`)).body);
    return b.status === 'confirmed' ? b : null;
  }, 10000);
  check(confirmed, 'the booking was not confirmed through the Stripe peer');

  // A guest club membership: the customer and the subscription are created through the
  // Stripe peer, whose first invoice is paid, and its events make the membership active.
  const joined = await request(corePort, 'POST', '/api/subscriptions', JSON.stringify({
    guest: 'g_member', currency: 'USD', payment_method: 'pm_card_visa',
  }));
  check(joined.status === 201, `membership create: ${joined.status} ${joined.body}`);
  const membershipId = JSON.parse(joined.body).membership_id;
  const member = await eventually(async () => {
    const m = JSON.parse((await request(corePort, 'GET', `/api/subscriptions/${membershipId}`))
      .body);
    return m.status === 'active' && /^sub_/.test(m.subscription) ? m : null;
  }, 15000);
  check(member, `the membership did not become active through the Stripe peer: ${
    (await request(corePort, 'GET', `/api/subscriptions/${membershipId}`)).body}`);
  const cancelled = await request(corePort, 'POST', `/api/subscriptions/${membershipId}/cancel`);
  check(cancelled.status === 200, `membership cancel: ${cancelled.status} ${cancelled.body}`);
  const ended = await eventually(async () => {
    const m = JSON.parse((await request(corePort, 'GET', `/api/subscriptions/${membershipId}`))
      .body);
    return m.status === 'canceled' ? m : null;
  }, 15000);
  check(ended, 'the membership was not canceled at Stripe');

  // Its WhatsApp confirmation: accepted by the peer (a wamid), then a status webhook from the
  // peer, verified by the core, moves it past "accepted" and sits in the inbox.
  const note = await eventually(() => {
    const n = rows('notifications').map((r) => JSON.parse(r.value))
      .find((x) => x.booking_id === bookingId && x.kind === 'confirmed');
    return n && n.wamid && ['sent', 'delivered', 'read'].includes(n.status) ? n : null;
  }, 15000);
  check(note, `no WhatsApp confirmation with a status from the peer: ${
    JSON.stringify(rows('notifications'))}`);
  check(/^wamid/.test(note.wamid), `wamid ${note.wamid}`);
  const waInbox = rows('webhook_inbox').filter((r) => r.key.startsWith('whatsapp/'));
  check(waInbox.length >= 1, 'no WhatsApp status webhook in the inbox');

  // The channel: wait for a stay in its feed, then for the core to have taken it in.
  const stay = await eventually(async () => {
    const feed = await request(port.ota, 'GET', '/airbnb/ical/u1.ics');
    return feed.status === 200 ? events(feed.body)[0] : null;
  }, 10000);
  check(stay, 'the channel sold nothing');
  const blocked = await eventually(async () => {
    const exp = await request(corePort, 'GET', '/ical/u1.ics');
    return events(exp.body).some((e) => e.start <= stay.start && e.end >= stay.end);
  }, 10000);
  check(blocked, `the core's export does not block the channel's stay ${JSON.stringify(stay)}`);
  check(rows('stays').some((r) => r.value.includes('airbnb')), 'no airbnb stay in the store');
  const refused = await request(corePort, 'POST', '/api/bookings', JSON.stringify({
    guest: 'g_late', unit: 'u1', first_night: isoDate(stay.start), nights: 1, currency: 'USD',
    payment_method: 'pm_card_visa',
  }));
  check(refused.status === 409, `a direct booking of the channel's night: ${refused.status} ${
    refused.body}`);

  for (const c of children) {
    c.removeAllListeners('exit');
    c.kill('SIGTERM');
  }
  console.log(`serve e2e peers_full: passed (membership ${member.subscription} active then ` +
              `canceled, WhatsApp status '${note.status}', ` +
              `${waInbox.length} WhatsApp webhooks in the inbox, channel stay ${stay.start}..${
                stay.end} blocked)`);
}

main()
  .then(() => fs.rmSync(tmp, { recursive: true, force: true }))
  .catch((e) => fail(e.stack || String(e)));
