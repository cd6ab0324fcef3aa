// Tests of the Stripe client (client.hpp) against a real in-process Stripe sandbox over
// loopback HTTP: idempotency, the invoice and quote flows, card declines, retries on
// injected 500/429/timeouts, events, webhook endpoints and their signatures, and that
// the API key never leaks into an error or a log line.
#include "stripe/client.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/crypto.hpp"
#include "net/client.hpp"
#include "net/server.hpp"
#include "sandbox/sandbox.hpp"
#include "stripe/api_key.hpp"
#include "stripe/webhook_signature.hpp"

namespace settle::stripe {
namespace {

using namespace std::chrono_literals;

RequestOptions idempotent(std::string key) {
  RequestOptions options;
  options.idempotency_key = std::move(key);
  return options;
}

ListParams page(int limit, std::string starting_after = {}) {
  ListParams p;
  p.limit = limit;
  p.starting_after = std::move(starting_after);
  return p;
}

net::ServerOptions loopback_any_port() {
  net::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  return options;
}

// ---- Without a server ---------------------------------------------------------------

TEST(ClientCreate, ValidatesKeyAndBaseUrls) {
  ClientConfig config;
  config.api_key = "pk_test_0123456789";
  auto refused = Client::create(config);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Validation);
  EXPECT_EQ(refused.error().message.find("pk_test_0123456789"), std::string::npos);

  config.api_key = "sk_test_0123456789";
  config.api_base = "ftp://example.com";
  EXPECT_FALSE(Client::create(config));

  config.api_base = std::string(kDefaultApiBase);
  auto stripe = Client::create(config);
  ASSERT_TRUE(stripe);
  EXPECT_EQ(stripe->config().files_base, kDefaultFilesBase);
  EXPECT_EQ(stripe->config().api_version, kApiVersion);

  config.api_base = "http://127.0.0.1:12111/";
  auto local = Client::create(config);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->config().api_base, "http://127.0.0.1:12111");
  EXPECT_EQ(local->config().files_base, "http://127.0.0.1:12111");
}

TEST(ClientRequest, PostWithoutIdempotencyKeyIsRefusedBeforeSending) {
  ClientConfig config;
  config.api_key = "sk_test_0123456789";
  config.api_base = "http://127.0.0.1:9";  // nothing is sent, so nothing needs to listen
  auto client = Client::create(config);
  ASSERT_TRUE(client);
  auto result = client->create_customer("", {{"name", "x"}});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::Internal);
  EXPECT_NE(result.error().log.find("without an Idempotency-Key"), std::string::npos);
  auto too_long = client->create_customer(std::string(256, 'k'), {{"name", "x"}});
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::Internal);
}

TEST(MetadataQuery, QuotesAndEscapes) {
  EXPECT_EQ(metadata_query("settleCompanyId", "co_1"), "metadata['settleCompanyId']:'co_1'");
  EXPECT_EQ(metadata_query("k", "O'Brien \\ Co"), "metadata['k']:'O\\'Brien \\\\ Co'");
}

// ---- Against the sandbox ------------------------------------------------------------

class SandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto_init();
    net::global_init();
    sandbox_ = new sandbox::Sandbox(sandbox::Options{"127.0.0.1", 0, ""});
    sandbox_->start();
    base_ = "http://127.0.0.1:" + std::to_string(sandbox_->port());
  }
  static void TearDownTestSuite() {
    sandbox_->stop();
    delete sandbox_;
    sandbox_ = nullptr;
  }
  void SetUp() override { clear_faults(); }
  void TearDown() override { clear_faults(); }

  // Each test gets an account of its own: the sandbox keeps one per test key.
  ClientConfig config() {
    ClientConfig c;
    c.api_key = "sk_test_" + random_id("").substr(0, 20);
    c.api_base = base_;
    c.timeout_ms = 10000;
    c.retry.max_retries = 3;
    c.retry.initial_delay = 10ms;
    c.retry.max_delay = 50ms;
    return c;
  }
  Client client(ClientConfig c) {
    auto made = Client::create(std::move(c));
    EXPECT_TRUE(made) << made.error().message;
    return *made;
  }
  Client client() { return client(config()); }

  static net::ClientResponse control(const std::string& method, const std::string& path, const nlohmann::json& body) {
    net::ClientRequest r;
    r.method = method;
    r.url = base_ + path;
    r.body = body.is_null() ? "" : body.dump();
    r.headers = {{"Content-Type", "application/json"}};
    auto answer = net::perform(r);
    EXPECT_TRUE(answer) << answer.error().log;
    EXPECT_EQ(answer->status, 200) << answer->body;
    return *answer;
  }
  static void inject(const nlohmann::json& api_faults) { control("POST", "/_sandbox/faults", {{"api", api_faults}}); }
  static void clear_faults() { control("DELETE", "/_sandbox/faults", nullptr); }

  // A customer, a pending invoice item and a finalized invoice for it.
  Invoice open_invoice(const Client& c, const std::string& tag, std::int64_t amount) {
    auto customer = c.create_customer("test:" + tag + ":customer", {{"name", "Acme " + tag}, {"email", "billing@acme.test"}});
    EXPECT_TRUE(customer) << customer.error().message;
    FormParams item = FormParams::object();
    item["customer"] = customer->id;
    item["amount"] = amount;
    item["currency"] = "usd";
    item["description"] = "Consulting, " + tag;
    auto created_item = c.create_invoice_item("test:" + tag + ":item", item);
    EXPECT_TRUE(created_item) << created_item.error().message;
    FormParams params = FormParams::object();
    params["customer"] = customer->id;
    params["collection_method"] = "charge_automatically";
    params["pending_invoice_items_behavior"] = "include";
    params["metadata"]["settleInvoiceId"] = "inv_" + tag;
    auto invoice = c.create_invoice("test:" + tag + ":invoice:create", params);
    EXPECT_TRUE(invoice) << invoice.error().message;
    EXPECT_EQ(invoice->status, "draft");
    auto finalized = c.finalize_invoice(invoice->id, "test:" + tag + ":invoice:finalize");
    EXPECT_TRUE(finalized) << finalized.error().message;
    return *finalized;
  }

  static sandbox::Sandbox* sandbox_;
  static std::string base_;
};
sandbox::Sandbox* SandboxTest::sandbox_ = nullptr;
std::string SandboxTest::base_;

TEST_F(SandboxTest, CreatingACustomerTwiceWithOneKeyCreatesOne) {
  Client c = client();
  FormParams params = FormParams::object();
  params["name"] = "Acme GmbH";
  params["metadata"]["settleCompanyId"] = "co_42";
  auto first = c.send("POST", "/v1/customers", params, idempotent("settle:ws1:company:co_42:create"));
  auto second = c.send("POST", "/v1/customers", params, idempotent("settle:ws1:company:co_42:create"));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(first->idempotent_replay);
  EXPECT_TRUE(second->idempotent_replay);
  auto a = parse_customer(nlohmann::json::parse(first->body));
  auto b = parse_customer(nlohmann::json::parse(second->body));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->metadata.at("settleCompanyId"), "co_42");

  // The pinned Stripe-Version went with the requests: the sandbox records it per account.
  auto state = nlohmann::json::parse(control("GET", "/_sandbox/state", nullptr).body);
  bool seen = false;
  for (const auto& account : state["accounts"])
    if (account["api_key"] == c.config().api_key) {
      seen = true;
      EXPECT_EQ(account["api_version"], kApiVersion);
    }
  EXPECT_TRUE(seen) << state.dump();

  auto typed = c.create_customer("settle:ws1:company:co_42:create", params);
  ASSERT_TRUE(typed) << typed.error().message;
  EXPECT_EQ(typed->id, a->id);

  auto found = c.search_customers(metadata_query("settleCompanyId", "co_42"));
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->data.size(), 1u);
  EXPECT_EQ(found->data[0].id, a->id);

  // The same key with other parameters is Stripe's idempotency_error.
  auto reused = c.create_customer("settle:ws1:company:co_42:create", {{"name", "Someone else"}});
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().code, ErrorCode::Conflict);
  EXPECT_EQ(reused.error().details["stripe"]["type"], "idempotency_error");
}

TEST_F(SandboxTest, RetrievesAndUpdatesACustomer) {
  Client c = client();
  auto created = c.create_customer("t:cust", {{"name", "Before"}});
  ASSERT_TRUE(created) << created.error().message;
  FormParams update = FormParams::object();
  update["name"] = "After";
  update["metadata"]["tier"] = "gold";
  auto updated = c.update_customer(created->id, "t:cust:update:1", update);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->name, "After");
  auto fetched = c.retrieve_customer(created->id);
  ASSERT_TRUE(fetched) << fetched.error().message;
  EXPECT_EQ(fetched->metadata.at("tier"), "gold");

  auto missing = c.retrieve_customer("cus_doesnotexist");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_NE(missing.error().message.find("cus_doesnotexist"), std::string::npos);
}

TEST_F(SandboxTest, InvoicePaidWithVisaThenRefunded) {
  Client c = client();
  Invoice invoice = open_invoice(c, "visa", 5000);
  EXPECT_EQ(invoice.status, "open");
  EXPECT_EQ(invoice.amount_due, 5000);
  ASSERT_TRUE(invoice.number);
  ASSERT_TRUE(invoice.hosted_invoice_url);
  EXPECT_EQ(invoice.metadata.at("settleInvoiceId"), "inv_visa");

  auto lines = c.list_invoice_lines(invoice.id);
  ASSERT_TRUE(lines) << lines.error().message;
  ASSERT_EQ(lines->data.size(), 1u);
  EXPECT_EQ(lines->data[0].amount, 5000);

  auto paid = c.pay_invoice(invoice.id, "test:visa:invoice:pay", {{"payment_method", "pm_card_visa"}});
  ASSERT_TRUE(paid) << paid.error().message;
  EXPECT_EQ(paid->status, "paid");
  EXPECT_EQ(paid->amount_paid, 5000);
  EXPECT_EQ(paid->amount_remaining, 0);

  // basil and later: the payment is found through invoice payments.
  auto payments = c.list_invoice_payments(invoice.id);
  ASSERT_TRUE(payments) << payments.error().message;
  ASSERT_EQ(payments->data.size(), 1u);
  const InvoicePayment& payment = payments->data[0];
  EXPECT_EQ(payment.status, "paid");
  EXPECT_EQ(payment.amount_paid, 5000);
  ASSERT_TRUE(payment.payment_intent);

  auto intent = c.retrieve_payment_intent(*payment.payment_intent);
  ASSERT_TRUE(intent) << intent.error().message;
  EXPECT_EQ(intent->status, "succeeded");
  ASSERT_TRUE(intent->latest_charge);
  auto charge = c.retrieve_charge(*intent->latest_charge);
  ASSERT_TRUE(charge) << charge.error().message;
  EXPECT_EQ(charge->amount, 5000);
  EXPECT_EQ(charge->payment_method_type, "card");

  FormParams refund_params = FormParams::object();
  refund_params["payment_intent"] = *payment.payment_intent;
  refund_params["amount"] = 1200;
  auto refund = c.create_refund("test:visa:refund:1", refund_params);
  ASSERT_TRUE(refund) << refund.error().message;
  auto again = c.create_refund("test:visa:refund:1", refund_params);  // a replay, not a second refund
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, refund->id);
  EXPECT_EQ(refund->amount, 1200);
  auto refunded_charge = c.retrieve_charge(*intent->latest_charge);
  ASSERT_TRUE(refunded_charge);
  EXPECT_EQ(refunded_charge->amount_refunded, 1200);
  EXPECT_FALSE(refunded_charge->refunded);

  auto expanded = c.retrieve_invoice(invoice.id, {"customer"});
  ASSERT_TRUE(expanded) << expanded.error().message;
  EXPECT_EQ(expanded->customer, invoice.customer);
}

TEST_F(SandboxTest, DeclinedCardIsAValidationErrorWithStripesMessage) {
  Client c = client();
  Invoice invoice = open_invoice(c, "declined", 2500);
  auto paid = c.pay_invoice(invoice.id, "test:declined:invoice:pay", {{"payment_method", "pm_card_chargeDeclined"}});
  ASSERT_FALSE(paid);
  EXPECT_EQ(paid.error().code, ErrorCode::Validation);
  EXPECT_EQ(paid.error().message, "Your card was declined.");
  EXPECT_EQ(paid.error().details["stripe"]["type"], "card_error");
  EXPECT_EQ(paid.error().details["stripe"]["code"], "card_declined");
  EXPECT_EQ(paid.error().details["stripe"]["decline_code"], "generic_decline");
  EXPECT_EQ(paid.error().details["attempts"], 1);  // a decline is final: not retried
  auto after = c.retrieve_invoice(invoice.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, "open");
}

TEST_F(SandboxTest, VoidAndUncollectibleAndSend) {
  Client c = client();
  Invoice to_void = open_invoice(c, "void", 1000);
  auto voided = c.void_invoice(to_void.id, "test:void:invoice:void");
  ASSERT_TRUE(voided) << voided.error().message;
  EXPECT_EQ(voided->status, "void");
  auto pay_void = c.pay_invoice(to_void.id, "test:void:invoice:pay", {{"payment_method", "pm_card_visa"}});
  ASSERT_FALSE(pay_void);
  EXPECT_EQ(pay_void.error().code, ErrorCode::Conflict) << pay_void.error().message;

  Invoice bad_debt = open_invoice(c, "uncollectible", 1000);
  auto written_off = c.mark_invoice_uncollectible(bad_debt.id, "test:uncollectible:invoice:mark");
  ASSERT_TRUE(written_off) << written_off.error().message;
  EXPECT_EQ(written_off->status, "uncollectible");

  auto customer = c.create_customer("test:send:customer", {{"name", "Send Co"}, {"email", "ap@send.test"}});
  ASSERT_TRUE(customer);
  ASSERT_TRUE(c.create_invoice_item("test:send:item", {{"customer", customer->id}, {"amount", 700}, {"currency", "usd"}}));
  FormParams params = FormParams::object();
  params["customer"] = customer->id;
  params["collection_method"] = "send_invoice";
  params["days_until_due"] = 30;
  params["pending_invoice_items_behavior"] = "include";
  params["payment_settings"]["payment_method_types"] = FormParams::array({"card"});
  auto draft = c.create_invoice("test:send:invoice:create", params);
  ASSERT_TRUE(draft) << draft.error().message;
  auto edited = c.update_invoice(draft->id, "test:send:invoice:update", {{"description", "Thanks!"}});
  ASSERT_TRUE(edited) << edited.error().message;
  ASSERT_TRUE(c.finalize_invoice(draft->id, "test:send:invoice:finalize"));
  auto sent = c.send_invoice(draft->id, "test:send:invoice:send");
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent->status, "open");
  EXPECT_TRUE(sent->due_date);
}

TEST_F(SandboxTest, QuoteFlowCreatesTheInvoice) {
  Client c = client();
  auto customer = c.create_customer("test:quote:customer", {{"name", "Quote Co"}});
  ASSERT_TRUE(customer) << customer.error().message;
  auto product = c.create_product("test:quote:product", {{"name", "Implementation package"}});
  ASSERT_TRUE(product) << product.error().message;
  auto price = c.create_price("test:quote:price", {{"product", product->id}, {"unit_amount", 120000}, {"currency", "usd"}});
  ASSERT_TRUE(price) << price.error().message;
  EXPECT_EQ(price->unit_amount, 120000);

  FormParams params = FormParams::object();
  params["customer"] = customer->id;
  params["line_items"] = FormParams::array({{{"price", price->id}, {"quantity", 2}}});
  params["metadata"]["settleQuoteId"] = "quo_1";
  auto quote = c.create_quote("test:quote:create", params);
  ASSERT_TRUE(quote) << quote.error().message;
  EXPECT_EQ(quote->status, "draft");
  EXPECT_EQ(quote->amount_total, 240000);
  ASSERT_TRUE(c.update_quote(quote->id, "test:quote:update", {{"description", "Phase 1"}}));

  auto finalized = c.finalize_quote(quote->id, "test:quote:finalize");
  ASSERT_TRUE(finalized) << finalized.error().message;
  EXPECT_EQ(finalized->status, "open");
  auto pdf = c.quote_pdf(quote->id);
  ASSERT_TRUE(pdf) << pdf.error().message;
  EXPECT_EQ(pdf->substr(0, 5), "%PDF-");

  auto accepted = c.accept_quote(quote->id, "test:quote:accept");
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->status, "accepted");
  ASSERT_TRUE(accepted->invoice);
  auto invoice = c.retrieve_invoice(*accepted->invoice);
  ASSERT_TRUE(invoice) << invoice.error().message;
  EXPECT_EQ(invoice->quote, quote->id);  // parent.quote_details.quote
  EXPECT_EQ(invoice->total, 240000);

  auto other = c.create_quote("test:quote2:create", params);
  ASSERT_TRUE(other);
  auto canceled = c.cancel_quote(other->id, "test:quote2:cancel");
  ASSERT_TRUE(canceled) << canceled.error().message;
  EXPECT_EQ(canceled->status, "canceled");

  auto listed = c.list_quotes({{"customer", customer->id}}, page(1));
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->data.size(), 1u);
  EXPECT_TRUE(listed->has_more);
  auto next = c.list_quotes({{"customer", customer->id}}, page(1, listed->data[0].id));
  ASSERT_TRUE(next) << next.error().message;
  ASSERT_EQ(next->data.size(), 1u);
  EXPECT_NE(next->data[0].id, listed->data[0].id);
}

TEST_F(SandboxTest, EventsListedAndRetrieved) {
  Client c = client();
  Invoice invoice = open_invoice(c, "events", 900);
  ASSERT_TRUE(c.pay_invoice(invoice.id, "test:events:invoice:pay", {{"payment_method", "pm_card_visa"}}));

  EventQuery query;
  query.created_gte = invoice.created - 60;
  query.types = {"invoice.paid"};
  query.page = page(10);
  auto events = c.list_events(query);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->data.size(), 1u);
  const Event& paid = events->data[0];
  EXPECT_EQ(paid.type, "invoice.paid");
  EXPECT_EQ(paid.object_id, invoice.id);
  auto object = parse_invoice(paid.object);
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(object->status, "paid");

  EventQuery everything;
  everything.page = page(100);
  auto all = c.list_events(everything);
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_GT(all->data.size(), 3u);
  for (std::size_t i = 1; i < all->data.size(); ++i) EXPECT_GE(all->data[i - 1].created, all->data[i].created);

  auto one = c.retrieve_event(paid.id);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->id, paid.id);
}

// A loopback HTTP server standing in for Settle's webhook route: keeps every request.
class WebhookReceiver {
 public:
  WebhookReceiver()
      : server_(loopback_any_port(), [this](net::Request& r) {
          {
            std::lock_guard lock(mu_);
            received_.push_back(r);
          }
          cv_.notify_all();
          return net::Response::json(200, "{}");
        }) {
    server_.start();
  }
  ~WebhookReceiver() { server_.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/webhooks/stripe"; }
  std::optional<net::Request> wait_for_first(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !received_.empty(); })) return std::nullopt;
    return received_.front();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<net::Request> received_;
  net::Server server_;
};

TEST_F(SandboxTest, WebhookEndpointsAndTheirSignaturesVerify) {
  Client c = client();
  WebhookReceiver receiver;
  FormParams params = FormParams::object();
  params["url"] = receiver.url();
  params["enabled_events"] = FormParams::array({"customer.created"});
  params["api_version"] = std::string(kApiVersion);
  auto endpoint = c.create_webhook_endpoint("test:webhook:create", params);
  ASSERT_TRUE(endpoint) << endpoint.error().message;
  ASSERT_TRUE(endpoint->secret);
  EXPECT_EQ(endpoint->secret->rfind("whsec_", 0), 0u);
  EXPECT_EQ(endpoint->enabled_events, std::vector<std::string>{"customer.created"});

  auto customer = c.create_customer("test:webhook:customer", {{"name", "Hooked"}});
  ASSERT_TRUE(customer);
  auto delivery = receiver.wait_for_first(15s);
  ASSERT_TRUE(delivery) << "the sandbox delivered no webhook";

  // The sandbox signs with its own code; ours must accept it, under rotation too.
  const std::string header(delivery->header("stripe-signature"));
  std::vector<std::string> secrets{"whsec_old_rotated_out", *endpoint->secret};
  auto verified = check_signature(delivery->body, header, secrets);
  ASSERT_TRUE(verified) << to_string(verified.error()) << " header=" << header;
  EXPECT_EQ(verified->secret_index, 1u);
  std::vector<std::string> wrong{"whsec_not_the_secret"};
  EXPECT_EQ(check_signature(delivery->body, header, wrong).error(), SignatureFailure::NoMatchingSignature);
  EXPECT_EQ(check_signature(delivery->body + "\n", header, secrets).error(), SignatureFailure::NoMatchingSignature);

  auto event = parse_event(nlohmann::json::parse(delivery->body));
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_EQ(event->type, "customer.created");
  EXPECT_EQ(event->object_id, customer->id);

  auto listed = c.list_webhook_endpoints();
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->data.size(), 1u);
  EXPECT_EQ(listed->data[0].secret, std::nullopt);  // shown only at creation
  auto deleted = c.delete_webhook_endpoint(endpoint->id);
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(c.list_webhook_endpoints()->data.size(), 0u);
}

// ---- Retries ----------------------------------------------------------------------------

TEST_F(SandboxTest, RetriesServerErrorsAndSucceeds) {
  Client c = client();
  inject({{"fail", {{"status", 500}, {"count", 2}, {"path", "/v1/customers"}}}});
  auto answer = c.send("POST", "/v1/customers", {{"name", "Retry Co"}}, idempotent("test:retry500:create"));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->attempts, 3);
  EXPECT_EQ(answer->status, 200);
}

TEST_F(SandboxTest, RetriesRateLimitHonouringRetryAfter) {
  Client c = client();
  inject({{"fail", {{"status", 429}, {"count", 1}, {"path", "/v1/customers"}}}});
  const auto start = std::chrono::steady_clock::now();
  auto answer = c.send("GET", "/v1/customers/search", {{"query", metadata_query("x", "y")}});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->attempts, 2);
  EXPECT_GE(elapsed, 1s) << "the sandbox's Retry-After: 1 was not honoured";
}

TEST_F(SandboxTest, RetryAfterBeyondThePolicyEndsRetrying) {
  ClientConfig cfg = config();
  cfg.retry.max_retry_after = 0s;  // the sandbox asks for 1 s
  Client c = client(cfg);
  inject({{"fail", {{"status", 429}, {"count", 1}, {"path", "/v1/customers"}}}});
  auto answer = c.retrieve_customer("cus_whatever");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::Upstream);
  EXPECT_EQ(answer.error().details["attempts"], 1);
  EXPECT_EQ(answer.error().details["stripe"]["status"], 429);
}

TEST_F(SandboxTest, ExhaustedRetriesReportUpstream) {
  ClientConfig cfg = config();
  cfg.retry.max_retries = 2;
  Client c = client(cfg);
  inject({{"fail", {{"status", 503}, {"count", 10}, {"path", "/v1/invoices"}}}});
  auto answer = c.create_invoice("test:exhausted:create", {{"customer", "cus_1"}});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::Upstream);
  EXPECT_EQ(answer.error().message, "Stripe is having problems (HTTP 503); try again later");
  EXPECT_EQ(answer.error().details["attempts"], 3);
  EXPECT_EQ(answer.error().details["stripe"]["status"], 503);
  EXPECT_NE(answer.error().log.find("POST /v1/invoices"), std::string::npos) << answer.error().log;
}

TEST_F(SandboxTest, TimeoutIsRetriedAndReplaysTheFirstAnswer) {
  ClientConfig cfg = config();
  cfg.timeout_ms = 400;
  Client c = client(cfg);
  inject({{"timeout", {{"seconds", 2}, {"count", 1}, {"path", "/v1/customers"}}}});
  FormParams params = FormParams::object();
  params["name"] = "Slow Co";
  params["metadata"]["settleCompanyId"] = "co_slow";
  auto answer = c.send("POST", "/v1/customers", params, idempotent("test:timeout:create"));
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(answer->attempts, 2);
  // The first attempt was executed before its answer was held back: the retry gets the
  // stored answer, and there is one customer.
  EXPECT_TRUE(answer->idempotent_replay);
  auto found = c.search_customers(metadata_query("settleCompanyId", "co_slow"));
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->data.size(), 1u);
}

TEST_F(SandboxTest, TimeoutWithoutRetriesReportsUpstream) {
  ClientConfig cfg = config();
  cfg.timeout_ms = 300;
  cfg.retry.max_retries = 0;
  Client c = client(cfg);
  inject({{"timeout", {{"seconds", 2}, {"count", 1}, {"path", "/v1/customers"}}}});
  auto answer = c.retrieve_customer("cus_x");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::Upstream);
  EXPECT_EQ(answer.error().message, "Stripe did not answer in time; try again");
  EXPECT_EQ(answer.error().details["timeout"], true);
  EXPECT_EQ(answer.error().details["attempts"], 1);
}

TEST_F(SandboxTest, UnreachableStripeIsRetriedThenUpstream) {
  ClientConfig cfg = config();
  // A port that was just free: nothing listens on it.
  {
    net::Server probe(loopback_any_port(), [](net::Request&) { return net::Response{}; });
    probe.start();
    cfg.api_base = "http://127.0.0.1:" + std::to_string(probe.port());
    probe.stop();
  }
  cfg.retry.max_retries = 1;
  Client c = client(cfg);
  auto answer = c.retrieve_customer("cus_x");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::Upstream);
  EXPECT_EQ(answer.error().message, "Stripe could not be reached; try again");
  EXPECT_EQ(answer.error().details["attempts"], 2);
}

// ---- The key stays secret ------------------------------------------------------------

TEST_F(SandboxTest, ApiKeyNeverAppearsInErrorsOrLogs) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));

  std::vector<Error> errors;
  // A live key: the sandbox refuses it with 401 (and echoes part of it, as Stripe does).
  ClientConfig live = config();
  live.api_key = "sk_live_" + random_id("").substr(0, 24);
  {
    Client c = client(live);
    auto refused = c.create_customer("test:leak:live", {{"name", "x"}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Upstream);
    EXPECT_EQ(refused.error().message, "Stripe rejected the API key");
    errors.push_back(refused.error());
  }
  // Retries (logged) and exhausted retries, a decline, a missing object, a timeout.
  ClientConfig test = config();
  test.retry.max_retries = 2;
  test.timeout_ms = 300;
  Client c = client(test);
  inject({{"fail", {{"status", 500}, {"count", 3}, {"path", "/v1/customers"}}}});
  errors.push_back(c.retrieve_customer("cus_1").error());
  Invoice invoice = open_invoice(c, "leak", 100);
  errors.push_back(c.pay_invoice(invoice.id, "test:leak:pay", {{"payment_method", "pm_card_chargeDeclined"}}).error());
  errors.push_back(c.retrieve_invoice("in_missing").error());
  inject({{"timeout", {{"seconds", 1}, {"count", 3}, {"path", "/v1/invoices"}}}});
  errors.push_back(c.retrieve_invoice(invoice.id).error());
  clear_faults();

  spdlog::set_default_logger(previous);
  ASSERT_EQ(errors.size(), 5u);
  for (const auto& [key, e] : {std::pair{live.api_key, errors[0]}, {test.api_key, errors[1]}, {test.api_key, errors[2]},
                               {test.api_key, errors[3]}, {test.api_key, errors[4]}}) {
    EXPECT_FALSE(e.message.empty());
    EXPECT_EQ(e.message.find(key), std::string::npos) << e.message;
    EXPECT_EQ(e.log.find(key), std::string::npos) << e.log;
    EXPECT_EQ(e.details.dump().find(key), std::string::npos) << e.details.dump();
    // Not even the key's secret part after the prefix.
    EXPECT_EQ(e.log.find(key.substr(8, 12)), std::string::npos) << e.log;
  }
  const std::string log = captured.str();
  EXPECT_NE(log.find("retry"), std::string::npos) << "expected retries to be logged:\n" << log;
  EXPECT_EQ(log.find(test.api_key), std::string::npos) << log;
  EXPECT_EQ(log.find(live.api_key), std::string::npos) << log;
  EXPECT_EQ(log.find(test.api_key.substr(8)), std::string::npos) << log;
}

}  // namespace
}  // namespace settle::stripe
