// End-to-end suite of the CRM <-> Stripe sync: a real Settle server and the Stripe sandbox,
// both over loopback HTTP, on SQLite and PostgreSQL. The customer's side (accepting a quote,
// paying an invoice) is done on the sandbox's hosted pages, as a browser would post them;
// Stripe's own view is read back through its API and compared with the CRM's.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "harness.hpp"
#include "sandbox/sandbox.hpp"

namespace settle::testing {
namespace {

using namespace std::chrono_literals;

class StripeSyncTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // A sandbox per test: its faults are global to it.
    sandbox = std::make_unique<sandbox::Sandbox>(sandbox::Options{"127.0.0.1", 0, ""});
    sandbox->start();
    sandbox_base = "http://127.0.0.1:" + std::to_string(sandbox->port());
    srv = std::make_unique<TestServer>(GetParam(), sandbox_base);
    auto ws = srv->accounts->create_workspace("Phos Industries", "phos", "admin@phos-ind.com", std::string("pw-123456789"));
    ASSERT_TRUE(ws);
    key = ws->api_key;
    workspace_id = ws->workspace_id;
    sk = "sk_test_" + random_id("").substr(0, 24);
    auto saved = call("PUT", "/rest/settings/stripe",
                      {{"mode", "test"}, {"secretKey", sk}, {"publishableKey", "pk_test_" + random_id("").substr(0, 24)}});
    ASSERT_EQ(saved.status, 200) << saved.raw;
    auto endpoint = call("POST", "/rest/stripe/webhook-endpoint", {{"url", srv->base() + "/api/webhooks/stripe/phos"}});
    ASSERT_EQ(endpoint.status, 201) << endpoint.raw;

    company = create("companies", {{"name", "Lumen Clinics"}, {"domainName", "lumen-clinics.com"}})["id"];
    create("people", {{"firstName", "Ada"}, {"lastName", "Byrne"}, {"email", "ada@lumen-clinics.com"}, {"companyId", company}});
    product = create("products", {{"name", "Fractional CO2 laser"}, {"unitAmount", 4250000}, {"currency", "USD"}})["id"];
  }
  void TearDown() override {
    srv.reset();
    sandbox->stop();
  }

  Reply call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return srv->call(method, path, body, key);
  }
  json create(const std::string& object, const json& body) {
    auto r = call("POST", "/rest/" + object, body);
    EXPECT_EQ(r.status, 201) << object << " " << r.raw;
    return r.body["data"];
  }
  json get(const std::string& object, const std::string& id) {
    auto r = call("GET", "/rest/" + object + "/" + id);
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["data"];
  }
  Reply act(const std::string& object, const std::string& id, const std::string& action) {
    return call("POST", "/rest/" + object + "/" + id + "/" + action, json::object());
  }
  json list(const std::string& object, const std::string& filter) {
    auto r = call("GET", "/rest/" + object + "?filter=" + net::url_encode(filter) + "&limit=100");
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["data"];
  }

  // Stripe's side, read and driven as the account's owner (secret key) or the customer.
  json stripe(const std::string& method, const std::string& path, const std::string& form = {}) {
    net::ClientRequest req;
    req.method = method;
    req.url = sandbox_base + path;
    req.headers.emplace_back("Authorization", "Bearer " + sk);
    if (!form.empty()) {
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      req.body = form;
    }
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    return json::parse(r->body, nullptr, false);
  }
  int post_page(const std::string& path, const std::string& form) {
    net::ClientRequest req;
    req.method = "POST";
    req.url = sandbox_base + path;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = form;
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    return r->status;
  }
  json control(const std::string& method, const std::string& path, const json& body = nullptr) {
    net::ClientRequest req;
    req.method = method;
    req.url = sandbox_base + path;
    if (!body.is_null()) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = body.dump();
    }
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    return json::parse(r->body, nullptr, false);
  }

  // Polls a record until `done` holds (webhooks are applied asynchronously).
  json wait_for(const std::string& object, const std::string& id, const std::function<bool(const json&)>& done,
                const std::string& what, std::chrono::seconds limit = 20s) {
    auto until = std::chrono::steady_clock::now() + limit;
    json record;
    while (std::chrono::steady_clock::now() < until) {
      record = get(object, id);
      if (done(record)) return record;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "timed out waiting for " << what << "; last: " << record.dump();
    return record;
  }
  json wait_status(const std::string& object, const std::string& id, const std::string& status) {
    return wait_for(object, id, [&](const json& r) { return r["status"] == status; }, object + " " + status);
  }
  // Waits until the sandbox has no delivery pending or held back.
  void wait_deliveries_done(std::chrono::seconds limit = 20s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      json counts = control("GET", "/_sandbox/webhooks/deliveries?limit=1")["counts"];
      if (counts["pending"] == 0 && counts["held"] == 0) return;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "the sandbox still has deliveries in flight";
  }
  // Waits until no stored event is due any more and the workflow runs they started have
  // ended (everything delivered has been applied).
  void wait_inbox_settled(std::chrono::seconds limit = 20s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      auto events = call("GET", "/rest/stripe/events?limit=200").body["data"];
      bool pending = false;
      for (const auto& e : events) pending = pending || e["status"] == "pending";
      if (!pending &&
          count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND status IN ('RUNNING', 'WAITING')") == 0)
        return;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "inbox did not settle";
  }
  std::string builtin(const std::string& builtin_key) { return builtin_workflow_id(*srv, key, builtin_key); }
  json runs_of(const std::string& workflow_id) {
    return call("GET", "/rest/workflow-runs?workflowId=" + workflow_id + "&limit=100").body["data"];
  }
  void set_active(const std::string& workflow_id, bool active) {
    json w = call("GET", "/rest/workflows/" + workflow_id).body["data"];
    std::string version = active ? w["versions"][0]["id"] : w["activeVersionId"];
    auto r = call("POST", "/rest/workflow-versions/" + version + (active ? "/activate" : "/deactivate"));
    ASSERT_EQ(r.status, 200) << r.raw;
  }

  // A quote with a catalogue line, a free-text line and tax: 2 x 42,500.00 + 1,800.00 + 6,946.00 tax.
  json draft_quote() {
    return create("quotes", {{"companyId", company},
                             {"currency", "USD"},
                             {"taxAmount", 694600},
                             {"lineItems",
                              {{{"productId", product}, {"quantity", 2}},
                               {{"description", "On-site training (2 days)"}, {"quantity", 1}, {"unitAmount", 180000}}}}});
  }
  // An Open invoice with its Stripe invoice, not made from a quote.
  json open_invoice(std::int64_t unit = 125000) {
    json inv = create("invoices", {{"companyId", company},
                                   {"currency", "USD"},
                                   {"taxAmount", 10000},
                                   {"lineItems", {{{"description", "Annual service plan"}, {"quantity", 1}, {"unitAmount", unit}}}}});
    auto r = act("invoices", inv["id"], "finalize");
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body["data"];
  }
  std::string hosted_path(const json& invoice) {
    std::string url = invoice["stripeInvoiceUrl"];
    return url.substr(sandbox_base.size());
  }
  int pay_card(const json& invoice, const std::string& card) {
    return post_page(hosted_path(invoice) + "/pay", "card_number=" + card);
  }
  std::int64_t count(const std::string& sql) {
    auto n = srv->db->read<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      return store::RowView(tx.query(sql, {{"ws", workspace_id}}), 0).integer("n");
    });
    return n ? *n : -1;
  }

  std::unique_ptr<sandbox::Sandbox> sandbox;
  std::string sandbox_base;
  std::unique_ptr<TestServer> srv;
  std::string key, workspace_id, sk, company, product;
};

TEST_P(StripeSyncTest, QuoteToPaidAndRefundedInvoiceMatchesStripe) {
  json quote = draft_quote();
  ASSERT_EQ(quote["total"], 2 * 4250000 + 180000 + 694600);
  auto finalized = act("quotes", quote["id"], "finalize");
  ASSERT_EQ(finalized.status, 200) << finalized.raw;
  quote = finalized.body["data"];
  EXPECT_EQ(quote["status"], "Open");
  EXPECT_EQ(quote["stripeSyncStatus"], "synced");
  ASSERT_TRUE(quote["stripeQuoteId"].is_string());
  EXPECT_EQ(quote["stripeQuoteUrl"], sandbox_base + "/hosted/quotes/" + quote["stripeQuoteId"].get<std::string>());
  std::string customer = get("companies", company)["stripeCustomerId"];
  EXPECT_EQ(quote["stripeCustomerId"], customer);

  json sq = stripe("GET", "/v1/quotes/" + quote["stripeQuoteId"].get<std::string>());
  EXPECT_EQ(sq["status"], "open");
  EXPECT_EQ(sq["amount_total"], quote["total"]);
  EXPECT_EQ(sq["metadata"]["settleQuoteId"], quote["id"]);
  EXPECT_EQ(sq["customer"], customer);
  json sq_lines = stripe("GET", "/v1/quotes/" + quote["stripeQuoteId"].get<std::string>() + "/line_items");
  EXPECT_EQ(sq_lines["data"].size(), 3u) << "two lines and tax";
  json catalogue = get("products", product);
  ASSERT_TRUE(catalogue["stripeProductId"].is_string());
  json price = stripe("GET", "/v1/prices/" + catalogue["stripePriceId"].get<std::string>());
  EXPECT_EQ(price["unit_amount"], 4250000);
  EXPECT_EQ(price["product"], catalogue["stripeProductId"]);
  json sc = stripe("GET", "/v1/customers/" + customer);
  EXPECT_EQ(sc["metadata"]["settleCompanyId"], company);
  EXPECT_EQ(sc["email"], "ada@lumen-clinics.com");
  auto pdf = call("GET", "/rest/quotes/" + quote["id"].get<std::string>() + "/pdf");
  EXPECT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.raw.rfind("%PDF", 0), 0u);
  EXPECT_NE(pdf.raw.find("Settle"), std::string::npos) << "Settle's own PDF (its creator)";
  auto stripe_pdf = call("GET", "/rest/quotes/" + quote["id"].get<std::string>() + "/stripe-pdf");
  EXPECT_EQ(stripe_pdf.status, 200);
  EXPECT_EQ(stripe_pdf.raw.rfind("%PDF", 0), 0u);
  EXPECT_NE(stripe_pdf.raw, pdf.raw);

  // The customer accepts on Stripe's page: the webhook makes the order, once.
  ASSERT_EQ(post_page("/hosted/quotes/" + quote["stripeQuoteId"].get<std::string>() + "/accept", ""), 200);
  quote = wait_for("quotes", quote["id"], [](const json& q) { return q["orderId"].is_string(); }, "the order");
  EXPECT_EQ(quote["status"], "Accepted");
  json order = get("orders", quote["orderId"]);
  EXPECT_EQ(order["status"], "Pending Fulfillment");
  EXPECT_EQ(order["totalAmount"], quote["total"]);
  std::string quote_invoice = stripe("GET", "/v1/quotes/" + quote["stripeQuoteId"].get<std::string>())["invoice"];
  EXPECT_EQ(order["stripeInvoiceId"], quote_invoice);
  EXPECT_EQ(stripe("GET", "/v1/invoices/" + quote_invoice)["auto_advance"], false) << "held until Settle invoices";
  wait_inbox_settled();
  EXPECT_EQ(list("orders", "quoteId[eq]:" + quote["id"].get<std::string>()).size(), 1u);

  ASSERT_EQ(act("orders", order["id"], "start").status, 200);
  ASSERT_EQ(act("orders", order["id"], "fulfill").status, 200);
  auto converted = act("orders", order["id"], "invoice");
  ASSERT_EQ(converted.status, 200) << converted.raw;
  json invoice = converted.body["data"];
  EXPECT_EQ(invoice["stripeInvoiceId"], quote_invoice);
  auto sent = act("invoices", invoice["id"], "finalize");
  ASSERT_EQ(sent.status, 200) << sent.raw;
  invoice = sent.body["data"];
  EXPECT_EQ(invoice["status"], "Open");
  EXPECT_EQ(invoice["stripeInvoiceId"], quote_invoice) << "Stripe's invoice for the quote is adopted";
  EXPECT_EQ(invoice["stripeSyncStatus"], "synced");
  EXPECT_TRUE(invoice["invoiceNumber"].is_string());
  EXPECT_EQ(get("orders", order["id"])["status"], "Invoiced");
  json si = stripe("GET", "/v1/invoices/" + quote_invoice);
  EXPECT_EQ(si["status"], "open");
  EXPECT_EQ(si["total"], invoice["total"]);
  EXPECT_EQ(si["collection_method"], "send_invoice");
  EXPECT_EQ(si["metadata"]["settleInvoiceId"], invoice["id"]);
  EXPECT_EQ(si["hosted_invoice_url"], invoice["stripeInvoiceUrl"]);
  EXPECT_EQ(si["payment_settings"]["payment_method_types"], json({"card", "us_bank_account"}));
  json lines = stripe("GET", "/v1/invoices/" + quote_invoice + "/lines");
  ASSERT_EQ(lines["data"].size(), 3u);
  EXPECT_EQ(lines["data"][1]["description"], "On-site training (2 days)");
  EXPECT_EQ(lines["data"][2]["description"], "Tax");
  EXPECT_EQ(lines["data"][2]["amount"], 694600);
  EXPECT_EQ(stripe("GET", "/v1/invoices?customer=" + customer)["data"].size(), 1u) << "no second Stripe invoice";

  // The payment link goes to Stripe's page.
  auto link = call("POST", "/rest/invoices/" + invoice["id"].get<std::string>() + "/payment-link", json::object());
  ASSERT_EQ(link.status, 200) << link.raw;
  std::string url = link.body["data"]["url"];
  ASSERT_EQ(url.rfind("https://crm.example.com/pay/", 0), 0u) << url;
  auto again = call("POST", "/rest/invoices/" + invoice["id"].get<std::string>() + "/payment-link", json::object());
  EXPECT_EQ(again.body["data"]["url"], url) << "the same link while it is valid";
  EXPECT_EQ(get("invoices", invoice["id"])["stripePaymentLink"], url);
  net::ClientRequest open;
  open.url = srv->base() + url.substr(std::string("https://crm.example.com").size());
  auto opened = net::perform(open);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->status, 303);
  bool redirected = false;
  for (auto& [k, v] : opened->headers) redirected = redirected || (k == "location" && v == invoice["stripeInvoiceUrl"]);
  EXPECT_TRUE(redirected);

  // Paid by card on the hosted page.
  ASSERT_EQ(pay_card(invoice, "4242424242424242"), 200);
  invoice = wait_status("invoices", invoice["id"], "Paid");
  EXPECT_EQ(invoice["amountPaid"], invoice["total"]);
  EXPECT_EQ(invoice["amountDue"], 0);
  json payments = list("payments", "invoiceId[eq]:" + invoice["id"].get<std::string>());
  ASSERT_EQ(payments.size(), 1u);
  EXPECT_EQ(payments[0]["amount"], invoice["total"]);
  EXPECT_EQ(payments[0]["method"], "card");
  EXPECT_EQ(payments[0]["kind"], "payment");
  EXPECT_TRUE(payments[0]["stripePaymentIntentId"].is_string());
  EXPECT_TRUE(payments[0]["stripeChargeId"].is_string());
  EXPECT_EQ(stripe("GET", "/v1/invoices/" + quote_invoice)["status"], "paid");
  // A paid invoice's link says so instead of sending the customer to pay again.
  auto settled = net::perform(open);
  EXPECT_EQ(settled->status, 200);
  EXPECT_NE(settled->body.find("nothing left to pay"), std::string::npos);

  // Refunds made in Stripe's dashboard come back: partial, then the rest.
  std::string intent = payments[0]["stripePaymentIntentId"];
  json refund = stripe("POST", "/v1/refunds", "payment_intent=" + intent + "&amount=500000");
  ASSERT_EQ(refund["status"], "succeeded") << refund.dump();
  invoice = wait_status("invoices", invoice["id"], "Partially Refunded");
  EXPECT_EQ(invoice["amountRefunded"], 500000);
  stripe("POST", "/v1/refunds", "payment_intent=" + intent);
  invoice = wait_status("invoices", invoice["id"], "Refunded");
  EXPECT_EQ(invoice["amountRefunded"], invoice["total"]);
  wait_inbox_settled();
  json refunds = list("payments", "invoiceId[eq]:" + invoice["id"].get<std::string>() + ",kind[eq]:refund");
  ASSERT_EQ(refunds.size(), 2u);
  std::set<std::string> refund_ids;
  for (const auto& r : refunds) refund_ids.insert(r["stripeRefundId"].get<std::string>());
  EXPECT_EQ(refund_ids.size(), 2u);
  EXPECT_EQ(stripe("GET", "/v1/charges/" + payments[0]["stripeChargeId"].get<std::string>())["amount_refunded"],
            invoice["total"]);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM stripe_events WHERE workspace_id = :ws AND status = 'failed'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND status <> 'COMPLETED'"), 0);
}

// The pipeline is WF-001 ... WF-007: each step of it shows as a run of its workflow, and a
// workflow deactivated turns its part off until it is active again.
TEST_P(StripeSyncTest, ThePipelineRunsAsTheBuiltInWorkflows) {
  json quote = draft_quote();
  ASSERT_EQ(act("quotes", quote["id"], "finalize").status, 200);
  json wf001 = runs_of(builtin("WF-001"));
  ASSERT_EQ(wf001.size(), 1u) << wf001.dump();
  EXPECT_EQ(wf001[0]["status"], "COMPLETED");
  json run = call("GET", "/rest/workflow-runs/" + wf001[0]["id"].get<std::string>()).body["data"];
  EXPECT_EQ(run["steps"][0]["output"]["stripeQuoteId"], get("quotes", quote["id"])["stripeQuoteId"]);

  std::string sq = get("quotes", quote["id"])["stripeQuoteId"];
  ASSERT_EQ(post_page("/hosted/quotes/" + sq + "/accept", ""), 200);
  quote = wait_for("quotes", quote["id"], [](const json& q) { return q["orderId"].is_string(); }, "the order");
  wait_inbox_settled();
  bool accepted = false;
  for (const auto& r : runs_of(builtin("WF-002"))) {
    json detail = call("GET", "/rest/workflow-runs/" + r["id"].get<std::string>()).body["data"];
    if (detail["trigger"]["event"]["type"] == "quote.accepted") {
      accepted = true;
      EXPECT_EQ(detail["status"], "COMPLETED") << detail.dump();
      EXPECT_EQ(detail["steps"][0]["output"]["recordId"], quote["id"]) << detail.dump();
    }
  }
  EXPECT_TRUE(accepted) << "WF-002 applied quote.accepted";
  // The inbox names the run it handed each event to.
  bool named = false;
  json events = call("GET", "/rest/stripe/events?limit=200").body["data"];
  for (const auto& e : events)
    if (e["type"] == "quote.accepted")
      named = e["outcome"].get<std::string>().find("Turn accepted Stripe quotes into orders") != std::string::npos;
  EXPECT_TRUE(named) << events.dump();

  // WF-006 off: a payment at Stripe is not followed, and the event says why.
  std::string wf006 = builtin("WF-006");
  set_active(wf006, false);
  json invoice = open_invoice();
  EXPECT_EQ(runs_of(builtin("WF-005")).size(), 1u);
  ASSERT_EQ(pay_card(invoice, "4242424242424242"), 200);
  wait_deliveries_done();
  wait_inbox_settled();
  EXPECT_EQ(get("invoices", invoice["id"])["status"], "Open");
  json missed = json::array();
  events = call("GET", "/rest/stripe/events?limit=200").body["data"];
  for (const auto& e : events)
    if (e["type"] == "invoice.paid" && e["status"] == "ignored" && e["outcome"] == "no active workflow handles invoice.paid")
      missed.push_back(e);
  ASSERT_FALSE(missed.empty());
  // On again, the missed event retried: Paid, with its payment, once.
  set_active(wf006, true);
  auto retried = call("POST", "/rest/stripe/events/" + missed[0]["id"].get<std::string>() + "/retry", json::object());
  ASSERT_EQ(retried.status, 200) << retried.raw;
  invoice = wait_status("invoices", invoice["id"], "Paid");
  wait_inbox_settled();
  EXPECT_EQ(list("payments", "invoiceId[eq]:" + invoice["id"].get<std::string>()).size(), 1u);

  // WF-005 off: an invoice is finalized here only.
  set_active(builtin("WF-005"), false);
  json local = create("invoices", {{"companyId", company},
                                   {"currency", "USD"},
                                   {"lineItems", {{{"description", "Filters"}, {"quantity", 1}, {"unitAmount", 9000}}}}});
  auto finalized = act("invoices", local["id"], "finalize");
  ASSERT_EQ(finalized.status, 200) << finalized.raw;
  EXPECT_EQ(finalized.body["data"]["status"], "Open");
  EXPECT_TRUE(finalized.body["data"]["stripeInvoiceId"].is_null()) << finalized.raw;
}

// The follow-up of a failure is the built-in workflow WF-007's: a task for the invoice's
// owner and an email to the billing contact (the company's primary contact).
TEST_P(StripeSyncTest, ADeclinedCardIsPaymentFailedWithATaskThenASecondCardPays) {
  json people = list("people", "email[eq]:\"ada@lumen-clinics.com\"");
  ASSERT_EQ(people.size(), 1u);
  ASSERT_EQ(call("PATCH", "/rest/companies/" + company, {{"primaryContactId", people[0]["id"]}}).status, 200);
  json invoice = open_invoice();
  ASSERT_EQ(invoice["status"], "Open");
  EXPECT_EQ(pay_card(invoice, "4000000000000002"), 402);
  invoice = wait_status("invoices", invoice["id"], "Payment Failed");
  json tasks;
  for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
    tasks = list("tasks", "targetId[eq]:" + invoice["id"].get<std::string>());
    if (!tasks.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["title"], "Payment failed: invoice " + invoice["invoiceNumber"].get<std::string>());
  EXPECT_EQ(tasks[0]["assigneeId"], invoice["createdBy"]);
  EXPECT_NE(tasks[0]["body"].get<std::string>().find(invoice["stripeInvoiceUrl"].get<std::string>()), std::string::npos);
  Result<store::Rows> mails = store::Rows{};
  for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
    mails = srv->db->read<store::Rows>([&](store::Tx& tx) -> Result<store::Rows> {
      return tx.query("SELECT recipient, subject, body FROM outbox WHERE workspace_id = :ws AND kind = 'payment_failed'",
                      {{"ws", workspace_id}});
    });
    if (!mails || !mails->empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(mails) << mails.error().log;
  ASSERT_EQ(mails->size(), 1u);
  store::RowView mail(*mails, 0);
  EXPECT_EQ(mail.text("recipient"), "ada@lumen-clinics.com");
  EXPECT_EQ(mail.text("subject"), "Payment for invoice " + invoice["invoiceNumber"].get<std::string>() + " failed");
  EXPECT_NE(mail.text("body").find(invoice["stripeInvoiceUrl"].get<std::string>()), std::string::npos) << mail.text("body");
  EXPECT_NE(mail.text("body").find("Hello Ada"), std::string::npos) << mail.text("body");
  ASSERT_EQ(pay_card(invoice, "4242424242424242"), 200);
  invoice = wait_status("invoices", invoice["id"], "Paid");
  wait_inbox_settled();
  EXPECT_EQ(list("payments", "invoiceId[eq]:" + invoice["id"].get<std::string>()).size(), 1u);
  EXPECT_EQ(list("tasks", "targetId[eq]:" + invoice["id"].get<std::string>()).size(), 1u) << "one task per failure";
}

TEST_P(StripeSyncTest, APartialPaymentThenTheRestAreExact) {
  json invoice = open_invoice();
  std::int64_t total = invoice["total"];
  std::string sid = invoice["stripeInvoiceId"];
  json customer = stripe("GET", "/v1/invoices/" + sid)["customer"];
  json pi = stripe("POST", "/v1/payment_intents",
                   "amount=40000&currency=usd&confirm=true&payment_method=pm_card_visa&customer=" + customer.get<std::string>());
  ASSERT_EQ(pi["status"], "succeeded") << pi.dump();
  json attached = stripe("POST", "/v1/invoices/" + sid + "/attach_payment", "payment_intent=" + pi["id"].get<std::string>());
  ASSERT_EQ(attached["amount_paid"], 40000) << attached.dump();
  invoice = wait_status("invoices", invoice["id"], "Partially Paid");
  EXPECT_EQ(invoice["amountPaid"], 40000);
  EXPECT_EQ(invoice["amountDue"], total - 40000);
  ASSERT_EQ(pay_card(invoice, "4242424242424242"), 200);
  invoice = wait_status("invoices", invoice["id"], "Paid");
  EXPECT_EQ(invoice["amountPaid"], total);
  wait_inbox_settled();
  json payments = list("payments", "invoiceId[eq]:" + invoice["id"].get<std::string>());
  ASSERT_EQ(payments.size(), 2u);
  EXPECT_EQ(payments[0]["amount"].get<std::int64_t>() + payments[1]["amount"].get<std::int64_t>(), total);
}

TEST_P(StripeSyncTest, ABankDebitIsPaidWhenItSettles) {
  json invoice = open_invoice();
  ASSERT_EQ(post_page(hosted_path(invoice) + "/pay", "method=bank"), 200);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(get("invoices", invoice["id"])["status"], "Open") << "processing is not paid";
  control("POST", "/_sandbox/clock/advance", {{"seconds", 120}});
  invoice = wait_status("invoices", invoice["id"], "Paid");
  json payments = list("payments", "invoiceId[eq]:" + invoice["id"].get<std::string>());
  ASSERT_EQ(payments.size(), 1u);
  EXPECT_EQ(payments[0]["method"], "us_bank_account");
}

TEST_P(StripeSyncTest, StripeFailuresLeaveTheQuoteAsItWasAndARetryMakesOneStripeQuote) {
  json quote = draft_quote();
  // More failures than the client retries: the action fails, visibly, and changes nothing.
  control("POST", "/_sandbox/faults", {{"api", {{"fail", {{"status", 500}, {"count", 20}, {"path", "/v1/quotes"}}}}}});
  auto failed = act("quotes", quote["id"], "finalize");
  EXPECT_EQ(failed.status, 502) << failed.raw;
  EXPECT_NE(failed.body["error"]["message"].get<std::string>().find("Stripe"), std::string::npos) << failed.raw;
  json after = get("quotes", quote["id"]);
  EXPECT_EQ(after["status"], "Draft");
  EXPECT_EQ(after["stripeSyncStatus"], "failed");
  EXPECT_TRUE(after["stripeSyncError"].is_string());
  control("DELETE", "/_sandbox/faults");
  // A couple of 500s and a timeout: retried with the same idempotency keys.
  control("POST", "/_sandbox/faults",
          {{"api", {{"fail", {{"status", 500}, {"count", 2}, {"path", "/v1/quotes"}}},
                    {"timeout", {{"seconds", 4}, {"count", 1}, {"path", "/v1/quotes"}}}}}});
  auto retried = act("quotes", quote["id"], "finalize");
  ASSERT_EQ(retried.status, 200) << retried.raw;
  EXPECT_EQ(retried.body["data"]["status"], "Open");
  EXPECT_EQ(retried.body["data"]["stripeSyncStatus"], "synced");
  EXPECT_TRUE(retried.body["data"]["stripeSyncError"].is_null());
  std::string customer = get("companies", company)["stripeCustomerId"];
  EXPECT_EQ(stripe("GET", "/v1/quotes?customer=" + customer)["data"].size(), 1u);
  EXPECT_EQ(stripe("GET", "/v1/customers?limit=100")["data"].size(), 1u);
}

TEST_P(StripeSyncTest, InvoiceFinalizeSurvivesFailuresAndTimeoutsWithoutDuplicates) {
  json inv = create("invoices", {{"companyId", company},
                                 {"currency", "USD"},
                                 {"lineItems", {{{"description", "Calibration visit"}, {"quantity", 3}, {"unitAmount", 45000}}}}});
  control("POST", "/_sandbox/faults",
          {{"api", {{"fail", {{"status", 503}, {"count", 2}, {"path", "/v1/invoice"}}},
                    {"timeout", {{"seconds", 4}, {"count", 1}, {"path", "/v1/invoices"}}}}}});
  auto r = act("invoices", inv["id"], "finalize");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["data"]["status"], "Open");
  std::string customer = get("companies", company)["stripeCustomerId"];
  json invoices = stripe("GET", "/v1/invoices?customer=" + customer);
  ASSERT_EQ(invoices["data"].size(), 1u) << invoices.dump();
  json lines = stripe("GET", "/v1/invoices/" + invoices["data"][0]["id"].get<std::string>() + "/lines");
  EXPECT_EQ(lines["data"].size(), 1u);
  EXPECT_EQ(invoices["data"][0]["total"], 135000);
}

TEST_P(StripeSyncTest, DuplicatedReorderedAndDroppedWebhooksConvergeOnStripe) {
  // Every event delivered four times (two endpoints, each delivery sent twice), batches
  // reversed, and then some lost.
  auto second = call("POST", "/rest/stripe/webhook-endpoint", {{"url", srv->base() + "/api/webhooks/stripe"}});
  ASSERT_EQ(second.status, 201) << second.raw;
  control("POST", "/_sandbox/faults", {{"webhooks", {{"duplicate", 400}, {"reorder", 6}}}});
  json quote = draft_quote();
  ASSERT_EQ(act("quotes", quote["id"], "finalize").status, 200);
  std::string sq = get("quotes", quote["id"])["stripeQuoteId"];
  ASSERT_EQ(post_page("/hosted/quotes/" + sq + "/accept", ""), 200);
  quote = wait_for("quotes", quote["id"], [](const json& q) { return q["orderId"].is_string(); }, "the order");
  json a = open_invoice(100000), b = open_invoice(200000), c = open_invoice(300000);
  ASSERT_EQ(pay_card(a, "4242424242424242"), 200);
  ASSERT_EQ(pay_card(b, "4000000000000002"), 402);
  ASSERT_EQ(pay_card(b, "4242424242424242"), 200);
  wait_status("invoices", a["id"], "Paid");
  wait_status("invoices", b["id"], "Paid");

  control("DELETE", "/_sandbox/faults");
  // Let every earlier delivery land first: a late event of c's would rightly make it Paid.
  wait_deliveries_done();
  wait_inbox_settled();
  control("POST", "/_sandbox/faults", {{"webhooks", {{"drop", 50}}}});
  ASSERT_EQ(pay_card(c, "4242424242424242"), 200);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(get("invoices", c["id"])["status"], "Open") << "its webhooks were lost";
  control("DELETE", "/_sandbox/faults");
  auto healed = call("POST", "/rest/stripe/reconcile", json::object());
  ASSERT_EQ(healed.status, 200) << healed.raw;
  EXPECT_GT(healed.body["data"]["stored"].get<int>(), 0);
  wait_status("invoices", c["id"], "Paid");
  wait_inbox_settled();

  EXPECT_EQ(list("orders", "quoteId[eq]:" + quote["id"].get<std::string>()).size(), 1u);
  for (const auto& inv : {a, b, c}) {
    json payments = list("payments", "invoiceId[eq]:" + inv["id"].get<std::string>());
    EXPECT_EQ(payments.size(), 1u) << inv["id"];
    json si = stripe("GET", "/v1/invoices/" + inv["stripeInvoiceId"].get<std::string>());
    json local = get("invoices", inv["id"]);
    EXPECT_EQ(si["status"], "paid");
    EXPECT_EQ(local["status"], "Paid");
    EXPECT_EQ(local["amountPaid"], si["amount_paid"]);
  }
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM payments WHERE workspace_id = :ws"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM stripe_events WHERE workspace_id = :ws AND status = 'failed'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM workflow_runs WHERE workspace_id = :ws AND status = 'FAILED'"), 0);
  EXPECT_EQ(stripe("GET", "/v1/customers?limit=100")["data"].size(), 1u);
}

TEST_P(StripeSyncTest, AStripeCancellationCancelsTheQuote) {
  json quote = draft_quote();
  ASSERT_EQ(act("quotes", quote["id"], "finalize").status, 200);
  std::string sq = get("quotes", quote["id"])["stripeQuoteId"];
  stripe("POST", "/v1/quotes/" + sq + "/cancel");
  wait_status("quotes", quote["id"], "Canceled");
  // And a cancellation in Settle cancels Stripe's.
  json other = draft_quote();
  ASSERT_EQ(act("quotes", other["id"], "finalize").status, 200);
  ASSERT_EQ(act("quotes", other["id"], "cancel").status, 200);
  EXPECT_EQ(stripe("GET", "/v1/quotes/" + get("quotes", other["id"])["stripeQuoteId"].get<std::string>())["status"],
            "canceled");
}

TEST_P(StripeSyncTest, VoidingAnInvoiceVoidsItAtStripe) {
  json invoice = open_invoice();
  auto voided = act("invoices", invoice["id"], "void");
  ASSERT_EQ(voided.status, 200) << voided.raw;
  EXPECT_EQ(voided.body["data"]["status"], "Void");
  EXPECT_EQ(stripe("GET", "/v1/invoices/" + invoice["stripeInvoiceId"].get<std::string>())["status"], "void");
  auto link = call("POST", "/rest/invoices/" + invoice["id"].get<std::string>() + "/payment-link", json::object());
  EXPECT_EQ(link.status, 409);
}

// The books rule holds against Stripe too: voided in Stripe's dashboard while a manual
// payment recorded here holds money, the invoice keeps its status and what is due.
TEST_P(StripeSyncTest, AVoidAtStripeLeavesAnInvoiceHoldingMoneyRecordedHere) {
  json invoice = open_invoice();
  std::string id = invoice["id"];
  ASSERT_EQ(call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 5000}}).status, 201);
  auto voided = stripe("POST", "/v1/invoices/" + invoice["stripeInvoiceId"].get<std::string>() + "/void");
  ASSERT_EQ(voided["status"], "void") << voided.dump();
  auto refreshed = call("POST", "/rest/invoices/" + id + "/refresh", json::object());
  ASSERT_EQ(refreshed.status, 200) << refreshed.raw;
  EXPECT_EQ(refreshed.body["data"]["status"], "Partially Paid");
  EXPECT_EQ(refreshed.body["data"]["amountPaid"], 5000);
  EXPECT_EQ(refreshed.body["data"]["amountDue"], invoice["total"].get<std::int64_t>() - 5000);
}

TEST_P(StripeSyncTest, ExpiredQuotesGetOneFollowUpTask) {
  json quote = draft_quote();
  ASSERT_EQ(act("quotes", quote["id"], "finalize").status, 200);
  auto moved = srv->db->write<long long>([&](store::Tx& tx) -> Result<long long> {
    return tx.exec("UPDATE quotes SET expires_at = '2026-01-01T00:00:00.000Z' WHERE id = :id",
                   {{"id", quote["id"].get<std::string>()}});
  });
  ASSERT_TRUE(moved);
  srv->jobs->expire_quotes();
  srv->jobs->expire_quotes();
  json q = get("quotes", quote["id"]);
  EXPECT_EQ(q["status"], "Expired");
  EXPECT_EQ(q["expirationReminderSent"], true);
  json tasks = list("tasks", "targetId[eq]:" + quote["id"].get<std::string>());
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_NE(tasks[0]["title"].get<std::string>().find("expired"), std::string::npos);
}

TEST_P(StripeSyncTest, AnExpiredPaymentLinkSaysSoAndOffersANewOne) {
  json invoice = open_invoice();
  auto link = call("POST", "/rest/invoices/" + invoice["id"].get<std::string>() + "/payment-link", json::object());
  ASSERT_EQ(link.status, 200);
  std::string url = link.body["data"]["url"];
  std::string path = url.substr(std::string("https://crm.example.com").size());
  ASSERT_TRUE(srv->db->write<long long>([&](store::Tx& tx) -> Result<long long> {
    return tx.exec("UPDATE invoices SET payment_link_expires_at = '2026-01-01T00:00:00.000Z' WHERE id = :id",
                   {{"id", invoice["id"].get<std::string>()}});
  }));
  net::ClientRequest open;
  open.url = srv->base() + path;
  auto page = net::perform(open);
  EXPECT_EQ(page->status, 410);
  EXPECT_NE(page->body.find("expired"), std::string::npos);
  net::ClientRequest ask;
  ask.method = "POST";
  ask.url = srv->base() + path + "/renew";
  EXPECT_EQ(net::perform(ask)->status, 200);
  EXPECT_EQ(list("tasks", "targetId[eq]:" + invoice["id"].get<std::string>()).size(), 1u);
  auto renewed = call("POST", "/rest/invoices/" + invoice["id"].get<std::string>() + "/payment-link", json::object());
  EXPECT_NE(renewed.body["data"]["url"], url);
  open.url = srv->base() + renewed.body["data"]["url"].get<std::string>().substr(std::string("https://crm.example.com").size());
  EXPECT_EQ(net::perform(open)->status, 303);
  net::ClientRequest unknown;
  unknown.url = srv->base() + "/pay/not-a-token";
  EXPECT_EQ(net::perform(unknown)->status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, StripeSyncTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
