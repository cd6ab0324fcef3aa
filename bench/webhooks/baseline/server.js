// The baseline of the webhook benchmark: a minimal Stripe webhook handler written the way
// Stripe's documentation shows it (docs.stripe.com/webhooks/quickstart, Node.js tab):
// express, the raw body (`express.raw({type: 'application/json'})`),
// `stripe.webhooks.constructEvent(req.body, sig, endpointSecret)`, 400 on a bad signature,
// then the event stored keyed by its id (a redelivery stored once) before the 200.
// One process, as in the docs. Storage: PostgreSQL through `pg` (pure JavaScript).
//
//   DATABASE_URL=postgresql://... WEBHOOK_SECRET=whsec_... PORT=0 node server.js
// Prints "listening on http://127.0.0.1:<port>" once it accepts connections.
import express from 'express';
import pg from 'pg';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY || 'sk_test_baseline_offline');
const endpointSecret = process.env.WEBHOOK_SECRET;
if (!endpointSecret) throw new Error('WEBHOOK_SECRET is not set');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.PG_POOL || 10) });

await pool.query(
  `CREATE TABLE IF NOT EXISTS stripe_events (
     event_id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     created BIGINT NOT NULL,
     livemode BOOLEAN NOT NULL,
     payload TEXT NOT NULL,
     received_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
);

const app = express();

app.post('/webhook', express.raw({ type: 'application/json' }), async (request, response) => {
  const sig = request.headers['stripe-signature'];
  let event;
  try {
    event = stripe.webhooks.constructEvent(request.body, sig, endpointSecret);
  } catch (err) {
    response.status(400).send(`Webhook Error: ${err.message}`);
    return;
  }
  try {
    const inserted = await pool.query(
      'INSERT INTO stripe_events (event_id, type, created, livemode, payload) VALUES ($1, $2, $3, $4, $5) ' +
        'ON CONFLICT (event_id) DO NOTHING',
      [event.id, event.type, event.created, event.livemode, request.body.toString('utf8')],
    );
    // Return a response to acknowledge receipt of the event.
    response.json({ received: true, duplicate: inserted.rowCount === 0 });
  } catch (err) {
    console.error(err);
    response.status(500).send('could not store the event');
  }
});

const server = app.listen(Number(process.env.PORT || 4242), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    pool.end().finally(() => process.exit(0));
  });
}
