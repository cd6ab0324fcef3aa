// Which workspace a delivery belongs to: /api/webhooks/stripe/{subdomain}, and
// /api/webhooks/stripe without one while exactly one workspace has webhook secrets. An
// unknown subdomain, or a workspace without secrets, answers 400 and stores nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Server,
  assertAccepted,
  assertRefused,
  backends,
  invoicePaidEvent,
  newWebhookSecret,
  signed,
} from './helpers.js';

for (const backend of backends()) {
  describe(`webhook routing (${backend})`, () => {
    let server;
    const acmeSecret = newWebhookSecret();
    const betaSecret = newWebhookSecret();

    before(async () => {
      server = new Server(backend);
      server.createWorkspace('acme');
      server.createWorkspace('beta');
      await server.start();
    });
    after(async () => {
      await server?.stop();
    });

    async function inboxIds() {
      return {
        acme: (await server.events('acme')).map((e) => e.id),
        beta: (await server.events('beta')).map((e) => e.id),
        rows: server.storedRows()?.map((r) => r[1]) ?? null,
      };
    }

    // One test: the steps change which workspaces have secrets, in this order.
    test('no subdomain: the one workspace with secrets; unknown subdomains refused, nothing stored', async () => {
      const e0 = invoicePaidEvent();
      // No workspace has secrets yet: nothing can verify.
      let r = await server.deliver('', e0.payload, signed(e0.payload, acmeSecret));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.field, 'Stripe-Signature');
      assertRefused(await server.deliver('/acme', e0.payload, signed(e0.payload, acmeSecret)), 'no_secret', 'acme without secrets');

      // Exactly one workspace (acme) has secrets: the plain route is acme's.
      await server.setWebhookSecrets('acme', [acmeSecret]);
      const e1 = invoicePaidEvent();
      assertAccepted(await server.deliver('', e1.payload, signed(e1.payload, acmeSecret)), false, 'plain route');
      assertAccepted(await server.deliver('', e1.payload, signed(e1.payload, acmeSecret)), true, 'plain route, again');
      const e2 = invoicePaidEvent();
      assertRefused(
        await server.deliver('', e2.payload, signed(e2.payload, newWebhookSecret())),
        'no_matching_signature',
        'plain route, wrong secret',
      );

      // An unknown subdomain, even with a signature acme would accept; beta (no secrets).
      const e3 = invoicePaidEvent();
      assertRefused(await server.deliver('/nobody', e3.payload, signed(e3.payload, acmeSecret)), 'no_secret', 'unknown subdomain');
      assertRefused(await server.deliver('/ACME', e3.payload, signed(e3.payload, acmeSecret)), 'no_secret', 'subdomain in capitals');
      assertRefused(await server.deliver('/beta', e3.payload, signed(e3.payload, acmeSecret)), 'no_secret', 'beta without secrets');

      let ids = await inboxIds();
      assert.deepEqual(ids.acme, [e1.id]);
      assert.deepEqual(ids.beta, []);
      if (ids.rows !== null) assert.deepEqual(ids.rows, [e1.id]);

      // Two workspaces have secrets: the plain route no longer knows which one is meant.
      await server.setWebhookSecrets('beta', [betaSecret]);
      const e4 = invoicePaidEvent();
      r = await server.deliver('', e4.payload, signed(e4.payload, acmeSecret));
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.field, 'Stripe-Signature');
      assertAccepted(await server.deliver('/acme', e4.payload, signed(e4.payload, acmeSecret)), false, 'acme route');
      const e5 = invoicePaidEvent();
      assertAccepted(await server.deliver('/beta', e5.payload, signed(e5.payload, betaSecret)), false, 'beta route');
      assertRefused(
        await server.deliver('/beta', e4.payload, signed(e4.payload, acmeSecret)),
        'no_matching_signature',
        "acme's secret at beta",
      );

      ids = await inboxIds();
      assert.deepEqual(ids.acme.sort(), [e1.id, e4.id].sort());
      assert.deepEqual(ids.beta, [e5.id]);
      if (ids.rows !== null) assert.deepEqual(ids.rows.sort(), [e1.id, e4.id, e5.id].sort());

      // Back to one (beta's secrets removed): the plain route is acme's again.
      await server.setWebhookSecrets('beta', []);
      const e6 = invoicePaidEvent();
      assertAccepted(await server.deliver('', e6.payload, signed(e6.payload, acmeSecret)), false, 'plain route after beta left');
      assert.ok((await server.events('acme')).some((e) => e.id === e6.id));
    });
  });
}
