// Crash safety of the webhook path: the real `settle serve` binary is killed with SIGKILL
// in the middle of a burst of Stripe webhooks and started again on the same port. Stripe
// (the sandbox) retries what was not acknowledged; Settle must lose no event and record no
// payment twice, and every invoice must end in Stripe's state.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "process.hpp"
#include "sandbox/sandbox.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    crypto_init();
    net::global_init();
    std::string suffix = random_id("").substr(0, 12);
    scratch = std::make_unique<ScratchDatabase>(GetParam(), "crash");
    db_url = scratch->url();
    log = (std::filesystem::temp_directory_path() / ("settle-crash-" + suffix + ".log")).string();
    sandbox = std::make_unique<sandbox::Sandbox>(sandbox::Options{"127.0.0.1", 0, ""});
    sandbox->start();
    sandbox_base = "http://127.0.0.1:" + std::to_string(sandbox->port());
    port = free_port();
    base = "http://127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override {
    server.reset();
    sandbox->stop();
    scratch.reset();
    if (!HasFailure()) std::filesystem::remove(log);
  }

  void start_server() {
    server = std::make_unique<SettleProcess>(
        std::vector<std::string>{"serve", "--db", db_url, "--port", std::to_string(port), "--address", "127.0.0.1"},
        std::vector<std::string>{"SETTLE_STRIPE_API_BASE=" + sandbox_base, "SETTLE_MASTER_KEY=" + master_key,
                                 "SETTLE_INSECURE_FAST_PASSWORD_HASH=1"},
        log);
    server->start();
    if (!wait_until_healthy(base)) FAIL() << "settle did not start; see " << log;
  }

  Reply call(const std::string& method, const std::string& p, const json& body = nullptr) {
    auto r = call_settle(base, key, method, p, body, 30000);
    if (!r) throw std::runtime_error(method + " " + p + ": no answer");
    return *r;
  }
  json stripe(const std::string& p) {
    net::ClientRequest req;
    req.url = sandbox_base + p;
    req.headers.emplace_back("Authorization", "Bearer " + sk);
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    return json::parse(r->body, nullptr, false);
  }
  int pay(const std::string& hosted_url) {
    net::ClientRequest req;
    req.method = "POST";
    req.url = hosted_url + "/pay";
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = "card_number=4242424242424242";
    auto r = net::perform(req);
    return r ? r->status : -1;
  }

  std::unique_ptr<ScratchDatabase> scratch;
  std::string db_url, log, sandbox_base, base, key, sk;
  std::string master_key = generate_master_key();
  unsigned short port = 0;
  std::unique_ptr<sandbox::Sandbox> sandbox;
  std::unique_ptr<SettleProcess> server;
};

TEST_P(CrashTest, KillNineDuringAWebhookBurstLosesAndDuplicatesNothing) {
  {
    auto opened = store::Database::open(db_url, 2);
    ASSERT_TRUE(opened);
    ASSERT_TRUE((*opened)->migrate());
    crm::Accounts accounts(*opened, crm::AccountsOptions::without_mail(PasswordHashCost::MinimalForTests));
    auto ws = accounts.create_workspace("Phos Industries", "phos", "admin@phos-ind.com", std::string("pw-123456789"));
    ASSERT_TRUE(ws);
    key = ws->api_key;
  }
  start_server();
  sk = "sk_test_" + random_id("").substr(0, 24);
  ASSERT_EQ(call("PUT", "/rest/settings/stripe", {{"secretKey", sk}, {"mode", "test"}}).status, 200);
  ASSERT_EQ(call("POST", "/rest/stripe/webhook-endpoint", {{"url", base + "/api/webhooks/stripe/phos"}}).status, 201);
  auto company = call("POST", "/rest/companies", {{"name", "Lumen Clinics"}});
  ASSERT_EQ(company.status, 201);

  constexpr int kInvoices = 8;
  std::vector<json> invoices;
  for (int i = 0; i < kInvoices; ++i) {
    auto inv = call("POST", "/rest/invoices",
                    {{"companyId", company.body["data"]["id"]},
                     {"currency", "USD"},
                     {"lineItems", {{{"description", "Service " + std::to_string(i)}, {"unitAmount", 10000 * (i + 1)}}}}});
    ASSERT_EQ(inv.status, 201) << inv.raw;
    auto fin = call("POST", "/rest/invoices/" + inv.body["data"]["id"].get<std::string>() + "/finalize", json::object());
    ASSERT_EQ(fin.status, 200) << fin.raw;
    invoices.push_back(fin.body["data"]);
  }

  // The burst: every invoice paid, Settle killed halfway through.
  std::thread payer([&] {
    for (const auto& inv : invoices) {
      EXPECT_EQ(pay(inv["stripeInvoiceUrl"]), 200);
      std::this_thread::sleep_for(30ms);
    }
  });
  std::this_thread::sleep_for(120ms);
  server->kill(SIGKILL);
  payer.join();
  std::this_thread::sleep_for(300ms);
  start_server();

  // Stripe redelivers what went unanswered (after 1, 2, 4, 8 s); everything converges.
  auto until = std::chrono::steady_clock::now() + 60s;
  int paid = 0;
  while (std::chrono::steady_clock::now() < until) {
    paid = 0;
    for (const auto& inv : invoices)
      paid += call("GET", "/rest/invoices/" + inv["id"].get<std::string>()).body["data"]["status"] == "Paid";
    if (paid == kInvoices) break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_EQ(paid, kInvoices) << "see " << log;
  auto payments = call("GET", "/rest/payments?limit=100").body;
  EXPECT_EQ(payments["totalCount"], kInvoices);
  for (const auto& inv : invoices) {
    json local = call("GET", "/rest/invoices/" + inv["id"].get<std::string>()).body["data"];
    json remote = stripe("/v1/invoices/" + inv["stripeInvoiceId"].get<std::string>());
    EXPECT_EQ(remote["status"], "paid");
    EXPECT_EQ(local["amountPaid"], remote["amount_paid"]);
  }
  EXPECT_EQ(stripe("/v1/customers?limit=100")["data"].size(), 1u);
  EXPECT_EQ(stripe("/v1/invoices?limit=100")["data"].size(), static_cast<size_t>(kInvoices));
  // The kill really cut deliveries off: some needed Stripe's retry to arrive.
  net::ClientRequest log_req;
  log_req.url = sandbox_base + "/_sandbox/webhooks/deliveries?limit=500";
  auto deliveries = json::parse(net::perform(log_req)->body, nullptr, false);
  int retried = 0;
  for (const auto& d : deliveries["deliveries"]) retried += d.value("attempts", 1) > 1;
  EXPECT_GT(retried, 0) << deliveries.dump().substr(0, 2000);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
