// End-to-end suite for the Stripe settings of a workspace, the webhook inbox and the
// webhook endpoint registration: real HTTP over loopback on SQLite and PostgreSQL, with an
// in-process Stripe sandbox standing in for Stripe.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>

#include "harness.hpp"
#include "sandbox/sandbox.hpp"
#include "stripe/api_key.hpp"
#include "stripe/webhook_signature.hpp"

namespace settle::testing {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Well-formed keys and secrets, random so that a leak is unambiguous.
std::string secret_key(const std::string& mode) { return "sk_" + mode + "_" + random_id(""); }
std::string publishable_key(const std::string& mode) { return "pk_" + mode + "_" + random_id(""); }
std::string webhook_secret() { return "whsec_" + random_token(24); }

std::string event_payload(const std::string& id, const std::string& type = "invoice.paid") {
  return json{{"id", id},
              {"object", "event"},
              {"type", type},
              {"created", unix_now()},
              {"livemode", false},
              {"api_version", "2026-10-28.endive"},
              {"data", {{"object", {{"id", "in_123"}, {"object", "invoice"}}}}}}
      .dump();
}

class StripeSettingsTest : public SandboxedSuite {
 protected:

  void SetUp() override {
    srv = std::make_unique<TestServer>(GetParam(), sandbox_url());
    auto a = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::string("correct horse 1"));
    auto b = srv->accounts->create_workspace("Beta", "beta", "admin@beta-med.com", std::string("correct horse 2"));
    ASSERT_TRUE(a && b);
    key_a = a->api_key;
    key_b = b->api_key;
    ws_a = a->workspace_id;
    ws_b = b->workspace_id;
    auto member = srv->accounts->create_api_key(crm::Actor{ws_a, "", "test", crm::Role::Admin},
                                                json{{"name", "member"}, {"role", "MEMBER"}});
    ASSERT_TRUE(member);
    member_a = (*member)["key"];
  }

  Reply get(const std::string& path, const std::string& key) { return srv->call("GET", path, nullptr, key); }
  Reply put(const json& body, const std::string& key) { return srv->call("PUT", "/rest/settings/stripe", body, key); }
  // Delivers a raw webhook as Stripe does (no credentials, the signature header only).
  Reply deliver(const std::string& path, const std::string& payload, const std::optional<std::string>& signature) {
    net::ClientRequest req;
    req.method = "POST";
    req.url = srv->base() + path;
    req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    if (signature) req.headers.emplace_back("Stripe-Signature", *signature);
    req.body = payload;
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    return Reply{r->status, json::parse(r->body, nullptr, false), r->body, r->headers};
  }
  std::int64_t stored_events(const std::string& ws = {}) {
    auto n = srv->db->read<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      auto rows = ws.empty() ? tx.query("SELECT COUNT(*) AS n FROM stripe_events")
                             : tx.query("SELECT COUNT(*) AS n FROM stripe_events WHERE workspace_id = :ws", {{"ws", ws}});
      return store::RowView(rows, 0).integer("n");
    });
    return n ? *n : -1;
  }

  std::unique_ptr<TestServer> srv;
  std::string key_a, key_b, member_a, ws_a, ws_b;
};

TEST_P(StripeSettingsTest, SavingChecksEveryKeyAgainstTheMode) {
  std::string sk_test = secret_key("test"), sk_live = secret_key("live");
  std::string pk_test = publishable_key("test"), pk_live = publishable_key("live");
  std::vector<std::string> six;
  for (int i = 0; i < 6; ++i) six.push_back(webhook_secret());
  struct Case {
    json body;
    std::string field;
  };
  const std::vector<Case> refused = {
      {{{"mode", "sandbox"}}, "mode"},
      {{{"mode", true}}, "mode"},
      {{{"secretKey", sk_live}}, "secretKey"},  // a new workspace is in test mode
      {{{"secretKey", "sk_test_short"}}, "secretKey"},
      {{{"secretKey", "pk_test_0123456789abcdef"}}, "secretKey"},
      {{{"secretKey", 42}}, "secretKey"},
      {{{"mode", "live"}, {"secretKey", sk_test}}, "secretKey"},
      {{{"publishableKey", pk_live}}, "publishableKey"},
      {{{"publishableKey", sk_test}}, "publishableKey"},
      {{{"publishableKey", "pk_test_sh"}}, "publishableKey"},
      {{{"webhookSecrets", webhook_secret()}}, "webhookSecrets"},
      {{{"webhookSecrets", {"secret_0123456789abcdef"}}}, "webhookSecrets"},
      {{{"webhookSecrets", {42}}}, "webhookSecrets"},
      {{{"webhookSecrets", six}}, "webhookSecrets"},
      {{{"webhookUrl", "https://x.example"}}, "webhookUrl"},
  };
  for (const auto& c : refused) {
    auto r = put(c.body, key_a);
    EXPECT_EQ(r.status, 422) << c.body.dump() << " " << r.raw;
    EXPECT_EQ(r.body["error"]["field"], c.field) << c.body.dump();
    for (const auto& secret : {sk_test, sk_live, pk_live})
      EXPECT_EQ(r.raw.find(secret), std::string::npos) << "an error repeats a key: " << r.raw;
  }
  EXPECT_EQ(get("/rest/settings/stripe", key_a).body["data"]["configured"], false);  // nothing was saved

  auto saved = put({{"mode", "test"}, {"secretKey", sk_test}, {"publishableKey", pk_test}, {"webhookSecrets", {webhook_secret()}}},
                   key_a);
  ASSERT_EQ(saved.status, 200) << saved.raw;
  EXPECT_EQ(saved.body["data"]["mode"], "test");
  EXPECT_EQ(saved.body["data"]["configured"], true);
  // Going live with the stored test keys is refused as a whole; with live keys it is not.
  auto half = put({{"mode", "live"}, {"secretKey", sk_live}}, key_a);
  EXPECT_EQ(half.status, 422) << half.raw;
  EXPECT_EQ(half.body["error"]["field"], "publishableKey");
  EXPECT_EQ(get("/rest/settings/stripe", key_a).body["data"]["mode"], "test");
  auto live = put({{"mode", "live"}, {"secretKey", sk_live}, {"publishableKey", pk_live}}, key_a);
  ASSERT_EQ(live.status, 200) << live.raw;
  EXPECT_EQ(live.body["data"]["mode"], "live");
  EXPECT_EQ(live.body["data"]["secretKey"], stripe::mask_key(sk_live));
  EXPECT_EQ(put({{"secretKey", secret_key("test")}}, key_a).status, 422);  // live now refuses sk_test_
}

TEST_P(StripeSettingsTest, AnswersMaskedValuesKeepsOmittedFieldsAndSealsSecretsAtRest) {
  std::string sk = secret_key("test"), pk = publishable_key("test"), w1 = webhook_secret(), w2 = webhook_secret();
  auto r = put({{"secretKey", sk}, {"publishableKey", pk}, {"webhookSecrets", {w1, w2}}}, key_a);
  ASSERT_EQ(r.status, 200) << r.raw;
  auto settings = get("/rest/settings/stripe", key_a);
  ASSERT_EQ(settings.status, 200);
  const json& d = settings.body["data"];
  EXPECT_EQ(d["secretKey"], stripe::mask_key(sk));
  EXPECT_EQ(d["secretKey"].get<std::string>().substr(d["secretKey"].get<std::string>().size() - 4), sk.substr(sk.size() - 4));
  EXPECT_EQ(d["publishableKey"], pk);  // publishable keys are public by design
  EXPECT_EQ(d["webhookSecrets"], json({crm::mask_webhook_secret(w1), crm::mask_webhook_secret(w2)}));
  EXPECT_EQ(d["webhookSecrets"][0], "whsec_\u2026" + w1.substr(w1.size() - 4));
  for (const auto& secret : {sk, w1, w2}) {
    EXPECT_EQ(settings.raw.find(secret), std::string::npos);
    EXPECT_EQ(r.raw.find(secret), std::string::npos);
  }

  // A partial update leaves the other fields alone.
  std::string pk2 = publishable_key("test");
  auto partial = put({{"publishableKey", pk2}}, key_a);
  ASSERT_EQ(partial.status, 200) << partial.raw;
  EXPECT_EQ(partial.body["data"]["publishableKey"], pk2);
  EXPECT_EQ(partial.body["data"]["secretKey"], stripe::mask_key(sk));
  EXPECT_EQ(partial.body["data"]["webhookSecrets"].size(), 2u);
  auto secrets = srv->stripe_settings->webhook_secrets(ws_a);
  ASSERT_TRUE(secrets);
  EXPECT_EQ(*secrets, (std::vector<std::string>{w1, w2}));

  // At rest: sealed, not the plaintext, and bound to the workspace and the column.
  auto row = srv->db->read<std::vector<std::string>>([&](store::Tx& tx) -> Result<std::vector<std::string>> {
    auto rows = tx.query("SELECT secret_key_sealed, webhook_secrets_sealed FROM stripe_settings WHERE workspace_id = :ws",
                         {{"ws", ws_a}});
    return std::vector<std::string>{store::RowView(rows, 0).text("secret_key_sealed"),
                                    store::RowView(rows, 0).text("webhook_secrets_sealed")};
  });
  ASSERT_TRUE(row);
  const std::string& sealed_key = (*row)[0];
  const std::string& sealed_hooks = (*row)[1];
  EXPECT_EQ(sealed_key.rfind("v1:", 0), 0u);
  EXPECT_EQ(sealed_key.find(sk), std::string::npos);
  EXPECT_EQ(sealed_key.find(sk.substr(8)), std::string::npos);
  EXPECT_EQ(sealed_hooks.find(w1), std::string::npos);
  EXPECT_EQ(sealed_hooks.find("whsec_"), std::string::npos);
  auto box = SecretBox::from_base64url_key(srv->master_key);
  ASSERT_TRUE(box);
  EXPECT_EQ(*box->open(sealed_key, "workspace:" + ws_a + ":stripe_secret_key"), sk);
  EXPECT_FALSE(box->open(sealed_key, "workspace:" + ws_b + ":stripe_secret_key"));
  EXPECT_FALSE(box->open(sealed_key, "workspace:" + ws_a + ":stripe_webhook_secrets"));
  EXPECT_EQ(json::parse(*box->open(sealed_hooks, "workspace:" + ws_a + ":stripe_webhook_secrets")), json({w1, w2}));

  // Workspace B sees its own (empty) settings.
  auto other = get("/rest/settings/stripe", key_b);
  EXPECT_EQ(other.body["data"]["configured"], false);
  EXPECT_EQ(other.body["data"]["secretKey"], nullptr);
}

TEST_P(StripeSettingsTest, OnlyAnAdminSeesOrChangesStripeSettings) {
  EXPECT_EQ(get("/rest/settings/stripe", member_a).status, 403);
  EXPECT_EQ(put({{"secretKey", secret_key("test")}}, member_a).status, 403);
  EXPECT_EQ(get("/rest/stripe/events", member_a).status, 403);
  EXPECT_EQ(srv->call("POST", "/rest/stripe/webhook-endpoint", json::object(), member_a).status, 403);
  EXPECT_EQ(get("/rest/settings/stripe", "").status, 401);
  EXPECT_EQ(srv->call("PUT", "/rest/settings/stripe", json::object()).status, 401);
  EXPECT_EQ(get("/rest/settings/stripe", key_a).body["data"]["configured"], false);
}

TEST_P(StripeSettingsTest, AVerifiedEventIsStoredOnceAndARedeliveryIsRecognised) {
  std::string w = webhook_secret();
  ASSERT_EQ(put({{"webhookSecrets", {w}}}, key_a).status, 200);
  std::string payload = event_payload("evt_1");
  auto first = deliver("/api/webhooks/stripe/acme", payload, stripe::sign_payload(payload, w, unix_now()));
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body, json({{"received", true}, {"duplicate", false}}));
  auto again = deliver("/api/webhooks/stripe/acme", payload, stripe::sign_payload(payload, w, unix_now()));
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body, json({{"received", true}, {"duplicate", true}}));
  EXPECT_EQ(stored_events(ws_a), 1);

  // Stored raw, byte for byte; then applied by the processor, which ignores it (the
  // workspace has webhook secrets but no secret key to read the invoice with).
  auto stored = srv->db->read<std::vector<std::string>>([&](store::Tx& tx) -> Result<std::vector<std::string>> {
    auto rows = tx.query("SELECT payload, status, type FROM stripe_events WHERE workspace_id = :ws AND event_id = 'evt_1'",
                         {{"ws", ws_a}});
    return std::vector<std::string>{store::RowView(rows, 0).text("payload"), store::RowView(rows, 0).text("status"),
                                    store::RowView(rows, 0).text("type")};
  });
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)[0], payload);
  EXPECT_EQ((*stored)[2], "invoice.paid");
  EXPECT_TRUE((*stored)[1] == "pending" || (*stored)[1] == "ignored") << (*stored)[1];

  // Without a subdomain: the one workspace with webhook secrets.
  std::string second = event_payload("evt_2", "charge.succeeded");
  auto plain = deliver("/api/webhooks/stripe", second, stripe::sign_payload(second, w, unix_now()));
  ASSERT_EQ(plain.status, 200) << plain.raw;
  EXPECT_EQ(stored_events(ws_a), 2);
  // Once two workspaces have secrets, the bare URL is ambiguous.
  ASSERT_EQ(put({{"webhookSecrets", {webhook_secret()}}}, key_b).status, 200);
  std::string third = event_payload("evt_3");
  auto ambiguous = deliver("/api/webhooks/stripe", third, stripe::sign_payload(third, w, unix_now()));
  EXPECT_EQ(ambiguous.status, 400) << ambiguous.raw;
  EXPECT_EQ(stored_events(), 2);
  // The same event id in another workspace is another event.
  auto b_secrets = srv->stripe_settings->webhook_secrets(ws_b);
  ASSERT_TRUE(b_secrets);
  auto in_b = deliver("/api/webhooks/stripe/beta", payload, stripe::sign_payload(payload, (*b_secrets)[0], unix_now()));
  EXPECT_EQ(in_b.body, json({{"received", true}, {"duplicate", false}}));
  EXPECT_EQ(stored_events(ws_b), 1);
}

TEST_P(StripeSettingsTest, AnUnverifiedDeliveryIsRefusedAndStoresNothing) {
  std::string w = webhook_secret();
  ASSERT_EQ(put({{"webhookSecrets", {w}}}, key_a).status, 200);
  std::string payload = event_payload("evt_bad");
  std::int64_t now = unix_now();
  std::string tampered = payload;
  tampered.replace(tampered.find("invoice.paid"), 12, "invoice.void");
  struct Case {
    std::string name, path, body;
    std::optional<std::string> header;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"wrong secret", "/api/webhooks/stripe/acme", payload, stripe::sign_payload(payload, webhook_secret(), now),
       "no_matching_signature"},
      {"tampered body", "/api/webhooks/stripe/acme", tampered, stripe::sign_payload(payload, w, now),
       "no_matching_signature"},
      {"stale timestamp", "/api/webhooks/stripe/acme", payload, stripe::sign_payload(payload, w, now - 301),
       "timestamp_too_old"},
      {"future timestamp", "/api/webhooks/stripe/acme", payload, stripe::sign_payload(payload, w, now + 600),
       "timestamp_in_future"},
      {"missing header", "/api/webhooks/stripe/acme", payload, std::nullopt, "missing_header"},
      {"malformed header", "/api/webhooks/stripe/acme", payload, "v1=abc,t=notanumber", "malformed_header"},
      {"no v1", "/api/webhooks/stripe/acme", payload, "t=" + std::to_string(now) + ",v0=abc", "no_v1_signature"},
      {"unknown workspace", "/api/webhooks/stripe/nobody", payload, stripe::sign_payload(payload, w, now), "no_secret"},
      {"workspace without secrets", "/api/webhooks/stripe/beta", payload, stripe::sign_payload(payload, w, now),
       "no_secret"},
  };
  for (const auto& c : cases) {
    auto r = deliver(c.path, c.body, c.header);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.raw;
    EXPECT_EQ(r.body["error"]["field"], "Stripe-Signature") << c.name;
    EXPECT_EQ(r.body["error"]["details"]["reason"], c.reason) << c.name;
  }
  // Verified, but not an event.
  std::string not_event = R"({"hello":"world"})";
  auto r = deliver("/api/webhooks/stripe/acme", not_event, stripe::sign_payload(not_event, w, now));
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(stored_events(), 0);
}

TEST_P(StripeSettingsTest, BothSecretsVerifyDuringARotation) {
  std::string old_secret = webhook_secret(), new_secret = webhook_secret();
  ASSERT_EQ(put({{"webhookSecrets", {old_secret, new_secret}}}, key_a).status, 200);
  std::string a = event_payload("evt_old"), b = event_payload("evt_new"), both = event_payload("evt_both");
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", a, stripe::sign_payload(a, old_secret, unix_now())).status, 200);
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", b, stripe::sign_payload(b, new_secret, unix_now())).status, 200);
  // Stripe signs with both secrets during its own rotation: one header, two v1 values.
  std::int64_t t = unix_now();
  std::string header = "t=" + std::to_string(t) + ",v1=" + stripe::compute_v1_signature(webhook_secret(), t, both) +
                       ",v1=" + stripe::compute_v1_signature(new_secret, t, both);
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", both, header).status, 200);
  EXPECT_EQ(stored_events(ws_a), 3);

  // Retiring the old secret: what it signs is refused from then on.
  ASSERT_EQ(put({{"webhookSecrets", {new_secret}}}, key_a).status, 200);
  std::string late = event_payload("evt_late");
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", late, stripe::sign_payload(late, old_secret, unix_now())).status, 400);
  EXPECT_EQ(stored_events(ws_a), 3);
}

TEST_P(StripeSettingsTest, TheInboxListsRecentEventsNewestFirst) {
  std::string w = webhook_secret();
  ASSERT_EQ(put({{"webhookSecrets", {w}}}, key_a).status, 200);
  for (const char* id : {"evt_a1", "evt_a2", "evt_a3"}) {
    std::string p = event_payload(id, "payment_intent.succeeded");
    ASSERT_EQ(deliver("/api/webhooks/stripe/acme", p, stripe::sign_payload(p, w, unix_now())).status, 200);
  }
  auto all = get("/rest/stripe/events", key_a);
  ASSERT_EQ(all.status, 200) << all.raw;
  ASSERT_EQ(all.body["data"].size(), 3u);
  EXPECT_EQ(all.body["data"][0]["id"], "evt_a3");
  EXPECT_EQ(all.body["data"][2]["id"], "evt_a1");
  const json& e = all.body["data"][0];
  EXPECT_EQ(e["type"], "payment_intent.succeeded");
  EXPECT_TRUE(e["status"] == "pending" || e["status"] == "ignored") << e.dump();
  EXPECT_LE(e["attempts"].get<int>(), 1);
  EXPECT_EQ(e["lastError"], nullptr);
  EXPECT_TRUE(e["receivedAt"].is_string());
  auto two = get("/rest/stripe/events?limit=2", key_a);
  ASSERT_EQ(two.status, 200);
  EXPECT_EQ(two.body["data"].size(), 2u);
  EXPECT_EQ(two.body["data"][1]["id"], "evt_a2");
  EXPECT_EQ(get("/rest/stripe/events?limit=0", key_a).status, 400);
  EXPECT_EQ(get("/rest/stripe/events?limit=x", key_a).status, 400);
  EXPECT_EQ(get("/rest/stripe/events", key_b).body["data"].size(), 0u);  // workspace B's own inbox
}

TEST_P(StripeSettingsTest, RegistersTheWebhookEndpointWithStripeAndKeepsItsSecret) {
  // Nothing to call Stripe with yet.
  auto early = srv->call("POST", "/rest/stripe/webhook-endpoint", json::object(), key_a);
  EXPECT_EQ(early.status, 422) << early.raw;
  EXPECT_EQ(early.body["error"]["field"], "secretKey");

  std::string manual = webhook_secret();
  ASSERT_EQ(put({{"secretKey", secret_key("test")}, {"webhookSecrets", {manual}}}, key_a).status, 200);
  auto made = srv->call("POST", "/rest/stripe/webhook-endpoint", json::object(), key_a);
  ASSERT_EQ(made.status, 201) << made.raw;
  const json& ep = made.body["data"];
  EXPECT_EQ(ep["id"].get<std::string>().rfind("we_", 0), 0u);
  EXPECT_EQ(ep["url"], "https://crm.example.com/api/webhooks/stripe/acme");
  EXPECT_NE(std::find(ep["enabledEvents"].begin(), ep["enabledEvents"].end(), "invoice_payment.paid"),
            ep["enabledEvents"].end());
  EXPECT_EQ(made.raw.find("whsec_"), std::string::npos);  // the secret is never answered

  // The endpoint's secret joined the manual one, and verifies deliveries.
  auto secrets = srv->stripe_settings->webhook_secrets(ws_a);
  ASSERT_TRUE(secrets);
  ASSERT_EQ(secrets->size(), 2u);
  EXPECT_EQ((*secrets)[0], manual);
  EXPECT_EQ((*secrets)[1].rfind("whsec_", 0), 0u);
  auto settings = get("/rest/settings/stripe", key_a).body["data"];
  EXPECT_EQ(settings["webhookEndpoint"]["id"], ep["id"]);
  EXPECT_EQ(settings["webhookSecrets"].size(), 2u);
  std::string p = event_payload("evt_from_endpoint");
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", p, stripe::sign_payload(p, (*secrets)[1], unix_now())).status, 200);

  // The same URL again is an idempotent replay: the same endpoint, no second secret.
  auto replay = srv->call("POST", "/rest/stripe/webhook-endpoint", json::object(), key_a);
  ASSERT_EQ(replay.status, 201) << replay.raw;
  EXPECT_EQ(replay.body["data"]["id"], ep["id"]);
  EXPECT_EQ(srv->stripe_settings->webhook_secrets(ws_a)->size(), 2u);

  // An explicit URL; bad URLs are refused before Stripe is called.
  auto custom = srv->call("POST", "/rest/stripe/webhook-endpoint", {{"url", "http://127.0.0.1:9/hooks"}}, key_a);
  ASSERT_EQ(custom.status, 201) << custom.raw;
  EXPECT_EQ(custom.body["data"]["url"], "http://127.0.0.1:9/hooks");
  EXPECT_NE(custom.body["data"]["id"], ep["id"]);
  EXPECT_EQ(srv->call("POST", "/rest/stripe/webhook-endpoint", {{"url", "ftp://x.example"}}, key_a).status, 422);
  ASSERT_EQ(put({{"mode", "live"}, {"secretKey", secret_key("live")}}, key_b).status, 200);
  auto insecure = srv->call("POST", "/rest/stripe/webhook-endpoint", {{"url", "http://crm.example.com/hook"}}, key_b);
  EXPECT_EQ(insecure.status, 422) << insecure.raw;
  EXPECT_EQ(insecure.body["error"]["field"], "url");
}

TEST_P(StripeSettingsTest, NoKeyOrSecretReachesTheLog) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = spdlog::default_logger();
  auto level = logger->level();
  logger->sinks().push_back(sink);
  logger->set_level(spdlog::level::trace);

  std::string sk = secret_key("test"), sk_live = secret_key("live"), w = webhook_secret(), wrong = webhook_secret();
  ASSERT_EQ(put({{"secretKey", sk}, {"webhookSecrets", {w}}}, key_a).status, 200);
  EXPECT_EQ(put({{"secretKey", sk_live}}, key_a).status, 422);
  EXPECT_EQ(put({{"secretKey", sk + "!"}}, key_a).status, 422);
  EXPECT_EQ(put({{"webhookSecrets", {wrong + "!"}}}, key_a).status, 422);
  std::string p = event_payload("evt_log");
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", p, stripe::sign_payload(p, w, unix_now())).status, 200);
  EXPECT_EQ(deliver("/api/webhooks/stripe/acme", p, stripe::sign_payload(p, wrong, unix_now())).status, 400);
  EXPECT_EQ(srv->call("POST", "/rest/stripe/webhook-endpoint", json::object(), key_a).status, 201);
  auto endpoint_secret = srv->stripe_settings->webhook_secrets(ws_a);
  EXPECT_EQ(get("/rest/settings/stripe", key_a).status, 200);

  logger->flush();
  logger->sinks().pop_back();
  logger->set_level(level);
  std::string log = captured.str();
  EXPECT_NE(log.find("stripe settings of workspace"), std::string::npos) << log;  // the sink did capture
  EXPECT_NE(log.find("evt_log"), std::string::npos) << log;
  std::vector<std::string> secrets = {sk, sk.substr(8), sk_live, w, wrong, w.substr(6)};
  if (endpoint_secret) secrets.insert(secrets.end(), endpoint_secret->begin(), endpoint_secret->end());
  for (const auto& s : secrets) EXPECT_EQ(log.find(s), std::string::npos) << "a secret reached the log";
}

TEST_P(StripeSettingsTest, TheNewRoutesAreDocumented) {
  auto doc = srv->call("GET", "/rest/openapi.json").body;
  for (const auto& [path, method] : std::vector<std::pair<std::string, std::string>>{
           {"/rest/settings/stripe", "get"},
           {"/rest/settings/stripe", "put"},
           {"/rest/stripe/events", "get"},
           {"/rest/stripe/webhook-endpoint", "post"},
           {"/api/webhooks/stripe/{subdomain}", "post"},
           {"/api/webhooks/stripe", "post"}})
    EXPECT_TRUE(doc["paths"][path].contains(method)) << method << " " << path;
  EXPECT_EQ(doc["paths"]["/api/webhooks/stripe/{subdomain}"]["post"]["security"], json::array());
}

INSTANTIATE_TEST_SUITE_P(Backends, StripeSettingsTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
