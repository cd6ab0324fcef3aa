// The sandbox in-process over loopback: signed webhook delivery to a real receiver,
// the state file across a restart, API fault injection and a hosted page payment.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "net/client.hpp"
#include "net/server.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/signature.hpp"

namespace settle::sandbox {
namespace {

using nlohmann::json;

constexpr const char* kKey = "sk_test_server_test";

class Loopback : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { net::global_init(); }

  static net::ClientResponse api(unsigned short port, const std::string& method, const std::string& path,
                                 const std::string& form = "", net::Headers extra = {}) {
    net::ClientRequest r;
    r.method = method;
    r.url = "http://127.0.0.1:" + std::to_string(port) + path;
    r.body = form;
    r.headers = {{"Authorization", std::string("Bearer ") + kKey}, {"Content-Type", "application/x-www-form-urlencoded"}};
    r.headers.insert(r.headers.end(), extra.begin(), extra.end());
    r.timeout_ms = 10000;
    auto response = net::perform(r);
    if (!response) throw std::runtime_error(response.error().log);
    return *response;
  }
};

TEST_F(Loopback, WebhooksArriveSignedWithTheEndpointSecret) {
  std::mutex mu;
  std::vector<net::Request> received;
  net::ServerOptions receiver_options;
  receiver_options.port = 0;
  net::Server receiver(receiver_options, [&](net::Request& r) {
    std::lock_guard lock(mu);
    received.push_back(r);
    return net::Response::json(200, "{}");
  });
  receiver.start();

  Sandbox sandbox({"127.0.0.1", 0, ""});
  sandbox.start();
  std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
  auto endpoint = api(sandbox.port(), "POST", "/v1/webhook_endpoints",
                      "url=" + url + "&enabled_events[]=customer.created");
  ASSERT_EQ(endpoint.status, 200) << endpoint.body;
  std::string secret = json::parse(endpoint.body)["secret"];
  auto customer = api(sandbox.port(), "POST", "/v1/customers", "email=hook%40example.com");
  ASSERT_EQ(customer.status, 200);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (!received.empty()) break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no webhook arrived";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard lock(mu);
  const net::Request& hook = received[0];
  EXPECT_EQ(hook.path, "/hook");
  std::string signature(hook.header("stripe-signature"));
  auto comma = signature.find(',');
  ASSERT_EQ(signature.rfind("t=", 0), 0u);
  ASSERT_NE(comma, std::string::npos);
  std::int64_t t = std::stoll(signature.substr(2, comma - 2));
  EXPECT_EQ(signature, stripe_signature_header(secret, t, hook.body));
  json event = json::parse(hook.body);
  EXPECT_EQ(event["type"], "customer.created");
  EXPECT_EQ(event["data"]["object"]["id"], json::parse(customer.body)["id"]);
  sandbox.stop();
  receiver.stop();
}

TEST_F(Loopback, StateFileSurvivesARestartOnAnotherPort) {
  auto path = std::filesystem::temp_directory_path() / ("sandbox-state-" + std::to_string(::getpid()) + ".json");
  std::filesystem::remove(path);
  std::string customer_id, invoice_id;
  unsigned short first_port = 0;
  {
    Sandbox sandbox({"127.0.0.1", 0, path.string()});
    sandbox.start();
    first_port = sandbox.port();
    customer_id = json::parse(api(first_port, "POST", "/v1/customers", "name=Kept").body)["id"];
    invoice_id = json::parse(api(first_port, "POST", "/v1/invoices", "customer=" + customer_id).body)["id"];
    api(first_port, "POST", "/v1/invoiceitems", "customer=" + customer_id + "&invoice=" + invoice_id + "&amount=100&currency=usd");
    ASSERT_EQ(api(first_port, "POST", "/v1/invoices/" + invoice_id + "/finalize").status, 200);
    sandbox.stop();
  }
  Sandbox again({"127.0.0.1", 0, path.string()});
  again.start();
  ASSERT_NE(again.port(), first_port);
  auto customer = api(again.port(), "GET", "/v1/customers/" + customer_id);
  EXPECT_EQ(customer.status, 200);
  EXPECT_EQ(json::parse(customer.body)["name"], "Kept");
  json invoice = json::parse(api(again.port(), "GET", "/v1/invoices/" + invoice_id).body);
  EXPECT_EQ(invoice["status"], "open");
  EXPECT_EQ(invoice["hosted_invoice_url"],
            "http://127.0.0.1:" + std::to_string(again.port()) + "/hosted/invoices/" + invoice_id);
  again.stop();
  std::filesystem::remove(path);
}

TEST_F(Loopback, InjectedApiFailuresAndTheHeadersOfEveryAnswer) {
  Sandbox sandbox({"127.0.0.1", 0, ""});
  sandbox.start();
  net::ClientRequest fault;
  fault.method = "POST";
  fault.url = "http://127.0.0.1:" + std::to_string(sandbox.port()) + "/_sandbox/faults";
  fault.body = R"({"api":{"fail":{"status":503,"count":1,"path":"/v1/customers"}}})";
  ASSERT_EQ(net::perform(fault)->status, 200);

  auto failed = api(sandbox.port(), "GET", "/v1/customers", "", {{"Stripe-Version", "2025-03-31.basil"}});
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(json::parse(failed.body)["error"]["type"], "api_error");
  EXPECT_EQ(failed.header("stripe-should-retry"), "true");
  auto ok = api(sandbox.port(), "GET", "/v1/customers", "", {{"Stripe-Version", "2025-03-31.basil"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("stripe-version"), "2025-03-31.basil");
  EXPECT_EQ(ok.header("request-id").substr(0, 4), "req_");
  EXPECT_EQ(json::parse(ok.body)["object"], "list");

  auto first = api(sandbox.port(), "POST", "/v1/customers", "name=Once", {{"Idempotency-Key", "abc"}});
  auto replay = api(sandbox.port(), "POST", "/v1/customers", "name=Once", {{"Idempotency-Key", "abc"}});
  auto clash = api(sandbox.port(), "POST", "/v1/customers", "name=Twice", {{"Idempotency-Key", "abc"}});
  EXPECT_EQ(json::parse(first.body)["id"], json::parse(replay.body)["id"]);
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(clash.status, 400);
  EXPECT_EQ(json::parse(clash.body)["error"]["type"], "idempotency_error");
  sandbox.stop();
}

TEST_F(Loopback, HostedInvoicePageTakesATestCard) {
  Sandbox sandbox({"127.0.0.1", 0, ""});
  sandbox.start();
  std::string customer = json::parse(api(sandbox.port(), "POST", "/v1/customers", "name=Payer").body)["id"];
  std::string invoice = json::parse(api(sandbox.port(), "POST", "/v1/invoices", "customer=" + customer).body)["id"];
  api(sandbox.port(), "POST", "/v1/invoiceitems", "customer=" + customer + "&invoice=" + invoice + "&amount=2500&currency=usd");
  std::string url = json::parse(api(sandbox.port(), "POST", "/v1/invoices/" + invoice + "/finalize").body)["hosted_invoice_url"];

  auto page = net::perform({"GET", url, {}, "", 5000, 1000});
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<label for=\"card-number\">Card number</label>"), std::string::npos);
  auto pay = net::perform({"POST", url + "/pay", {{"Content-Type", "application/x-www-form-urlencoded"}},
                           "method=card&card_number=4242+4242+4242+4242", 5000, 1000});
  ASSERT_TRUE(pay);
  EXPECT_EQ(pay->status, 200);
  EXPECT_NE(pay->body.find(">Payment succeeded</p>"), std::string::npos);
  EXPECT_EQ(json::parse(api(sandbox.port(), "GET", "/v1/invoices/" + invoice).body)["status"], "paid");
  auto pdf = net::perform({"GET", url + "/pdf", {}, "", 5000, 1000});
  ASSERT_TRUE(pdf);
  EXPECT_EQ(pdf->header("content-type"), "application/pdf");
  EXPECT_EQ(pdf->body.rfind("%PDF-1.4", 0), 0u);
  sandbox.stop();
}

}  // namespace
}  // namespace settle::sandbox
