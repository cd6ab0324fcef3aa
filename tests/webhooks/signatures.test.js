// Stripe-Signature verification of POST /api/webhooks/stripe/{subdomain}, with every header
// made by the official Stripe SDK for Node (webhooks.generateTestHeaderString): what is
// accepted is stored once and byte for byte, what is refused answers 400 naming
// Stripe-Signature and is stored nowhere, checked through the API and in the database.
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
  stripe,
  unixNow,
  v1Of,
} from './helpers.js';

for (const backend of backends()) {
  describe(`webhook signatures (${backend})`, () => {
    let server;
    const secret = newWebhookSecret();
    const betaSecret = newWebhookSecret();

    before(async () => {
      server = new Server(backend);
      server.createWorkspace('acme');
      server.createWorkspace('beta');
      server.createWorkspace('rotating');
      await server.start();
      await server.setWebhookSecrets('acme', [secret]);
      await server.setWebhookSecrets('beta', [betaSecret]);
    });
    after(async () => {
      await server?.stop();
    });

    // Asserts that none of `ids` is in any workspace's inbox, through the API and in the
    // database, and that the database holds exactly `expectedTotal` events.
    async function assertStoredNowhere(ids, expectedTotal) {
      for (const ws of Object.keys(server.workspaces)) {
        const listed = (await server.events(ws)).map((e) => e.id);
        for (const id of ids) assert.ok(!listed.includes(id), `${id} is in ${ws}'s inbox`);
      }
      const rows = server.storedRows();
      if (rows === null) return; // no python3 here to open the SQLite file: the API check stands alone
      assert.equal(rows.length, expectedTotal, `stored events: ${JSON.stringify(rows.map((r) => r[1]))}`);
      for (const id of ids) assert.ok(!rows.some((r) => r[1] === id), `${id} is in stripe_events`);
    }

    test('an event signed by the SDK is accepted and stored byte for byte', async () => {
      const { id, payload } = invoicePaidEvent();
      const header = signed(payload, secret);
      // The SDK's own verifier accepts what it signed (the handler a Node app would have).
      assert.equal(stripe.webhooks.constructEvent(payload, header, secret).id, id);

      assertAccepted(await server.deliver('/acme', payload, header), false, 'first delivery');

      const inbox = await server.events('acme');
      const listed = inbox.find((e) => e.id === id);
      assert.ok(listed, 'the event is in the inbox');
      assert.equal(listed.type, 'invoice.paid');
      // What happens next (processing by the Stripe sync) is not this suite's subject.
      assert.equal(typeof listed.status, 'string');
      assert.equal(listed.livemode, false);
      assert.equal(typeof listed.created, 'number');
      assert.ok(!(await server.events('beta')).some((e) => e.id === id), 'not in another workspace');

      const rows = server.storedRows();
      if (rows !== null) {
        const row = rows.find((r) => r[1] === id);
        assert.ok(row, 'a stripe_events row');
        assert.equal(row[0], server.workspaces.acme.workspaceId);
        assert.equal(row[2], payload, 'the raw body, byte for byte');
      }
    });

    test('wrong secret, tampered body, bad timestamps, missing or malformed headers: 400, stored nowhere', async () => {
      const before = server.storedRows()?.length;
      const now = unixNow();
      const cases = [];
      const add = (what, reason, { payload, header, sdkAccepts = false }) => {
        cases.push({ what, reason, payload, header, sdkAccepts });
      };
      const fresh = () => invoicePaidEvent();
      {
        const { id, payload } = fresh();
        add('wrong secret', 'no_matching_signature', { id, payload, header: signed(payload, newWebhookSecret()) });
      }
      {
        const { payload } = fresh();
        add("another workspace's secret", 'no_matching_signature', { payload, header: signed(payload, betaSecret) });
      }
      {
        const { payload, event } = fresh();
        const header = signed(payload, secret);
        const tampered = payload.replace(`"amount_paid": ${event.data.object.amount_paid}`, '"amount_paid": 1');
        assert.notEqual(tampered, payload);
        add('tampered body (amount changed)', 'no_matching_signature', { payload: tampered, header });
      }
      {
        const { payload, event } = fresh();
        // The same JSON value, re-serialised: no longer the bytes that were signed.
        add('body re-serialised', 'no_matching_signature', {
          payload: JSON.stringify(event),
          header: signed(payload, secret),
        });
      }
      {
        const { payload } = fresh();
        const header = signed(payload, secret, now);
        // A valid signature moved to another timestamp (a replay with a fresh t).
        add('timestamp changed after signing', 'no_matching_signature', {
          payload,
          header: header.replace(`t=${now},`, `t=${now + 1},`),
        });
      }
      {
        const { payload } = fresh();
        add('stale timestamp (10 minutes old)', 'timestamp_too_old', { payload, header: signed(payload, secret, now - 600) });
      }
      {
        const { payload } = fresh();
        add('ancient timestamp (t=1)', 'timestamp_too_old', { payload, header: signed(payload, secret, 1) });
      }
      {
        const { payload } = fresh();
        // Stripe's SDKs only bound the age; Settle also refuses a t too far ahead.
        add('timestamp one hour ahead', 'timestamp_in_future', {
          payload,
          header: signed(payload, secret, now + 3600),
          sdkAccepts: true,
        });
      }
      {
        const { payload } = fresh();
        add('no Stripe-Signature header', 'missing_header', { payload, header: undefined });
      }
      {
        const { payload } = fresh();
        add('empty Stripe-Signature header', 'missing_header', { payload, header: '' });
      }
      {
        const { payload } = fresh();
        add('header without key=value pairs', 'malformed_header', { payload, header: 'not a signature' });
      }
      {
        const { payload } = fresh();
        const v1 = v1Of(signed(payload, secret, now));
        add('no timestamp', 'malformed_header', { payload, header: `v1=${v1}` });
        add('non-numeric timestamp', 'malformed_header', { payload, header: `t=abc,v1=${v1}` });
        add('negative timestamp', 'malformed_header', { payload, header: `t=-${now},v1=${v1}` });
        // The SDK takes the last t; Settle refuses an ambiguous header.
        add('two timestamps', 'malformed_header', { payload, header: `t=${now},t=${now},v1=${v1}`, sdkAccepts: true });
      }
      {
        const { payload } = fresh();
        // The SDK's legacy test scheme: well formed, but no v1 to check.
        const v0 = stripe.webhooks.generateTestHeaderString({ payload, secret, scheme: 'v0' });
        assert.match(v0, /^t=\d+,v0=[0-9a-f]{64}$/);
        add('v0 signature only', 'no_v1_signature', { payload, header: v0 });
      }

      const ids = [];
      for (const c of cases) {
        const id = JSON.parse(c.payload).id;
        ids.push(id);
        // Stripe's own verifier agrees, but where Settle is stricter (a t far ahead, two t).
        const sdk = () => stripe.webhooks.constructEvent(c.payload, c.header, secret);
        if (c.header === undefined || !c.sdkAccepts) assert.throws(sdk, `the SDK refuses: ${c.what}`);
        else assert.equal(sdk().id, id, `the SDK accepts: ${c.what}`);
        assertRefused(await server.deliver('/acme', c.payload, c.header), c.reason, c.what);
      }
      await assertStoredNowhere(ids, before);
    });

    test('the 5-minute tolerance: 4 minutes either way accepted, 6 minutes refused', async () => {
      const now = unixNow();
      for (const [offset, reason] of [
        [-240, null],
        [-360, 'timestamp_too_old'],
        [240, null],
        [360, 'timestamp_in_future'],
      ]) {
        const { id, payload } = invoicePaidEvent();
        const r = await server.deliver('/acme', payload, signed(payload, secret, now + offset));
        const what = `timestamp ${offset} s from now`;
        if (reason === null) {
          assertAccepted(r, false, what);
          assert.ok((await server.events('acme')).some((e) => e.id === id), `${what}: stored`);
        } else {
          assertRefused(r, reason, what);
          await assertStoredNowhere([id], server.storedRows()?.length);
        }
      }
    });

    test('a header with several v1 signatures is accepted when one of them matches', async () => {
      const t = unixNow();
      const sig = (payload, s) => v1Of(signed(payload, s, t));
      {
        const { id, payload } = invoicePaidEvent();
        const header = `t=${t},v1=${sig(payload, newWebhookSecret())},v1=${sig(payload, secret)}`;
        assert.equal(stripe.webhooks.constructEvent(payload, header, secret).id, id);
        assertAccepted(await server.deliver('/acme', payload, header), false, 'matching v1 second');
      }
      {
        const { payload } = invoicePaidEvent();
        const v0 = v1Of(signed(payload, newWebhookSecret(), t));
        const header = `t=${t},v1=${sig(payload, secret)},v1=${sig(payload, newWebhookSecret())},v0=${v0}`;
        assertAccepted(await server.deliver('/acme', payload, header), false, 'matching v1 first, then others');
      }
      {
        const { id, payload } = invoicePaidEvent();
        const before = server.storedRows()?.length;
        const header = `t=${t},v1=${sig(payload, newWebhookSecret())},v1=${sig(payload, newWebhookSecret())}`;
        assertRefused(await server.deliver('/acme', payload, header), 'no_matching_signature', 'no v1 matches');
        await assertStoredNowhere([id], before);
      }
    });

    test('during a rotation an event signed with either active secret is accepted', async () => {
      const oldSecret = newWebhookSecret();
      const newSecret = newWebhookSecret();
      await server.setWebhookSecrets('rotating', [oldSecret, newSecret]);
      const a = invoicePaidEvent();
      const b = invoicePaidEvent();
      assertAccepted(await server.deliver('/rotating', a.payload, signed(a.payload, oldSecret)), false, 'old secret');
      assertAccepted(await server.deliver('/rotating', b.payload, signed(b.payload, newSecret)), false, 'new secret');
      // Stripe signs with both while an endpoint's secret is being rolled.
      const c = invoicePaidEvent();
      const t = unixNow();
      const both = `t=${t},v1=${v1Of(signed(c.payload, oldSecret, t))},v1=${v1Of(signed(c.payload, newSecret, t))}`;
      assertAccepted(await server.deliver('/rotating', c.payload, both), false, 'signed with both');
      assert.deepEqual(
        (await server.events('rotating')).map((e) => e.id).sort(),
        [a.id, b.id, c.id].sort(),
      );

      // The old secret removed: what it alone signs is refused from then on.
      await server.setWebhookSecrets('rotating', [newSecret]);
      const late = invoicePaidEvent();
      const before = server.storedRows()?.length;
      assertRefused(
        await server.deliver('/rotating', late.payload, signed(late.payload, oldSecret)),
        'no_matching_signature',
        'old secret after removal',
      );
      await assertStoredNowhere([late.id], before);
      const next = invoicePaidEvent();
      assertAccepted(await server.deliver('/rotating', next.payload, signed(next.payload, newSecret)), false, 'new secret after removal');
    });

    test('a redelivered event is stored once and answered duplicate: true', async () => {
      const { id, event, payload } = invoicePaidEvent();
      assertAccepted(await server.deliver('/acme', payload, signed(payload, secret)), false, 'first delivery');
      // Stripe redelivers with a fresh timestamp and signature.
      assertAccepted(await server.deliver('/acme', payload, signed(payload, secret, unixNow() - 5)), true, 'redelivery');
      // A later attempt's body differs (pending_webhooks): still the same event, first copy kept.
      const later = JSON.stringify({ ...event, pending_webhooks: 0 }, null, 2);
      assertAccepted(await server.deliver('/acme', later, signed(later, secret)), true, 'redelivery, changed body');
      // The same id in another workspace is another workspace's event.
      assertAccepted(await server.deliver('/beta', payload, signed(payload, betaSecret)), false, 'in beta');

      assert.equal((await server.events('acme')).filter((e) => e.id === id).length, 1);
      assert.equal((await server.events('beta')).filter((e) => e.id === id).length, 1);
      const rows = server.storedRows();
      if (rows !== null) {
        const mine = rows.filter((r) => r[1] === id);
        assert.equal(mine.length, 2, 'one row per workspace');
        assert.equal(mine.find((r) => r[0] === server.workspaces.acme.workspaceId)[2], payload, 'the first body kept');
      }
    });

    test('concurrent deliveries of one event: one stored, the others answered duplicate', async () => {
      const { id, payload } = invoicePaidEvent();
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => server.deliver('/acme', payload, signed(payload, secret))),
      );
      for (const r of answers) assert.equal(r.status, 200, r.text);
      assert.equal(answers.filter((r) => r.body.duplicate === false).length, 1, JSON.stringify(answers.map((r) => r.body)));
      assert.equal(answers.filter((r) => r.body.duplicate === true).length, 11);
      assert.equal((await server.events('acme')).filter((e) => e.id === id).length, 1);
    });

    test('a verified body that is not a Stripe event is refused and not stored', async () => {
      const before = server.storedRows()?.length;
      const ids = ['evt_not_an_event_1', 'evt_truncated', 'evt_object_5', 'evt_later_null', 'evt_in_array', 'evt_trailing'];
      for (const body of [
        JSON.stringify({ id: 'evt_not_an_event_1', object: 'invoice', type: 'invoice.paid' }),
        JSON.stringify({ object: 'event', type: 'invoice.paid' }),
        '{"id":"evt_truncated", "object":"event"',
        '{"id":"evt_object_5","object":5,"type":"invoice.paid"}',
        '{"id":{"id":"evt_nested"},"object":"event","type":"invoice.paid"}',
        '{"id":"evt_later_null","object":"event","type":"invoice.paid","id":null}',
        '[{"id":"evt_in_array","object":"event","type":"invoice.paid"}]',
        '{"id":"evt_trailing","object":"event","type":"invoice.paid"} x',
      ]) {
        const r = await server.deliver('/acme', body, signed(body, secret));
        assert.equal(r.status, 400, `${body}: ${r.text}`);
        assert.equal(r.body?.error?.code, 'BAD_REQUEST', `${body}: ${r.text}`);
      }
      await assertStoredNowhere(ids, before);
    });

    test('the event fields are read from the top level, in any key order', async () => {
      const { id, event } = invoicePaidEvent({ livemode: true, type: 'invoice.payment_succeeded' });
      // data (with its own id, object and livemode) first, the event's members last.
      const { data, ...rest } = event;
      const payload = JSON.stringify({ data, ...rest }, null, 2);
      assert.ok(payload.indexOf('"object": "invoice"') < payload.lastIndexOf('"object": "event"'));
      assertAccepted(await server.deliver('/acme', payload, signed(payload, secret)), false, 'data first');
      const listed = (await server.events('acme')).find((e) => e.id === id);
      assert.ok(listed, 'stored under the event id, not the invoice id');
      assert.equal(listed.type, 'invoice.payment_succeeded');
      assert.equal(listed.livemode, true);
      assert.equal(listed.created, event.created);
    });
  });
}
