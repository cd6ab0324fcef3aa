// The webhook receive path reads a workspace's signing secrets, and the workspace its
// subdomain names, from memory (StripeSettings::webhook_secrets, workspace_for_subdomain):
// a change made through the same instance takes effect at once, another instance sharing
// the database sees it within webhook_secrets_ttl, and unknown subdomains are not
// remembered. Real HTTP over loopback on SQLite and PostgreSQL, an in-process sandbox for
// the endpoint registration.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.hpp"
#include "sandbox/sandbox.hpp"
#include "stripe/webhook_signature.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string webhook_secret() { return "whsec_" + random_token(24); }

std::string event_payload(const std::string& id) {
  return json{{"id", id}, {"object", "event"}, {"type", "invoice.paid"}, {"created", unix_now()}, {"livemode", false},
              {"data", {{"object", {{"id", "in_123"}, {"object", "invoice"}}}}}}
      .dump();
}

class WebhookSecretsCacheTest : public SandboxedSuite {
 protected:

  void SetUp() override {
    srv = std::make_unique<TestServer>(GetParam(), sandbox_url());
    auto a = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::nullopt);
    ASSERT_TRUE(a);
    key = a->api_key;
    ws = a->workspace_id;
  }

  Reply put(const json& body) { return srv->call("PUT", "/rest/settings/stripe", body, key); }
  // A delivery to acme signed with `secret`: its HTTP status.
  int deliver_signed_with(const std::string& secret) {
    std::string payload = event_payload("evt_" + random_token(12));
    net::ClientRequest req;
    req.method = "POST";
    req.url = srv->base() + "/api/webhooks/stripe/acme";
    req.headers.emplace_back("Content-Type", "application/json");
    req.headers.emplace_back("Stripe-Signature", stripe::sign_payload(payload, secret, unix_now()));
    req.body = payload;
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    return r->status;
  }

  std::unique_ptr<TestServer> srv;
  std::string key, ws;
};

TEST_P(WebhookSecretsCacheTest, AChangeThroughThisInstanceTakesEffectAtOnce) {
  std::string old_secret = webhook_secret(), new_secret = webhook_secret();
  ASSERT_EQ(put({{"webhookSecrets", {old_secret}}}).status, 200);
  // Deliveries put the secrets in memory...
  EXPECT_EQ(deliver_signed_with(old_secret), 200);
  EXPECT_EQ(deliver_signed_with(new_secret), 400);
  // ...and a PUT drops them: the very next delivery sees the new list.
  ASSERT_EQ(put({{"webhookSecrets", {new_secret}}}).status, 200);
  EXPECT_EQ(deliver_signed_with(old_secret), 400);
  EXPECT_EQ(deliver_signed_with(new_secret), 200);
  ASSERT_EQ(put({{"webhookSecrets", json::array()}}).status, 200);
  EXPECT_EQ(deliver_signed_with(new_secret), 400);
  // A PUT of other fields keeps the secrets, and keeps them working.
  ASSERT_EQ(put({{"webhookSecrets", {old_secret}}}).status, 200);
  ASSERT_EQ(put({{"mode", "test"}}).status, 200);
  EXPECT_EQ(deliver_signed_with(old_secret), 200);
}

TEST_P(WebhookSecretsCacheTest, RegisteringTheEndpointAddsItsSecretAtOnce) {
  std::string mine = webhook_secret();
  ASSERT_EQ(put({{"secretKey", "sk_test_" + random_id("")}, {"webhookSecrets", {mine}}}).status, 200);
  EXPECT_EQ(deliver_signed_with(mine), 200);  // the list of one is now in memory
  ASSERT_EQ(srv->call("POST", "/rest/stripe/webhook-endpoint", json{{"url", "https://crm.example.com/hook"}}, key).status,
            201);
  auto secrets = srv->stripe_settings->webhook_secrets(ws);
  ASSERT_TRUE(secrets);
  ASSERT_EQ(secrets->size(), 2u);
  EXPECT_EQ((*secrets)[0], mine);
  EXPECT_EQ(deliver_signed_with((*secrets)[1]), 200);  // the endpoint's own secret
}

TEST_P(WebhookSecretsCacheTest, AnotherInstanceSeesAChangeWithinItsTtl) {
  std::string first = webhook_secret(), second = webhook_secret();
  ASSERT_EQ(put({{"webhookSecrets", {first}}}).status, 200);
  // A second instance over the same database, as another `settle serve` would be.
  crm::StripeSettingsOptions options;
  options.webhook_secrets_ttl = 1500ms;
  auto box = SecretBox::from_base64url_key(srv->master_key);
  ASSERT_TRUE(box);
  crm::StripeSettings other(srv->db, *box, options);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(*other.webhook_secrets(ws), std::vector<std::string>{first});

  ASSERT_EQ(put({{"webhookSecrets", {second}}}).status, 200);
  EXPECT_EQ(*srv->stripe_settings->webhook_secrets(ws), std::vector<std::string>{second});
  // The other instance answers from memory until its TTL has passed, then reads again.
  auto cached = other.webhook_secrets(ws);
  if (std::chrono::steady_clock::now() - start < 1400ms) {
    EXPECT_EQ(*cached, std::vector<std::string>{first});
  }
  std::this_thread::sleep_until(start + 1600ms);
  EXPECT_EQ(*other.webhook_secrets(ws), std::vector<std::string>{second});
}

TEST_P(WebhookSecretsCacheTest, UnknownSubdomainsAreNotRemembered) {
  auto acme = srv->stripe_settings->workspace_for_subdomain("acme");
  ASSERT_TRUE(acme);
  EXPECT_EQ(*acme, std::optional<std::string>(ws));
  auto missing = srv->stripe_settings->workspace_for_subdomain("beta");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  // The workspace made afterwards is found: the miss was not kept.
  auto beta = srv->accounts->create_workspace("Beta", "beta", "admin@beta-med.com", std::nullopt);
  ASSERT_TRUE(beta);
  auto found = srv->stripe_settings->workspace_for_subdomain("beta");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, std::optional<std::string>(beta->workspace_id));
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookSecretsCacheTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
