// Tests of the typed object parsers (objects.hpp) against Stripe's own example objects
// (../shared/stripe/fixtures3.json, from the stripe/openapi repository), and of their
// strictness on the fields Settle reads.
#include "stripe/objects.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace settle::stripe {
namespace {

namespace fs = std::filesystem;

// <repo>/../shared/stripe/fixtures3.json, found by walking up from the working directory
// and from the test binary's directory (the build directory lives inside the repo).
std::optional<fs::path> find_fixtures() {
  std::vector<fs::path> starts{fs::current_path()};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  for (fs::path dir : starts) {
    for (; !dir.empty(); dir = dir.parent_path()) {
      for (const fs::path& candidate : {dir / ".." / "shared" / "stripe" / "fixtures3.json",
                                        dir / "shared" / "stripe" / "fixtures3.json"})
        if (fs::is_regular_file(candidate, ec)) return fs::weakly_canonical(candidate);
      if (dir == dir.root_path()) break;
    }
  }
  return std::nullopt;
}

class FixturesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto path = find_fixtures();
    if (!path) return;
    std::ifstream in(*path);
    resources_ = new json(json::parse(in)["resources"]);
  }
  static void TearDownTestSuite() {
    delete resources_;
    resources_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(resources_, nullptr) << "Stripe fixtures not found: expected <repo>/../shared/stripe/fixtures3.json "
                                      "above the working directory or the test binary";
  }
  const json& resource(const char* name) { return (*resources_)[name]; }

  static json* resources_;
};
json* FixturesTest::resources_ = nullptr;

TEST_F(FixturesTest, Invoice) {
  auto inv = parse_invoice(resource("invoice"));
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->id, "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
  EXPECT_EQ(inv->status, "draft");
  EXPECT_EQ(inv->customer, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(inv->currency, "usd");
  EXPECT_EQ(inv->amount_due, 1000);
  EXPECT_EQ(inv->amount_paid, 0);
  EXPECT_EQ(inv->amount_remaining, 1000);
  EXPECT_EQ(inv->total, 1000);
  EXPECT_EQ(inv->number, std::nullopt);
  EXPECT_EQ(inv->hosted_invoice_url, std::nullopt);
  EXPECT_EQ(inv->due_date, 1234567890);
  EXPECT_EQ(inv->quote, "quote");  // parent.quote_details.quote
  EXPECT_TRUE(inv->metadata.empty());
  ASSERT_EQ(inv->lines.data.size(), 1u);
  EXPECT_EQ(inv->lines.data[0].id, "il_1Pgc6sB7WZ01zgkWFnxLrLCq");
  EXPECT_EQ(inv->lines.data[0].amount, 1000);
  EXPECT_EQ(inv->lines.data[0].invoice_item, "invoice_item");
  EXPECT_FALSE(inv->lines.has_more);
  // basil and later: no top-level payment_intent or charge on an invoice.
  EXPECT_FALSE(resource("invoice").contains("payment_intent"));
  EXPECT_FALSE(resource("invoice").contains("charge"));
}

TEST_F(FixturesTest, Quote) {
  auto q = parse_quote(resource("quote"));
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->id, "qt_1Pgc79B7WZ01zgkWHyj9Adwl");
  EXPECT_EQ(q->status, "draft");
  EXPECT_EQ(q->customer, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(q->amount_total, 0);
  EXPECT_EQ(q->invoice, std::nullopt);
  EXPECT_EQ(q->expires_at, 1234567890);
  EXPECT_EQ(q->currency, "usd");
}

TEST_F(FixturesTest, Event) {
  auto e = parse_event(resource("event"));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->id, "evt_1Pgc76B7WZ01zgkWwyRHS12y");
  EXPECT_EQ(e->type, "plan.created");
  EXPECT_EQ(e->created, 1234567890);
  EXPECT_FALSE(e->livemode);
  EXPECT_EQ(e->account, std::nullopt);
  EXPECT_EQ(e->object_type, "plan");
  EXPECT_EQ(e->object_id, "price_1PgafmB7WZ01zgkW6dKueIc5");
  EXPECT_EQ(e->object["amount"], 2000);
  EXPECT_EQ(e->request_id, std::nullopt);
}

TEST_F(FixturesTest, EventCarryingAnInvoiceParsesThrough) {
  json event = resource("event");
  event["type"] = "invoice.paid";
  event["account"] = "acct_123";
  event["data"]["object"] = resource("invoice");
  event["data"]["previous_attributes"] = {{"status", "open"}};
  event["request"] = {{"id", "req_1"}, {"idempotency_key", "settle:ws:invoice:1:pay"}};
  auto e = parse_event(event);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->account, "acct_123");
  EXPECT_EQ(e->previous_attributes["status"], "open");
  EXPECT_EQ(e->request_idempotency_key, "settle:ws:invoice:1:pay");
  auto inv = parse_invoice(e->object);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->id, e->object_id);
}

TEST_F(FixturesTest, Charge) {
  auto c = parse_charge(resource("charge"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
  EXPECT_EQ(c->amount, 100);
  EXPECT_EQ(c->amount_refunded, 0);
  EXPECT_FALSE(c->refunded);
  EXPECT_TRUE(c->paid);
  EXPECT_EQ(c->payment_method_type, "card");
  EXPECT_EQ(c->payment_intent, std::nullopt);
}

TEST_F(FixturesTest, Refund) {
  auto r = parse_refund(resource("refund"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, "re_1Pgc72B7WZ01zgkWqPvrRrPE");
  EXPECT_EQ(r->amount, 100);
  EXPECT_EQ(r->charge, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
  EXPECT_EQ(r->status, "succeeded");
  EXPECT_EQ(r->currency, "usd");
}

TEST_F(FixturesTest, PaymentIntent) {
  auto pi = parse_payment_intent(resource("payment_intent"));
  ASSERT_TRUE(pi) << pi.error().message;
  EXPECT_EQ(pi->id, "pi_1PgafyB7WZ01zgkWSjxsAJo3");
  EXPECT_EQ(pi->amount, 1099);
  EXPECT_EQ(pi->status, "requires_payment_method");
  EXPECT_EQ(pi->latest_charge, std::nullopt);
  ASSERT_TRUE(pi->last_payment_error);
  EXPECT_EQ(pi->last_payment_error->type, "idempotency_error");
}

TEST_F(FixturesTest, InvoicePayment) {
  auto p = parse_invoice_payment(resource("invoice_payment"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->id, "obj_123");
  EXPECT_EQ(p->invoice, "invoice");
  EXPECT_EQ(p->amount_paid, std::nullopt);  // null until paid
  EXPECT_EQ(p->amount_requested, 1112626247);
  EXPECT_EQ(p->payment_type, "payment_intent");
  EXPECT_TRUE(p->is_default);
  EXPECT_EQ(p->paid_at, std::nullopt);
}

TEST_F(FixturesTest, InvoicePaymentOfAPaidInvoice) {
  json paid = resource("invoice_payment");
  paid["amount_paid"] = 1000;
  paid["status"] = "paid";
  paid["payment"] = {{"type", "payment_intent"}, {"payment_intent", "pi_123"}};
  paid["status_transitions"]["paid_at"] = 1700000000;
  auto p = parse_invoice_payment(paid);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->amount_paid, 1000);
  EXPECT_EQ(p->payment_intent, "pi_123");
  EXPECT_EQ(p->charge, std::nullopt);
  EXPECT_EQ(p->paid_at, 1700000000);
}

TEST_F(FixturesTest, Customer) {
  auto c = parse_customer(resource("customer"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->id, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(c->email, std::nullopt);
  EXPECT_FALSE(c->deleted);
  auto deleted = parse_customer(resource("deleted_customer"));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->deleted);
}

TEST_F(FixturesTest, WebhookEndpoint) {
  auto w = parse_webhook_endpoint(resource("webhook_endpoint"));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->id, "we_1Pgc6yB7WZ01zgkWzAudq4eU");
  EXPECT_EQ(w->url, "https://example.com/my/webhook/endpoint");
  EXPECT_EQ(w->enabled_events, (std::vector<std::string>{"charge.failed", "charge.succeeded"}));
  EXPECT_EQ(w->status, "enabled");
  EXPECT_EQ(w->secret, std::nullopt);  // shown only when created
  auto deleted = parse_deleted(resource("deleted_webhook_endpoint"));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->deleted);
}

TEST_F(FixturesTest, CatalogueAndInvoiceItems) {
  auto product = parse_product(resource("product"));
  ASSERT_TRUE(product) << product.error().message;
  EXPECT_EQ(product->name, "T-shirt");
  EXPECT_EQ(product->default_price, "price_1PgafmB7WZ01zgkW02Hf9z6c");
  auto price = parse_price(resource("price"));
  ASSERT_TRUE(price) << price.error().message;
  EXPECT_EQ(price->unit_amount, 2000);
  EXPECT_EQ(price->product, "prod_QXg1hqf4jFNsqG");
  EXPECT_EQ(price->recurring_interval, "month");
  auto item = parse_invoice_item(resource("invoiceitem"));
  ASSERT_TRUE(item) << item.error().message;
  EXPECT_EQ(item->amount, 1000);
  EXPECT_EQ(item->invoice, std::nullopt);
  auto line = parse_invoice_line_item(resource("line_item"));
  ASSERT_TRUE(line) << line.error().message;
  EXPECT_EQ(line->invoice_item, "invoice_item");
}

TEST_F(FixturesTest, ExpandedReferencesReadAsIds) {
  json inv = resource("invoice");
  inv["customer"] = resource("customer");  // as with expand[]=customer
  auto parsed = parse_invoice(inv);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->customer, "cus_QXg1o8vcGmoR32");
}

TEST_F(FixturesTest, ListOfInvoices) {
  json list = {{"object", "list"}, {"url", "/v1/invoices"}, {"has_more", true},
               {"data", json::array({resource("invoice"), resource("invoice")})}};
  auto parsed = parse_list(list, parse_invoice);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->data.size(), 2u);
  EXPECT_TRUE(parsed->has_more);
  EXPECT_EQ(parsed->url, "/v1/invoices");

  list["data"][1]["amount_due"] = "1000";
  auto bad = parse_list(list, parse_invoice);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().details["path"], "list.data[1].amount_due");
}

// ---- Strictness: the error names the path of the field ----------------------------------

struct StrictCase {
  const char* name;
  const char* resource;
  std::function<void(json&)> mutate;
  const char* path;  // expected details.path; empty = must parse
};

class StrictnessTest : public FixturesTest, public ::testing::WithParamInterface<StrictCase> {};

Result<bool> parse_any(const char* type, const json& j) {
  auto ok = [](const auto& r) -> Result<bool> {
    if (!r) return fail(r.error());
    return true;
  };
  std::string t = type;
  if (t == "invoice") return ok(parse_invoice(j));
  if (t == "quote") return ok(parse_quote(j));
  if (t == "event") return ok(parse_event(j));
  if (t == "charge") return ok(parse_charge(j));
  if (t == "customer") return ok(parse_customer(j));
  if (t == "webhook_endpoint") return ok(parse_webhook_endpoint(j));
  if (t == "invoice_payment") return ok(parse_invoice_payment(j));
  return fail(Error::internal("unknown type"));
}

TEST_P(StrictnessTest, ChecksTypesOfTheFieldsItReads) {
  const auto& c = GetParam();
  json j = resource(c.resource);
  c.mutate(j);
  auto result = parse_any(c.resource, j);
  if (std::string(c.path).empty()) {
    EXPECT_TRUE(result) << result.error().message;
    return;
  }
  ASSERT_FALSE(result) << "parsed although " << c.path << " is wrong";
  EXPECT_EQ(result.error().code, ErrorCode::Upstream);
  EXPECT_EQ(result.error().details["path"], c.path);
  EXPECT_NE(result.error().message.find(c.path), std::string::npos) << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, StrictnessTest,
    ::testing::Values(
        StrictCase{"extra_fields_ignored", "invoice", [](json& j) { j["brand_new_field"] = {{"x", 1}}; }, ""},
        StrictCase{"optional_missing", "invoice", [](json& j) { j.erase("hosted_invoice_url"); j.erase("parent"); j.erase("lines"); }, ""},
        StrictCase{"unknown_status_accepted", "invoice", [](json& j) { j["status"] = "some_future_status"; }, ""},
        StrictCase{"amount_as_string", "invoice", [](json& j) { j["amount_due"] = "1000"; }, "invoice.amount_due"},
        StrictCase{"amount_as_float", "invoice", [](json& j) { j["total"] = 10.5; }, "invoice.total"},
        StrictCase{"amount_overflow", "invoice", [](json& j) { j["total"] = 18446744073709551615ULL; }, "invoice.total"},
        StrictCase{"missing_id", "invoice", [](json& j) { j.erase("id"); }, "invoice.id"},
        StrictCase{"null_status", "invoice", [](json& j) { j["status"] = nullptr; }, "invoice.status"},
        StrictCase{"wrong_object_type", "invoice", [](json& j) { j["object"] = "quote"; }, "invoice"},
        StrictCase{"customer_number", "invoice", [](json& j) { j["customer"] = 42; }, "invoice.customer"},
        StrictCase{"quote_link_not_string", "invoice", [](json& j) { j["parent"]["quote_details"]["quote"] = 1; },
                   "invoice.parent.quote_details.quote"},
        StrictCase{"line_amount", "invoice", [](json& j) { j["lines"]["data"][0]["amount"] = true; },
                   "invoice.lines.data[0].amount"},
        StrictCase{"metadata_value_number", "invoice", [](json& j) { j["metadata"] = {{"settleInvoiceId", 7}}; },
                   "invoice.metadata.settleInvoiceId"},
        StrictCase{"quote_expires_string", "quote", [](json& j) { j["expires_at"] = "soon"; }, "quote.expires_at"},
        StrictCase{"event_without_data_object", "event", [](json& j) { j["data"] = json::object(); }, "event.data.object"},
        StrictCase{"event_created_string", "event", [](json& j) { j["created"] = "1234567890"; }, "event.created"},
        StrictCase{"charge_refunded_string", "charge", [](json& j) { j["refunded"] = "false"; }, "charge.refunded"},
        StrictCase{"charge_pm_type_missing", "charge", [](json& j) { j["payment_method_details"].erase("type"); },
                   "charge.payment_method_details.type"},
        StrictCase{"customer_not_object", "customer", [](json& j) { j = json::array(); }, "customer"},
        StrictCase{"enabled_events_not_strings", "webhook_endpoint",
                   [](json& j) { j["enabled_events"] = json::array({"a", 2}); }, "webhook_endpoint.enabled_events[1]"},
        StrictCase{"invoice_payment_without_payment", "invoice_payment", [](json& j) { j.erase("payment"); },
                   "invoice_payment.payment"},
        StrictCase{"expanded_reference_without_id", "invoice", [](json& j) { j["customer"] = json::object(); },
                   "invoice.customer.id"}),
    [](const ::testing::TestParamInfo<StrictCase>& info) { return info.param.name; });

}  // namespace
}  // namespace settle::stripe
