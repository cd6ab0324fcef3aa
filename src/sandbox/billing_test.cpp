// The resource operations without HTTP: invoice, quote and payment state transitions,
// the events they emit, refusals of wrong states, and the clock's transitions.
#include <gtest/gtest.h>

#include <algorithm>

#include "net/http.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "sandbox/resources.hpp"

namespace settle::sandbox {
namespace {

class Billing : public ::testing::Test {
 protected:
  State state;
  Settings settings;
  Account& account = state.account("sk_test_unit");
  std::int64_t now = 1'700'000'000;
  std::vector<Delivery> deliveries;

  Ctx ctx() { return Ctx{state, account, settings, now, "http://sandbox.test", "req_unit", "", kDefaultApiVersion, {}}; }

  json call(Operation op, const std::string& form, const std::string& id = "") {
    Ctx c = ctx();
    json params = decode_form(form);
    std::map<std::string, std::string, std::less<>> path;
    if (!id.empty()) path["id"] = id;
    Call request{params, path, "/v1/test"};
    json result = op(c, request);
    deliveries.insert(deliveries.end(), c.outbox.begin(), c.outbox.end());
    return result;
  }

  // The status and message of the refusal `op` answers with.
  ApiError refusal(Operation op, const std::string& form, const std::string& id = "") {
    try {
      call(op, form, id);
    } catch (const ApiError& e) {
      return e;
    }
    ADD_FAILURE() << "no refusal for " << form << " on " << id;
    return ApiError(0, "", "", "");
  }

  void tick(std::int64_t seconds) {
    now += seconds;
    Ctx c = ctx();
    run_clock(c);
  }

  std::vector<std::string> event_types() {
    std::vector<std::string> out;
    for (const auto& id : account.order["event"]) out.push_back(account.objects.at(id)["type"]);
    return out;
  }

  // True if `wanted` occur in this order among the events (not necessarily adjacent).
  bool emitted_in_order(const std::vector<std::string>& wanted) {
    auto types = event_types();
    auto at = types.begin();
    for (const auto& w : wanted) {
      at = std::find(at, types.end(), w);
      if (at == types.end()) return false;
      ++at;
    }
    return true;
  }

  std::string customer() { return call(create_customer, "email=c%40example.com&name=C")["id"]; }

  json open_invoice(const std::string& customer_id, std::int64_t amount) {
    std::string id = call(create_invoice, "customer=" + customer_id)["id"];
    call(create_invoiceitem, "customer=" + customer_id + "&invoice=" + id + "&amount=" + std::to_string(amount) + "&currency=usd");
    return call(finalize_invoice, "", id);
  }
};

TEST_F(Billing, InvoicePaidByCardEmitsStripesEventsInOrder) {
  std::string cus = customer();
  std::string id = call(create_invoice, "customer=" + cus + "&metadata[crmId]=9")["id"];
  call(add_invoice_lines, "lines[0][amount]=1500&lines[0][description]=A&lines[1][amount]=500", id);
  json invoice = call(retrieve_invoice, "", id);
  EXPECT_EQ(invoice["status"], "draft");
  EXPECT_EQ(invoice["amount_due"], 2000);
  EXPECT_EQ(invoice["lines"]["total_count"], 2);

  invoice = call(finalize_invoice, "", id);
  EXPECT_EQ(invoice["status"], "open");
  EXPECT_EQ(invoice["hosted_invoice_url"], "http://sandbox.test/hosted/invoices/" + id);
  EXPECT_EQ(invoice["number"], account.objects.at(cus)["invoice_prefix"].get<std::string>() + "-0001");
  EXPECT_EQ(account.objects.at(cus)["next_invoice_sequence"], 2);

  invoice = call(pay_invoice, "payment_method=pm_card_visa", id);
  EXPECT_EQ(invoice["status"], "paid");
  EXPECT_EQ(invoice["amount_paid"], 2000);
  EXPECT_EQ(invoice["amount_remaining"], 0);
  EXPECT_EQ(invoice["status_transitions"]["paid_at"], now);
  EXPECT_TRUE(emitted_in_order({"invoice.created", "invoice.finalized", "charge.succeeded", "payment_intent.succeeded",
                                "invoice_payment.paid", "invoice.paid", "invoice.payment_succeeded"}));
  Ctx c = ctx();
  json payments = invoice_payments_list(c, id);
  ASSERT_EQ(payments["data"].size(), 1u);
  EXPECT_EQ(payments["data"][0]["status"], "paid");
}

TEST_F(Billing, DeclineRecordsTheAttemptAndKeepsTheInvoiceOpen) {
  json invoice = open_invoice(customer(), 900);
  ApiError e = refusal(pay_invoice, "payment_method=pm_card_chargeDeclinedInsufficientFunds", invoice["id"]);
  EXPECT_EQ(e.status, 402);
  EXPECT_EQ(e.type, "card_error");
  EXPECT_EQ(e.decline_code, "insufficient_funds");
  json after = call(retrieve_invoice, "", invoice["id"]);
  EXPECT_EQ(after["status"], "open");
  EXPECT_EQ(after["attempt_count"], 1);
  EXPECT_TRUE(emitted_in_order({"charge.failed", "payment_intent.payment_failed", "invoice.payment_failed"}));
  json charge = account.objects.at(e.extra["charge"].get<std::string>());
  EXPECT_EQ(charge["status"], "failed");
  EXPECT_EQ(charge["outcome"]["reason"], "insufficient_funds");
}

TEST_F(Billing, WrongStatesAreRefused) {
  std::string cus = customer();
  std::string draft = call(create_invoice, "customer=" + cus)["id"];
  json open = open_invoice(cus, 100);
  json paid = open_invoice(cus, 100);
  call(pay_invoice, "payment_method=pm_card_visa", paid["id"]);
  struct Case {
    Operation op;
    std::string form;
    std::string id;
    const char* what;
  } cases[] = {
      {pay_invoice, "payment_method=pm_card_visa", draft, "pay a draft"},
      {void_invoice, "", draft, "void a draft"},
      {mark_invoice_uncollectible, "", draft, "mark a draft uncollectible"},
      {finalize_invoice, "", open["id"], "finalize twice"},
      {send_invoice, "", open["id"], "send a charge_automatically invoice"},
      {pay_invoice, "payment_method=pm_card_visa", paid["id"], "pay twice"},
      {void_invoice, "", paid["id"], "void a paid invoice"},
      {delete_invoice, "", open["id"], "delete an open invoice"},
      {add_invoice_lines, "lines[0][amount]=5", open["id"], "add lines to an open invoice"},
      {update_invoice, "collection_method=send_invoice&days_until_due=3", open["id"], "change terms after finalizing"},
  };
  for (const auto& c : cases) {
    ApiError e = refusal(c.op, c.form, c.id);
    EXPECT_EQ(e.status, 400) << c.what;
    EXPECT_EQ(e.type, "invalid_request_error") << c.what;
  }
  EXPECT_EQ(refusal(retrieve_invoice, "", "in_missing").code, "resource_missing");
  EXPECT_EQ(refusal(pay_invoice, "payment_method=pm_nothing", open["id"]).status, 404);
  EXPECT_EQ(refusal(create_invoice, "customer=cus_missing").param, "customer");
  EXPECT_EQ(refusal(create_invoice, "customer=" + cus + "&collection_method=send_invoice").param, "days_until_due");
}

TEST_F(Billing, VoidAndUncollectible) {
  std::string cus = customer();
  json a = open_invoice(cus, 100);
  json voided = call(void_invoice, "", a["id"]);
  EXPECT_EQ(voided["status"], "void");
  const std::string intent = account.facts(a["id"])["payment_intent"];
  EXPECT_EQ(account.objects.at(intent)["status"], "canceled");
  EXPECT_EQ(account.objects.at(intent)["cancellation_reason"], "void_invoice");
  json b = open_invoice(cus, 100);
  EXPECT_EQ(call(mark_invoice_uncollectible, "", b["id"])["status"], "uncollectible");
  EXPECT_EQ(call(pay_invoice, "payment_method=pm_card_visa", b["id"])["status"], "paid");
  EXPECT_TRUE(emitted_in_order({"invoice.voided", "invoice.marked_uncollectible", "invoice.paid"}));
}

TEST_F(Billing, ZeroAmountInvoiceIsPaidOnFinalization) {
  std::string cus = customer();
  std::string id = call(create_invoice, "customer=" + cus)["id"];
  EXPECT_EQ(call(finalize_invoice, "", id)["status"], "paid");
}

TEST_F(Billing, RefundsFullAndPartial) {
  json invoice = open_invoice(customer(), 1000);
  call(pay_invoice, "payment_method=pm_card_visa", invoice["id"]);
  const std::string intent = account.facts(invoice["id"])["payment_intent"];
  const std::string charge = account.objects.at(intent)["latest_charge"];
  EXPECT_EQ(call(create_refund, "charge=" + charge + "&amount=300")["amount"], 300);
  EXPECT_EQ(refusal(create_refund, "charge=" + charge + "&amount=800").param, "amount");
  EXPECT_EQ(call(create_refund, "payment_intent=" + intent)["amount"], 700);
  EXPECT_EQ(account.objects.at(charge)["refunded"], true);
  EXPECT_EQ(refusal(create_refund, "charge=" + charge).code, "charge_already_refunded");
  EXPECT_EQ(refusal(create_refund, "").code, "parameter_missing");
}

TEST_F(Billing, AcceptedQuoteCreatesItsInvoiceWhichFinalizesAnHourLater) {
  std::string cus = customer();
  std::string product = call(create_product, "name=Seat")["id"];
  std::string price = call(create_price, "product=" + product + "&unit_amount=700&currency=eur")["id"];
  std::string quote = call(create_quote, "customer=" + cus + "&line_items[0][price]=" + price + "&line_items[0][quantity]=3")["id"];
  EXPECT_EQ(refusal(accept_quote, "", quote).status, 400);  // still a draft
  call(finalize_quote, "", quote);
  json accepted = call(accept_quote, "", quote);
  EXPECT_EQ(accepted["status"], "accepted");
  json invoice = account.objects.at(accepted["invoice"].get<std::string>());
  EXPECT_EQ(invoice["parent"]["quote_details"]["quote"], quote);
  EXPECT_EQ(invoice["amount_due"], 2100);
  EXPECT_EQ(invoice["currency"], "eur");
  EXPECT_EQ(invoice["status"], "draft");
  tick(3599);
  EXPECT_EQ(account.objects.at(invoice["id"].get<std::string>())["status"], "draft");
  tick(1);
  EXPECT_EQ(account.objects.at(invoice["id"].get<std::string>())["status"], "open");
  EXPECT_TRUE(emitted_in_order({"quote.finalized", "invoice.created", "quote.accepted", "invoice.finalized"}));
}

TEST_F(Billing, TheClockExpiresQuotesSettlesBankDebitsAndForgetsOldEvents) {
  std::string cus = customer();
  std::string product = call(create_product, "name=Seat")["id"];
  std::string price = call(create_price, "product=" + product + "&unit_amount=700&currency=usd")["id"];
  std::string quote = call(create_quote, "customer=" + cus + "&line_items[0][price]=" + price +
                                             "&expires_at=" + std::to_string(now + 100))["id"];
  call(finalize_quote, "", quote);
  json invoice = open_invoice(cus, 5000);
  json processing = call(pay_invoice, "payment_method=pm_usBankAccount", invoice["id"]);
  EXPECT_EQ(processing["status"], "open");
  tick(std::max<std::int64_t>(100, settings.ach_settlement_seconds));
  EXPECT_EQ(account.objects.at(quote)["status"], "canceled");
  EXPECT_EQ(account.objects.at(invoice["id"].get<std::string>())["status"], "paid");
  EXPECT_TRUE(emitted_in_order({"payment_intent.processing", "quote.canceled", "payment_intent.succeeded", "invoice.paid"}));
  std::size_t events = account.order["event"].size();
  EXPECT_GT(events, 0u);
  tick(31 * 86400);
  EXPECT_TRUE(account.order["event"].empty());
}

TEST_F(Billing, EventsAreQueuedForMatchingEnabledEndpoints) {
  json all = call(create_webhook_endpoint, "url=http%3A%2F%2F127.0.0.1%3A9%2Fh&enabled_events[]=*");
  call(create_webhook_endpoint, "url=http%3A%2F%2F127.0.0.1%3A9%2Fi&enabled_events[]=invoice.paid");
  json off = call(create_webhook_endpoint, "url=http%3A%2F%2F127.0.0.1%3A9%2Fo&enabled_events[]=*");
  call(update_webhook_endpoint, "disabled=true", off["id"]);
  ASSERT_TRUE(all["secret"].get<std::string>().rfind("whsec_", 0) == 0);
  deliveries.clear();
  std::string cus = customer();
  ASSERT_EQ(deliveries.size(), 1u);
  const Delivery& d = deliveries[0];
  EXPECT_EQ(d.event_type, "customer.created");
  EXPECT_EQ(d.endpoint_id, all["id"]);
  EXPECT_EQ(d.secret, all["secret"]);
  json payload = json::parse(d.payload);
  EXPECT_EQ(payload["data"]["object"]["id"], cus);
  EXPECT_EQ(payload["request"]["id"], "req_unit");
  EXPECT_EQ(account.objects.at(d.event_id)["pending_webhooks"], 1);
}

TEST_F(Billing, CustomerSearch) {
  call(create_customer, "email=a%40x.com&metadata[crmId]=1");
  call(create_customer, "email=b%40x.com&metadata[crmId]=2&name=Bea");
  auto found = [&](const std::string& query) {
    json r = call(search_customers, "query=" + net::url_encode(query));
    std::vector<std::string> emails;
    for (const auto& c : r["data"]) emails.push_back(c["email"]);
    return emails;
  };
  EXPECT_EQ(found("metadata['crmId']:'2'"), std::vector<std::string>{"b@x.com"});
  EXPECT_EQ(found("email:\"a@x.com\" OR name:'Bea'"), (std::vector<std::string>{"b@x.com", "a@x.com"}));
  EXPECT_EQ(found("email~'x.com' AND -name:'Bea'"), std::vector<std::string>{"a@x.com"});
  EXPECT_EQ(refusal(search_customers, "query=" + net::url_encode("nonsense")).param, "query");
  EXPECT_EQ(refusal(search_customers, "query=" + net::url_encode("email:'a' AND name:'b' OR phone:'c'")).param, "query");
}

}  // namespace
}  // namespace settle::sandbox
