// Interoperability of intsim's webhook signatures with the official client libraries:
// headers made by `stripe` (webhooks.generateTestHeaderString) and `standardwebhooks` verify
// with `intsim webhook verify`, and headers made by `intsim webhook sign` verify with theirs.
// Every check also has a negative twin (wrong secret, tampered body) so that a verifier that
// accepted everything would fail here. WhatsApp has no official library: its signature is
// cross-checked against Node's own crypto.
//
// Usage: node interop.js PATH/TO/intsim   (exits non-zero on the first failed check)
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Stripe = require('stripe');
const { Webhook } = require('standardwebhooks');

const intsim = process.argv[2];
if (!intsim) {
  console.error('usage: node interop.js PATH/TO/intsim');
  process.exit(2);
}
const stripe = new Stripe('sk_test_interop_not_a_real_key');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intsim-interop-'));
let checks = 0;

function run(args) {
  const r = spawnSync(intsim, ['webhook', ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout + r.stderr };
}

function check(name, fn) {
  try {
    fn();
    checks++;
  } catch (err) {
    console.error(`FAIL: ${name}\n${err.message}`);
    process.exit(1);
  }
}

// Headers from `intsim webhook sign` output ("Name: value" lines).
function headers(out) {
  const h = {};
  for (const line of out.trim().split('\n')) {
    const i = line.indexOf(': ');
    h[line.slice(0, i).toLowerCase()] = line.slice(i + 2);
  }
  return h;
}

const now = Math.floor(Date.now() / 1000);
const bodies = {
  event: JSON.stringify({
    id: 'evt_interop_1', object: 'event', type: 'payment_intent.succeeded', created: now,
    data: { object: { id: 'pi_1', amount: 1000000, currency: 'cop' } }, livemode: false,
  }),
  // Bytes as sent: non-ASCII, pretty-printed, a trailing newline that must not be trimmed.
  unicode: '{\n  "id": "evt_ünïcödé",\n  "note": "reserva confirmada – 2 noches €"\n}\n',
};
const files = {};
for (const [name, body] of Object.entries(bodies)) {
  files[name] = path.join(dir, `${name}.json`);
  fs.writeFileSync(files[name], body);
}

// ---- Stripe -------------------------------------------------------------------------------
const stripeSecret = 'whsec_interopStripeSecret0123456789';
const stripeNext = 'whsec_interopStripeSecretRotated999';
for (const [name, body] of Object.entries(bodies)) {
  check(`stripe: their header verifies with ours (${name})`, () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: stripeSecret, timestamp: now });
    const r = run(['verify', '--scheme', 'stripe', '--secret', stripeSecret, '--body', files[name],
                   '--header', header, '--now', String(now)]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^valid: stripe/);
    const wrong = run(['verify', '--scheme', 'stripe', '--secret', stripeNext, '--body', files[name],
                       '--header', header, '--now', String(now)]);
    assert.equal(wrong.status, 1, wrong.out);
    assert.match(wrong.out, /no_match/);
    const stale = run(['verify', '--scheme', 'stripe', '--secret', stripeSecret, '--body', files[name],
                       '--header', header, '--now', String(now + 301)]);
    assert.equal(stale.status, 1, stale.out);
    assert.match(stale.out, /timestamp_too_old/);
    assert.ok(stale.out.includes(`(event ${JSON.parse(body).id})`), stale.out);
  });
  check(`stripe: our header verifies with theirs (${name})`, () => {
    const r = run(['sign', '--scheme', 'stripe', '--secret', stripeSecret, '--body', files[name],
                   '--timestamp', String(now)]);
    assert.equal(r.status, 0, r.out);
    const header = headers(r.out)['stripe-signature'];
    const event = stripe.webhooks.constructEvent(body, header, stripeSecret);
    assert.equal(event.id, JSON.parse(body).id);
    assert.throws(() => stripe.webhooks.constructEvent(body + ' ', header, stripeSecret));
    assert.throws(() => stripe.webhooks.constructEvent(body, header, stripeNext));
  });
}
check('stripe: rotation, our header signed with two secrets verifies with either', () => {
  const r = run(['sign', '--scheme', 'stripe', '--secret', `${stripeSecret},${stripeNext}`,
                 '--body', files.event, '--timestamp', String(now)]);
  assert.equal(r.status, 0, r.out);
  const header = headers(r.out)['stripe-signature'];
  assert.equal(header.split(',v1=').length, 3, header);
  stripe.webhooks.constructEvent(bodies.event, header, stripeSecret);
  stripe.webhooks.constructEvent(bodies.event, header, stripeNext);
});

// ---- Standard Webhooks --------------------------------------------------------------------
const stdSecret = 'whsec_' + crypto.randomBytes(24).toString('base64');
const stdOther = 'whsec_' + crypto.randomBytes(32).toString('base64');
const wh = new Webhook(stdSecret);
for (const [name, body] of Object.entries(bodies)) {
  check(`standard: their signature verifies with ours (${name})`, () => {
    const id = `msg_${name}_${now}`;
    const signature = wh.sign(id, new Date(now * 1000), body);
    const args = ['verify', '--scheme', 'standard', '--body', files[name], '--id', id,
                  '--timestamp', String(now), '--header', signature, '--now', String(now)];
    const r = run([...args, '--secret', stdSecret]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^valid: standard/);
    const wrong = run([...args, '--secret', stdOther]);
    assert.equal(wrong.status, 1, wrong.out);
    assert.match(wrong.out, /no_match/);
  });
  check(`standard: our headers verify with theirs (${name})`, () => {
    const id = `msg_ours_${name}`;
    const r = run(['sign', '--scheme', 'standard', '--secret', stdSecret, '--body', files[name],
                   '--id', id, '--timestamp', String(now)]);
    assert.equal(r.status, 0, r.out);
    const h = headers(r.out);
    assert.deepEqual(Object.keys(h).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.deepEqual(wh.verify(body, h), JSON.parse(body));
    assert.throws(() => wh.verify(body.replace('"id"', '"iD"'), h));
    assert.throws(() => new Webhook(stdOther).verify(body, h));
  });
}

// ---- WhatsApp (X-Hub-Signature-256) --------------------------------------------------------
check('whatsapp: our header equals Node crypto HMAC and verifies', () => {
  const appSecret = crypto.randomBytes(16).toString('hex');
  const r = run(['sign', '--scheme', 'whatsapp', '--secret', appSecret, '--body', files.unicode]);
  assert.equal(r.status, 0, r.out);
  const expected = 'sha256=' + crypto.createHmac('sha256', appSecret).update(fs.readFileSync(files.unicode)).digest('hex');
  assert.equal(headers(r.out)['x-hub-signature-256'], expected);
  const v = run(['verify', '--scheme', 'whatsapp', '--secret', appSecret, '--body', files.event,
                 '--header', expected]);
  assert.equal(v.status, 1, v.out);  // the signature of another body
});

// ---- The command's contract on bad input: exit 2 and a message naming what is wrong -------
check('bad input exits 2 and names the problem; secrets are never printed', () => {
  const secret = 'whsec_do_not_print_me';
  const cases = [
    [['sign', '--scheme', 'paypal', '--secret', secret, '--body', files.event], /unknown --scheme 'paypal'/],
    [['sign', '--scheme', 'stripe', '--secret-env', 'INTSIM_NO_SUCH_VAR', '--body', files.event], /INTSIM_NO_SUCH_VAR/],
    [['sign', '--scheme', 'stripe', '--secret', secret, '--body', path.join(dir, 'missing.json')], /cannot read body file/],
    [['sign', '--scheme', 'standard', '--secret', 'whsec_%%%', '--body', files.event, '--id', 'm'], /not whsec_<base64>/],
    [['sign', '--scheme', 'standard', '--secret', stdSecret, '--body', files.event], /--id/],
    [['verify', '--scheme', 'stripe', '--secret', secret, '--body', files.event], /--header/],
    [['verify', '--scheme', 'stripe', '--secret', secret, '--body', files.event, '--header', 'x', '--now', 'soon'], /--now expects/],
    [['frobnicate'], /expected 'sign' or 'verify'/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}\n${r.out}`);
    assert.match(r.out, pattern);
    assert.ok(!r.out.includes(secret) && !r.out.includes('%%%'), r.out);
  }
  const malformed = run(['verify', '--scheme', 'stripe', '--secret', secret, '--body', files.event,
                         '--header', 'garbage', '--now', String(now)]);
  assert.equal(malformed.status, 1, malformed.out);
  assert.match(malformed.out, /^invalid: malformed_header/);
  assert.ok(!malformed.out.includes(secret), malformed.out);
});

fs.rmSync(dir, { recursive: true, force: true });
const version = (pkg) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', pkg, 'package.json'))).version;
console.log(`webhook interop ok: ${checks} checks against stripe@${version('stripe')} ` +
            `and standardwebhooks@${version('standardwebhooks')}`);
