// Writes COUNT distinct Stripe events, each signed by the official stripe library, one per line
// as "<Stripe-Signature header>\t<payload>", for bench/serve_bench.lua to replay.
// Usage: STRIPE_WEBHOOK_SECRET=... node make_events.js COUNT OUT_FILE
'use strict';
const fs = require('node:fs');
const Stripe = require('stripe');

const count = Number(process.argv[2]);
const out = process.argv[3];
const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!count || !out || !secret) {
  console.error('usage: STRIPE_WEBHOOK_SECRET=... node make_events.js COUNT OUT_FILE');
  process.exit(2);
}
const stripe = new Stripe('sk_test_unused');
const created = Math.floor(Date.now() / 1000);
const fd = fs.openSync(out, 'w');
let chunk = [];
for (let i = 0; i < count; ++i) {
  const payload = JSON.stringify({
    id: `evt_bench_${created}_${i}`,
    object: 'event',
    type: 'customer.created',
    created,
    livemode: false,
    api_version: '2024-06-20',
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: `cus_bench_${i}`, object: 'customer', email: `guest${i}@example.com` } },
  });
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: created });
  chunk.push(header + '\t' + payload + '\n');
  if (chunk.length === 10000) {
    fs.writeSync(fd, chunk.join(''));
    chunk = [];
  }
}
fs.writeSync(fd, chunk.join(''));
fs.closeSync(fd);
