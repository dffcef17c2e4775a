// The baseline receiver of bench/serve_bench.sh: what a team would write with Express and the
// official stripe library, given the same duties as `intsim serve`'s webhook endpoint.
//
//   verify   stripe.webhooks.constructEvent on the raw body (400 on failure)
//   dedupe   on the event id: a known id answers {"status":"already_processed"}
//   durable  a new id is appended to an append-only file and fdatasync'ed before the 200, so
//            an acknowledged webhook survives kill -9 and power loss, as in intsim (SQLite,
//            synchronous=FULL). Like intsim it group-commits: ids that arrive while a sync is
//            in flight share the next one, so it is not held to one fsync per webhook.
//
// Usage: node receiver.js PORT DATA_FILE   (secret in STRIPE_WEBHOOK_SECRET)
'use strict';
const fs = require('node:fs');
const express = require('express');
const Stripe = require('stripe');

const port = Number(process.argv[2]);
const dataFile = process.argv[3];
const secret = process.env.STRIPE_WEBHOOK_SECRET;
if (!port || !dataFile || !secret) {
  console.error('usage: STRIPE_WEBHOOK_SECRET=... node receiver.js PORT DATA_FILE');
  process.exit(2);
}
const stripe = new Stripe('sk_test_unused');

// The inbox: ids already durable, and ids written but not yet synced (seen, not acknowledged).
const seen = new Set(
  fs.existsSync(dataFile) ? fs.readFileSync(dataFile, 'utf8').split('\n').filter(Boolean) : []);
const fd = fs.openSync(dataFile, 'a');
let pending = [];  // {id, res}
let syncing = false;

function flush() {
  if (syncing || pending.length === 0) return;
  syncing = true;
  const batch = pending;
  pending = [];
  fs.write(fd, batch.filter((p) => !p.dup).map((p) => p.id + '\n').join(''), (err) => {
    if (err) return fail(batch, err);
    fs.fdatasync(fd, (err2) => {
      if (err2) return fail(batch, err2);
      for (const p of batch) {
        p.res.status(200).json(p.dup ? { status: 'already_processed' } : { received: true });
      }
      syncing = false;
      flush();
    });
  });
}
function fail(batch, err) {
  console.error('store failed:', err.message);
  for (const p of batch) {
    if (!p.dup) seen.delete(p.id);
    p.res.status(500).json({ error: 'store unavailable' });
  }
  syncing = false;
  flush();
}

const app = express();
app.post('/webhooks/stripe', express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], secret);
  } catch (err) {
    return res.status(400).json({ error: 'invalid signature' });
  }
  // A duplicate is answered once what it duplicates is durable: it waits for the next sync.
  const dup = seen.has(event.id);
  seen.add(event.id);
  pending.push({ id: event.id, res, dup });
  setImmediate(flush);
});
app.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
