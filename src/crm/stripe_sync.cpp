#include "crm/stripe_sync.hpp"
#include "common/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "billing/document.hpp"
#include "billing/lifecycle.hpp"
#include "common/crypto.hpp"
#include "common/dates.hpp"
#include "common/money.hpp"
#include "crm/record_store.hpp"

namespace settle::crm {

using namespace detail;
using billing::InvoiceStatus;
using billing::QuoteStatus;
using nlohmann::json;
using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;
using stripe::FormParams;

namespace {

constexpr const char* kSelectCompany =
    "SELECT id, name, domain_name, stripe_customer_id FROM companies WHERE workspace_id = :ws AND id = :id";
constexpr const char* kSelectPersonEmail =
    "SELECT email FROM people WHERE workspace_id = :ws AND id = :id AND deleted_at IS NULL";
constexpr const char* kSelectCompanyEmail =
    "SELECT email FROM people WHERE workspace_id = :ws AND company_id = :company AND email IS NOT NULL "
    "AND email <> '' AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1";
constexpr const char* kSetCompanyCustomer =
    "UPDATE companies SET stripe_customer_id = :customer, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND stripe_customer_id IS NULL";
constexpr const char* kSelectProduct =
    "SELECT id, name, description, unit_amount, currency, stripe_product_id FROM products "
    "WHERE workspace_id = :ws AND id = :id";
constexpr const char* kSetProductStripeId =
    "UPDATE products SET stripe_product_id = :product, stripe_price_id = :price, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND stripe_product_id IS NULL";
constexpr const char* kSelectWorkspaceProducts =
    "SELECT s.free_text_product_id, s.tax_product_id, w.name FROM stripe_settings s "
    "JOIN workspaces w ON w.id = s.workspace_id WHERE s.workspace_id = :ws";
constexpr const char* kSetFreeTextProduct =
    "UPDATE stripe_settings SET free_text_product_id = :product WHERE workspace_id = :ws";
constexpr const char* kSetTaxProduct = "UPDATE stripe_settings SET tax_product_id = :product WHERE workspace_id = :ws";
constexpr const char* kFindQuoteByStripeId =
    "SELECT id FROM quotes WHERE workspace_id = :ws AND stripe_quote_id = :sid AND deleted_at IS NULL";
constexpr const char* kFindInvoiceByStripeId =
    "SELECT id FROM invoices WHERE workspace_id = :ws AND stripe_invoice_id = :sid AND deleted_at IS NULL";
constexpr const char* kFindOrderByStripeInvoice =
    "SELECT id, order_number FROM orders WHERE workspace_id = :ws AND stripe_invoice_id = :sid";
constexpr const char* kFindInvoiceByPaymentIntent =
    "SELECT invoice_id FROM payments WHERE workspace_id = :ws AND stripe_payment_intent_id = :pi "
    "AND deleted_at IS NULL ORDER BY created_at LIMIT 1";
constexpr const char* kSetOrderStripeInvoice =
    "UPDATE orders SET stripe_invoice_id = :sid, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND stripe_invoice_id IS NULL";
constexpr const char* kSetInvoiceStripeInvoice =
    "UPDATE invoices SET stripe_invoice_id = :sid, stripe_customer_id = :customer, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND (stripe_invoice_id IS NULL OR stripe_invoice_id = :sid)";
constexpr const char* kSetQuoteStripeQuote =
    "UPDATE quotes SET stripe_quote_id = :sid, stripe_customer_id = :customer, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id AND (stripe_quote_id IS NULL OR stripe_quote_id = :sid)";
constexpr const char* kSetSyncFailed =
    "UPDATE {table} SET stripe_sync_status = 'failed', stripe_sync_error = :error, updated_at = :now "
    "WHERE workspace_id = :ws AND id = :id";
constexpr const char* kSelectInvoicePayments =
    "SELECT kind, amount, stripe_payment_intent_id, stripe_refund_id FROM payments "
    "WHERE workspace_id = :ws AND invoice_id = :invoice AND status = 'succeeded' AND deleted_at IS NULL";
constexpr const char* kSelectPaymentLinkToken =
    "SELECT payment_link_token FROM invoices WHERE workspace_id = :ws AND id = :id";
constexpr const char* kFindInvoiceByToken =
    "SELECT workspace_id, id FROM invoices WHERE payment_link_token = :token AND deleted_at IS NULL";

constexpr int kQuoteInvoiceDaysUntilDue = 30;
constexpr int kPaymentTermsDays = 30;  // as Records' finalize: due 30 days after issue by default
constexpr int kMaxPages = 20;          // of invoice payments or refunds per invoice: 2,000 each

Actor stripe_actor(const std::string& ws) { return Actor{ws, "", "Stripe", Role::Admin}; }

// "settle:<workspace>:<object>:<id>:<step>", Stripe's limit being 255 characters.
std::string idem(const std::string& ws, std::string_view object, std::string_view id, std::string_view step) {
  return "settle:" + ws + ":" + std::string(object) + ":" + std::string(id) + ":" + std::string(step);
}
// A step whose parameters depend on the record's content: a changed record makes a new
// key, since Stripe refuses a key reused with other parameters.
std::string with_hash(std::string_view step, const FormParams& params) {
  return std::string(step) + ":" + sha256_hex(params.dump()).substr(0, 16);
}

std::string timestamp_of_unix(std::int64_t seconds) { return store::format_timestamp(seconds * 1000); }

std::string display_amount(std::int64_t amount, const std::string& currency) { return display_money(amount, currency); }

// The page where a person looks at a Stripe quote: the sandbox's hosted page, or the
// quote in Stripe's dashboard (Stripe has no public page for a quote; the customer gets
// its PDF).
std::string quote_page_url(const std::string& api_base, const std::string& quote_id, bool livemode) {
  if (api_base.find("api.stripe.com") != std::string::npos)
    return std::string("https://dashboard.stripe.com/") + (livemode ? "" : "test/") + "quotes/" + quote_id;
  std::string base = api_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/hosted/quotes/" + quote_id;
}

Error with_context(Error e, std::string_view doing) {
  if (e.code == ErrorCode::Upstream || e.code == ErrorCode::Unavailable)
    e.message = "Stripe: " + e.message + " (while " + std::string(doing) + ")";
  return e;
}

// ---- Record access ----------------------------------------------------------------------------

const ObjectDef& quotes_def() { return *find_object("quotes"); }
const ObjectDef& invoices_def() { return *find_object("invoices"); }
const ObjectDef& orders_def() { return *find_object("orders"); }
const ObjectDef& payments_def() { return *find_object("payments"); }
const ObjectDef& tasks_def() { return *find_object("tasks"); }

struct Document {
  Rows row;
  json lines = json::array();
  RowView view() const { return RowView(row, 0); }
};

Result<Document> load_document(store::Database& db, const ObjectDef& o, const std::string& ws, std::string_view id) {
  return db.read<Document>([&](Tx& tx) -> Result<Document> {
    auto rows = load(tx, o, ws, id);
    if (!rows) return fail(Error::not_found(o.singular));
    Document d{std::move(*rows)};
    auto lines = load_lines(tx, ws, {std::string(id)});
    if (auto it = lines.find(std::string(id)); it != lines.end()) d.lines = it->second;
    return d;
  });
}

void mark_sync_failed(store::Database& db, const ObjectDef& o, const std::string& ws, std::string_view id,
                      const Error& error) {
  std::string sql = kSetSyncFailed;
  sql.replace(sql.find("{table}"), 7, o.spec.table);
  auto done = db.write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec(sql, {{"error", error.message}, {"now", store::now_timestamp()}, {"ws", ws}, {"id", std::string(id)}});
  });
  if (!done) spdlog::error("could not mark {} {} as failed to sync: {}", o.singular, id, done.error().log);
  spdlog::warn("stripe sync of {} {} failed: {}", o.singular, id, error.log.empty() ? error.message : error.log);
}

Status exec_write(store::Database& db, const char* sql, const store::Params& params) {
  auto done = db.write<long long>([&](Tx& tx) -> Result<long long> { return tx.exec(sql, params); });
  if (!done) return fail(done.error());
  return {};
}

// A task for a person of the workspace about a record, created inside `tx`.
void add_task(Tx& tx, const Actor& actor, const SqlValue& assignee, const std::string& title, const std::string& body,
              const std::string& target_object, const std::string& target_id) {
  std::string id = random_id("tsk");
  std::string now = store::now_timestamp();
  Values t{{"id", id},
           {"created_at", now},
           {"updated_at", now},
           {"created_by", nullptr},
           {"title", title},
           {"body", body},
           {"due_at", store::timestamp_from_now(std::chrono::days(1))},
           {"status", std::string("TODO")},
           {"assignee_id", assignee},
           {"target_object", target_object},
           {"target_id", target_id}};
  insert(tx, tasks_def(), actor.workspace_id, t);
  add_event(tx, actor, tasks_def(), id, "created");
}

// ---- Customers and products -------------------------------------------------------------------

Result<std::string> ensure_customer(const stripe::Client& client, store::Database& db, const std::string& ws,
                                    const std::string& company_id, const std::string& person_id) {
  struct Company {
    std::string name, customer, email;
  };
  auto company = db.read<Company>([&](Tx& tx) -> Result<Company> {
    auto row = tx.query_one(kSelectCompany, {{"ws", ws}, {"id", company_id}});
    if (!row) return fail(Error::not_found("company"));
    RowView r(*row, 0);
    Company c{r.text("name"), r.text("stripe_customer_id"), ""};
    std::optional<Rows> email;
    if (!person_id.empty()) email = tx.query_one(kSelectPersonEmail, {{"ws", ws}, {"id", person_id}});
    if (!email || RowView(*email, 0).text("email").empty())
      email = tx.query_one(kSelectCompanyEmail, {{"ws", ws}, {"company", company_id}});
    if (email) c.email = RowView(*email, 0).text("email");
    return c;
  });
  if (!company) return fail(company.error());
  if (!company->customer.empty()) return company->customer;

  // Found first by metadata, so that a create whose answer was lost is not repeated.
  auto found = client.search_customers(stripe::metadata_query("settleCompanyId", company_id), 1);
  if (!found) return fail(with_context(found.error(), "looking for the company's Stripe customer"));
  std::string customer_id;
  if (!found->data.empty() && !found->data.front().deleted) {
    customer_id = found->data.front().id;
  } else {
    FormParams p = FormParams::object();
    p["name"] = company->name;
    if (!company->email.empty()) p["email"] = company->email;
    p["metadata"] = {{"settleCompanyId", company_id}, {"settleWorkspaceId", ws}};
    auto created = client.create_customer(idem(ws, "company", company_id, with_hash("customer", p)), p);
    if (!created) return fail(with_context(created.error(), "creating the company's Stripe customer"));
    customer_id = created->id;
  }
  if (auto st = exec_write(db, kSetCompanyCustomer,
                           {{"customer", customer_id}, {"now", store::now_timestamp()}, {"ws", ws}, {"id", company_id}});
      !st)
    return fail(st.error());
  spdlog::info("company {} is Stripe customer {}", company_id, customer_id);
  return customer_id;
}

Result<std::string> ensure_catalog_product(const stripe::Client& client, store::Database& db, const std::string& ws,
                                           const std::string& product_id) {
  auto row = db.read<Rows>([&](Tx& tx) -> Result<Rows> {
    auto r = tx.query_one(kSelectProduct, {{"ws", ws}, {"id", product_id}});
    if (!r) return fail(Error::not_found("product"));
    return std::move(*r);
  });
  if (!row) return fail(row.error());
  RowView r(*row, 0);
  if (!r.text("stripe_product_id").empty()) return r.text("stripe_product_id");
  FormParams p = FormParams::object();
  p["name"] = r.text("name");
  if (!r.text("description").empty()) p["description"] = r.text("description");
  p["metadata"] = {{"settleProductId", product_id}, {"settleWorkspaceId", ws}};
  // Its list price as the product's default price, so Stripe's catalogue shows it; document
  // lines carry their own unit amount (price_data), which may differ from the list price.
  p["default_price_data"] = {{"currency", ascii_lower(r.text("currency"))}, {"unit_amount", r.integer("unit_amount")}};
  auto created = client.create_product(idem(ws, "product", product_id, with_hash("create", p)), p);
  if (!created) return fail(with_context(created.error(), "creating the Stripe product"));
  if (auto st = exec_write(db, kSetProductStripeId,
                           {{"product", created->id},
                            {"price", created->default_price ? SqlValue(*created->default_price) : SqlValue(nullptr)},
                            {"now", store::now_timestamp()},
                            {"ws", ws},
                            {"id", product_id}});
      !st)
    return fail(st.error());
  return created->id;
}

// The workspace's product for free-text lines ("services") or for tax lines ("tax").
Result<std::string> ensure_workspace_product(const stripe::Client& client, store::Database& db, const std::string& ws,
                                             bool tax) {
  auto row = db.read<Rows>([&](Tx& tx) -> Result<Rows> {
    auto r = tx.query_one(kSelectWorkspaceProducts, {{"ws", ws}});
    if (!r) return fail(Error::validation("secretKey", "the workspace has no Stripe settings"));
    return std::move(*r);
  });
  if (!row) return fail(row.error());
  RowView r(*row, 0);
  std::string existing = r.text(tax ? "tax_product_id" : "free_text_product_id");
  if (!existing.empty()) return existing;
  FormParams p = FormParams::object();
  p["name"] = tax ? std::string("Tax") : r.text("name") + " services";
  p["metadata"] = {{"settleWorkspaceId", ws}, {"settleProductRole", tax ? "tax" : "free-text"}};
  auto created = client.create_product(idem(ws, "workspace", ws, tax ? "tax-product" : "free-text-product"), p);
  if (!created) return fail(with_context(created.error(), "creating the workspace's Stripe product"));
  if (auto st = exec_write(db, tax ? kSetTaxProduct : kSetFreeTextProduct, {{"product", created->id}, {"ws", ws}}); !st)
    return fail(st.error());
  return created->id;
}

// The Stripe product of each CRM line (in order).
Result<std::vector<std::string>> line_products(const stripe::Client& client, store::Database& db,
                                               const std::string& ws, const json& lines) {
  std::vector<std::string> out;
  std::optional<std::string> free_text;
  for (const auto& line : lines) {
    if (line["productId"].is_string()) {
      auto p = ensure_catalog_product(client, db, ws, line["productId"].get<std::string>());
      if (!p) return fail(p.error());
      out.push_back(*p);
    } else {
      if (!free_text) {
        auto p = ensure_workspace_product(client, db, ws, false);
        if (!p) return fail(p.error());
        free_text = *p;
      }
      out.push_back(*free_text);
    }
  }
  return out;
}

// ---- Invoice lines --------------------------------------------------------------------------

struct WantedLine {
  std::string description;
  std::int64_t quantity = 1;
  std::int64_t unit_amount = 0;
  std::int64_t amount = 0;
  std::string product;  // empty for the tax line, which is an amount
};

std::vector<WantedLine> wanted_lines(const json& lines, const std::vector<std::string>& products, std::int64_t tax,
                                     const std::string& tax_product) {
  std::vector<WantedLine> out;
  for (size_t i = 0; i < lines.size(); ++i)
    out.push_back({lines[i]["description"].get<std::string>(), lines[i]["quantity"].get<std::int64_t>(),
                   lines[i]["unitAmount"].get<std::int64_t>(), lines[i]["amount"].get<std::int64_t>(), products[i]});
  if (tax > 0) out.push_back({"Tax", 1, tax, tax, tax_product});
  return out;
}

// Makes the lines of a draft Stripe invoice equal to `wanted`: kept when they already are
// (a retry), else every item is removed and the wanted ones added.
Status sync_invoice_lines(const stripe::Client& client, const std::string& ws, const std::string& crm_id,
                          const stripe::Invoice& invoice, const std::vector<WantedLine>& wanted) {
  std::vector<stripe::InvoiceLineItem> current;
  stripe::ListParams page;
  page.limit = 100;
  for (int i = 0; i < kMaxPages; ++i) {
    auto lines = client.list_invoice_lines(invoice.id, page);
    if (!lines) return fail(with_context(lines.error(), "reading the Stripe invoice's lines"));
    current.insert(current.end(), lines->data.begin(), lines->data.end());
    if (!lines->has_more || lines->data.empty()) break;
    page.starting_after = lines->data.back().id;
  }
  bool same = current.size() == wanted.size();
  for (size_t i = 0; same && i < current.size(); ++i)
    same = current[i].amount == wanted[i].amount && current[i].description.value_or("") == wanted[i].description &&
           current[i].quantity.value_or(1) == wanted[i].quantity;
  if (same) return {};

  // The keys of the new items name the items they replace, so that a later rebuild (after
  // a crash halfway) makes new items instead of replaying these.
  std::string replaced;
  for (const auto& line : current) replaced += line.id + ",";
  json desired = json::array();
  for (const auto& w : wanted) desired.push_back({w.description, w.quantity, w.unit_amount, w.product});
  std::string generation = sha256_hex(replaced + desired.dump()).substr(0, 16);

  for (const auto& line : current) {
    if (!line.invoice_item) return fail(Error::upstream("the Stripe invoice has a line Settle cannot replace",
                                                        "invoice " + invoice.id + " line " + line.id));
    auto removed = client.request("DELETE", "/v1/invoiceitems/" + *line.invoice_item);
    if (!removed && removed.error().code != ErrorCode::NotFound)
      return fail(with_context(removed.error(), "replacing the Stripe invoice's lines"));
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    const auto& w = wanted[i];
    FormParams p = FormParams::object();
    p["customer"] = invoice.customer;
    p["invoice"] = invoice.id;
    p["currency"] = invoice.currency;
    p["description"] = w.description;
    if (w.product.empty()) {
      p["amount"] = w.amount;
    } else {
      p["quantity"] = w.quantity;
      p["price_data"] = {{"currency", invoice.currency}, {"product", w.product}, {"unit_amount", w.unit_amount}};
    }
    p["metadata"] = {{"settleInvoiceId", crm_id}, {"settleLine", i + 1 == wanted.size() && w.description == "Tax" && w.product.empty() ? "tax" : std::to_string(i)}};
    auto item = client.create_invoice_item(idem(ws, "invoice", crm_id, "line:" + generation + ":" + std::to_string(i)), p);
    if (!item) return fail(with_context(item.error(), "adding a line to the Stripe invoice"));
  }
  return {};
}

}  // namespace

StripeSync::StripeSync(std::shared_ptr<Records> records, std::shared_ptr<StripeSettings> settings)
    : records_(std::move(records)), settings_(std::move(settings)) {}

namespace {

// The outbound steps, with the client of the workspace and the records.
struct Outbound {
  const stripe::Client& client;
  Records& records;
  StripeSettings& settings;
  const Actor& actor;
  store::Database& db() { return records.db(); }
  const std::string& ws() { return actor.workspace_id; }

  // The CRM move after Stripe has made it. Stripe's webhook for the move may have been
  // applied first (the processor converges the record meanwhile): already being in the
  // target status is then success, not a conflict.
  Result<json> act_after_stripe(const ObjectDef& o, std::string_view id, std::string_view action,
                                std::string_view target) {
    auto done = records.act(actor, o, id, action, json::object());
    if (done || done.error().code != ErrorCode::Conflict) return done;
    auto now = db().read<json>([&](Tx& tx) { return load_json(tx, o, ws(), id); });
    if (now && (*now)["status"] == target) return now;
    return done;
  }

  // ---- Quotes ------------------------------------------------------------------------------
  Result<json> finalize_quote(std::string_view id) {
    auto doc = load_document(db(), quotes_def(), ws(), id);
    if (!doc) return fail(doc.error());
    RowView q = doc->view();
    // What the CRM refuses anyway (not a draft, no lines) is refused before Stripe is called.
    auto move = billing::apply(billing::QuoteAction::Finalize, *billing::parse_quote_status(q.text("status")));
    if (!move || doc->lines.empty()) return records.act(actor, quotes_def(), id, "finalize", json::object());
    auto expires = q.is_null("expires_at") ? std::optional<std::int64_t>(unix_seconds_now() + 30 * 86400)
                                           : unix_seconds(q.text("expires_at"));
    if (!expires || *expires <= unix_seconds_now() + 60)
      return fail(Error::validation("expiresAt", "the quote's expiresAt has passed; set a later one to finalize it"));

    auto customer = ensure_customer(client, db(), ws(), q.text("company_id"), q.text("person_id"));
    if (!customer) return fail(customer.error());
    auto products = line_products(client, db(), ws(), doc->lines);
    if (!products) return fail(products.error());
    std::string tax_product;
    if (q.integer("tax_amount") > 0) {
      auto p = ensure_workspace_product(client, db(), ws(), true);
      if (!p) return fail(p.error());
      tax_product = *p;
    }
    std::string currency = ascii_lower(q.text("currency"));
    FormParams p = FormParams::object();
    p["customer"] = *customer;
    p["collection_method"] = "send_invoice";
    p["invoice_settings"] = {{"days_until_due", kQuoteInvoiceDaysUntilDue}};
    p["expires_at"] = *expires;
    p["header"] = "Quote " + q.text("quote_number");
    if (!q.text("notes").empty()) p["description"] = q.text("notes").substr(0, 500);
    p["metadata"] = {{"settleWorkspaceId", ws()},
                     {"settleQuoteId", std::string(id)},
                     {"settleQuoteNumber", q.text("quote_number")},
                     {"settleCompanyId", q.text("company_id")}};
    FormParams items = FormParams::array();
    for (auto& w : wanted_lines(doc->lines, *products, q.integer("tax_amount"), tax_product))
      items.push_back({{"price_data", {{"currency", currency}, {"product", w.product}, {"unit_amount", w.unit_amount}}},
                       {"quantity", w.quantity}});
    p["line_items"] = items;

    std::optional<stripe::Quote> quote;
    if (!q.text("stripe_quote_id").empty()) {
      auto existing = client.retrieve_quote(q.text("stripe_quote_id"));
      if (!existing) return fail(with_context(existing.error(), "reading the Stripe quote"));
      quote = *existing;
      if (quote->status == "draft") {
        auto updated = client.update_quote(quote->id, idem(ws(), "quote", id, with_hash("update", p)), p);
        if (!updated) return fail(with_context(updated.error(), "updating the Stripe quote"));
        quote = *updated;
      } else if (quote->status != "open") {
        return fail(Error::conflict("the Stripe quote " + quote->id + " is " + quote->status, "stripeQuoteId"));
      }
    } else {
      auto created = client.create_quote(idem(ws(), "quote", id, with_hash("create", p)), p);
      if (!created) return fail(with_context(created.error(), "creating the Stripe quote"));
      quote = *created;
      if (auto st = exec_write(db(), kSetQuoteStripeQuote, {{"sid", quote->id}, {"customer", *customer},
                                                             {"now", store::now_timestamp()}, {"ws", ws()},
                                                             {"id", std::string(id)}});
          !st)
        return fail(st.error());
    }
    if (quote->amount_total != q.integer("total"))
      return fail(Error::upstream("Stripe's quote total " + display_amount(quote->amount_total, q.text("currency")) +
                                      " differs from Settle's " + display_amount(q.integer("total"), q.text("currency")),
                                  "quote " + quote->id + " amount_total mismatch"));
    if (quote->status == "draft") {
      auto finalized = client.finalize_quote(quote->id, idem(ws(), "quote", id, "finalize"));
      if (!finalized) return fail(with_context(finalized.error(), "finalizing the Stripe quote"));
      quote = *finalized;
    }
    std::map<std::string, SqlValue> also{
        {"stripe_quote_id", quote->id},
        {"stripe_customer_id", *customer},
        {"stripe_quote_url", quote_page_url(settings.options().api_base, quote->id, quote->livemode)},
        {"stripe_pdf_url", "/rest/quotes/" + std::string(id) + "/stripe-pdf"},
        {"stripe_sync_status", std::string("synced")},
        {"stripe_sync_error", nullptr}};
    return records.act(actor, quotes_def(), id, "finalize", json::object(), also);
  }

  // The order's hold on the invoice Stripe made for an accepted quote: no automatic
  // finalization, so it is neither sent nor charged until Settle finalizes the CRM invoice.
  Status hold_quote_invoice(const std::string& order_id, const std::string& stripe_invoice_id) {
    FormParams p = FormParams::object();
    p["auto_advance"] = false;
    p["metadata"] = {{"settleWorkspaceId", ws()}, {"settleOrderId", order_id}};
    auto invoice = client.retrieve_invoice(stripe_invoice_id);
    if (!invoice) return fail(with_context(invoice.error(), "reading the accepted quote's Stripe invoice"));
    if (invoice->status == "draft") {
      auto held = client.update_invoice(stripe_invoice_id, idem(ws(), "order", order_id, "hold-invoice"), p);
      if (!held) return fail(with_context(held.error(), "holding the accepted quote's Stripe invoice"));
    }
    return exec_write(db(), kSetOrderStripeInvoice,
                      {{"sid", stripe_invoice_id}, {"now", store::now_timestamp()}, {"ws", ws()}, {"id", order_id}});
  }

  // The CRM side of an accepted Stripe quote: the order (once), holding Stripe's invoice.
  Result<json> accept_locally(std::string_view id, const std::optional<std::string>& stripe_invoice_id) {
    auto quote = records.act(actor, quotes_def(), id, "accept", json::object(),
                             {{"stripe_sync_status", std::string("synced")}, {"stripe_sync_error", nullptr}});
    if (!quote) return quote;
    if (stripe_invoice_id && (*quote)["orderId"].is_string())
      if (auto st = hold_quote_invoice((*quote)["orderId"].get<std::string>(), *stripe_invoice_id); !st)
        return fail(st.error());
    return quote;
  }

  Result<json> accept_quote(std::string_view id) {
    auto doc = load_document(db(), quotes_def(), ws(), id);
    if (!doc) return fail(doc.error());
    RowView q = doc->view();
    std::string sid = q.text("stripe_quote_id");
    if (sid.empty() || q.text("status") != "Open") return records.act(actor, quotes_def(), id, "accept", json::object());
    auto quote = client.retrieve_quote(sid);
    if (!quote) return fail(with_context(quote.error(), "reading the Stripe quote"));
    if (quote->status == "open") {
      auto accepted = client.accept_quote(sid, idem(ws(), "quote", id, "accept"));
      if (!accepted) return fail(with_context(accepted.error(), "accepting the Stripe quote"));
      quote = *accepted;
    }
    if (quote->status != "accepted")
      return fail(Error::conflict("the Stripe quote " + sid + " is " + quote->status, "stripeQuoteId"));
    return accept_locally(id, quote->invoice);
  }

  Result<json> cancel_quote(std::string_view id) {
    auto doc = load_document(db(), quotes_def(), ws(), id);
    if (!doc) return fail(doc.error());
    RowView q = doc->view();
    std::string sid = q.text("stripe_quote_id");
    auto move = billing::apply(billing::QuoteAction::Cancel, *billing::parse_quote_status(q.text("status")));
    if (!sid.empty() && move) {
      auto quote = client.retrieve_quote(sid);
      if (!quote) return fail(with_context(quote.error(), "reading the Stripe quote"));
      if (quote->status == "accepted")
        return fail(Error::conflict("the customer has already accepted this quote at Stripe", "status"));
      if (quote->status == "draft" || quote->status == "open") {
        auto canceled = client.cancel_quote(sid, idem(ws(), "quote", id, "cancel"));
        if (!canceled) return fail(with_context(canceled.error(), "canceling the Stripe quote"));
      }
      return act_after_stripe(quotes_def(), id, "cancel", "Canceled");
    }
    return records.act(actor, quotes_def(), id, "cancel", json::object());
  }

  // ---- Invoices -----------------------------------------------------------------------------
  // Finds or makes the Stripe invoice of a CRM invoice and stores its id.
  Result<stripe::Invoice> stripe_invoice_for(std::string_view id, const RowView& inv, const std::string& customer,
                                             std::int64_t days_until_due) {
    std::string sid = inv.text("stripe_invoice_id");
    if (sid.empty() && !inv.text("order_id").empty()) {
      // Adopt the invoice Stripe made when the order's quote was accepted.
      auto order = load_document(db(), orders_def(), ws(), inv.text("order_id"));
      if (order) sid = order->view().text("stripe_invoice_id");
    }
    std::string currency = ascii_lower(inv.text("currency"));
    if (sid.empty()) {
      // An invoice made earlier whose id was never stored (the answer was lost).
      FormParams filters = FormParams::object();
      filters["customer"] = customer;
      filters["status"] = "draft";
      filters["limit"] = 100;
      auto drafts = client.request("GET", "/v1/invoices", filters);
      if (!drafts) return fail(with_context(drafts.error(), "looking for the Stripe invoice"));
      for (const auto& d : (*drafts)["data"])
        if (d["metadata"].is_object() && d["metadata"].value("settleInvoiceId", "") == id) sid = d["id"];
    }
    if (sid.empty()) {
      FormParams p = FormParams::object();
      p["customer"] = customer;
      p["currency"] = currency;
      p["collection_method"] = "send_invoice";
      p["days_until_due"] = days_until_due;
      p["auto_advance"] = false;
      p["pending_invoice_items_behavior"] = "exclude";
      p["metadata"] = {{"settleWorkspaceId", ws()}, {"settleInvoiceId", std::string(id)}};
      auto created = client.create_invoice(idem(ws(), "invoice", id, with_hash("create", p)), p);
      if (!created) return fail(with_context(created.error(), "creating the Stripe invoice"));
      sid = created->id;
    }
    if (auto st = exec_write(db(), kSetInvoiceStripeInvoice, {{"sid", sid}, {"customer", customer},
                                                               {"now", store::now_timestamp()}, {"ws", ws()},
                                                               {"id", std::string(id)}});
        !st)
      return fail(st.error());
    auto invoice = client.retrieve_invoice(sid);
    if (!invoice) return fail(with_context(invoice.error(), "reading the Stripe invoice"));
    if (invoice->currency != currency)
      return fail(Error::conflict("the Stripe invoice " + sid + " is in " + invoice->currency + ", this invoice in " +
                                      inv.text("currency"),
                                  "currency"));
    return std::move(*invoice);
  }

  Result<json> finalize_invoice(std::string_view id) {
    auto doc = load_document(db(), invoices_def(), ws(), id);
    if (!doc) return fail(doc.error());
    RowView inv = doc->view();
    auto move = billing::apply(billing::InvoiceAction::Finalize, *billing::parse_invoice_status(inv.text("status")));
    if (!move || doc->lines.empty()) return records.act(actor, invoices_def(), id, "finalize", json::object());

    auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    auto issue = inv.is_null("issue_date") ? std::optional(today) : parse_day(inv.text("issue_date"));
    auto due = inv.is_null("due_date") ? std::optional(*issue + std::chrono::days(kPaymentTermsDays))
                                       : parse_day(inv.text("due_date"));
    if (!issue || !due || *due < *issue)
      return fail(Error::validation("dueDate", "dueDate is before issueDate"));
    std::int64_t days_until_due = std::max<std::int64_t>(0, (*due - today).count());

    auto customer = ensure_customer(client, db(), ws(), inv.text("company_id"), "");
    if (!customer) return fail(customer.error());
    auto invoice = stripe_invoice_for(id, inv, *customer, days_until_due);
    if (!invoice) return fail(invoice.error());

    if (invoice->status == "draft") {
      auto products = line_products(client, db(), ws(), doc->lines);
      if (!products) return fail(products.error());
      auto wanted = wanted_lines(doc->lines, *products, inv.integer("tax_amount"), "");
      if (auto st = sync_invoice_lines(client, ws(), std::string(id), *invoice, wanted); !st) return fail(st.error());
      FormParams terms = FormParams::object();
      terms["collection_method"] = "send_invoice";
      terms["days_until_due"] = days_until_due;
      terms["auto_advance"] = false;
      terms["payment_settings"] = {{"payment_method_types", {"card", "us_bank_account"}}};
      terms["metadata"] = {{"settleWorkspaceId", ws()},
                           {"settleInvoiceId", std::string(id)},
                           {"settleOrderId", inv.text("order_id")},
                           {"settleCompanyId", inv.text("company_id")}};
      auto updated = client.update_invoice(invoice->id, idem(ws(), "invoice", id, with_hash("terms", terms)), terms);
      if (!updated) return fail(with_context(updated.error(), "setting the Stripe invoice's terms"));
      if (updated->total != inv.integer("total"))
        return fail(Error::upstream("Stripe's invoice total " + display_amount(updated->total, inv.text("currency")) +
                                        " differs from Settle's " + display_amount(inv.integer("total"), inv.text("currency")),
                                    "invoice " + invoice->id + " total mismatch"));
      FormParams finalize = FormParams::object();
      finalize["auto_advance"] = false;
      auto finalized = client.finalize_invoice(invoice->id, idem(ws(), "invoice", id, "finalize"), finalize);
      if (!finalized) return fail(with_context(finalized.error(), "finalizing the Stripe invoice"));
      invoice = std::move(*finalized);
      auto sent = client.send_invoice(invoice->id, idem(ws(), "invoice", id, "send"));
      if (!sent) return fail(with_context(sent.error(), "sending the Stripe invoice"));
      invoice = std::move(*sent);
    } else if (invoice->status == "open") {
      auto sent = client.send_invoice(invoice->id, idem(ws(), "invoice", id, "send"));
      if (!sent) return fail(with_context(sent.error(), "sending the Stripe invoice"));
      invoice = std::move(*sent);
    }
    std::map<std::string, SqlValue> also{{"stripe_invoice_id", invoice->id},
                                        {"stripe_customer_id", *customer},
                                        {"stripe_invoice_url", invoice->hosted_invoice_url.value_or("")},
                                        {"stripe_pdf_url", invoice->invoice_pdf.value_or("")},
                                        {"issue_date", format_day(*issue)},
                                        {"due_date", format_day(*due)},
                                        {"stripe_sync_status", std::string("synced")},
                                        {"stripe_sync_error", nullptr},
                                        {"last_synced_at", store::now_timestamp()}};
    auto done = finish_local_finalize(id, also);
    if (!done) return done;
    if (invoice->status != "open") return converge_invoice(id, false);  // already paid or voided at Stripe
    return done;
  }

  // The CRM side of a finalize Stripe has done: numbered, Open, Stripe's answer stored.
  // The inbox processor may get there first (Stripe's invoice.finalized arrives while the
  // action is still running, or after a crash): then only the Stripe fields are stored.
  Result<json> finish_local_finalize(std::string_view id, const std::map<std::string, SqlValue>& also) {
    auto done = records.act(actor, invoices_def(), id, "finalize", json::object(), also);
    if (done || done.error().code != ErrorCode::Conflict) return done;
    return db().write<json>([&](Tx& tx) -> Result<json> {
      auto rows = load_for_update(tx, invoices_def(), ws(), id);
      if (!rows) return fail(Error::not_found("invoice"));
      if (RowView(*rows, 0).text("status") == "Draft") return fail(done.error());
      Values v(also.begin(), also.end());
      for (const char* kept : {"issue_date", "due_date"}) v.erase(kept);  // set by the finalize that won
      v["updated_at"] = store::now_timestamp();
      update_columns(tx, invoices_def(), ws(), id, v);
      return load_json(tx, invoices_def(), ws(), id);
    });
  }

  // void / mark-uncollectible: the same move at Stripe first.
  Result<json> close_invoice(std::string_view id, std::string_view action) {
    auto doc = load_document(db(), invoices_def(), ws(), id);
    if (!doc) return fail(doc.error());
    RowView inv = doc->view();
    std::string sid = inv.text("stripe_invoice_id");
    auto a = billing::parse_invoice_action(action);
    // What the CRM refuses anyway (a void of an invoice holding money, say) is refused
    // before Stripe is called.
    auto move = billing::apply(*a, invoice_amounts(inv));
    if (!sid.empty() && move) {
      auto invoice = client.retrieve_invoice(sid);
      if (!invoice) return fail(with_context(invoice.error(), "reading the Stripe invoice"));
      bool voiding = *a == billing::InvoiceAction::Void;
      if (invoice->status == "open" || (voiding && invoice->status == "uncollectible")) {
        auto moved = voiding ? client.void_invoice(sid, idem(ws(), "invoice", id, "void"))
                             : client.mark_invoice_uncollectible(sid, idem(ws(), "invoice", id, "mark_uncollectible"));
        if (!moved) return fail(with_context(moved.error(), voiding ? "voiding the Stripe invoice"
                                                                    : "marking the Stripe invoice uncollectible"));
      } else if (invoice->status == "paid") {
        return fail(Error::conflict("the invoice is already paid at Stripe", "status"));
      }
      return act_after_stripe(invoices_def(), id, action, voiding ? "Void" : "Uncollectible");
    }
    return records.act(actor, invoices_def(), id, action, json::object());
  }

  // ---- Converging an invoice on Stripe ------------------------------------------------------
  struct StripePayment {
    std::string payment_intent, charge, method;
    std::int64_t amount = 0;
    std::string paid_at;
  };
  struct StripeRefund {
    std::string id, charge, payment_intent;
    std::int64_t amount = 0;
    std::string created_at;
  };

  Result<json> converge_invoice(std::string_view id, bool payment_failed) {
    auto doc = load_document(db(), invoices_def(), ws(), id);
    if (!doc) return fail(doc.error());
    std::string sid = doc->view().text("stripe_invoice_id");
    if (sid.empty()) return load_json_of(id);
    auto invoice = client.retrieve_invoice(sid);
    if (!invoice) return fail(with_context(invoice.error(), "reading the Stripe invoice"));

    if (doc->view().text("status") == "Draft") {
      if (invoice->status == "draft") return load_json_of(id);
      // Finalized at Stripe but not here (a finalize that stopped halfway): finish it.
      std::map<std::string, SqlValue> also{{"stripe_invoice_url", invoice->hosted_invoice_url.value_or("")},
                                          {"stripe_pdf_url", invoice->invoice_pdf.value_or("")},
                                          {"stripe_sync_status", std::string("synced")},
                                          {"stripe_sync_error", nullptr}};
      auto done = finish_local_finalize(id, also);
      if (!done) return fail(done.error());
    }

    std::vector<StripePayment> payments;
    std::vector<StripeRefund> refunds;
    stripe::ListParams page;
    page.limit = 100;
    for (int i = 0; i < kMaxPages; ++i) {
      auto list = client.list_invoice_payments(sid, page);
      if (!list) return fail(with_context(list.error(), "reading the Stripe invoice's payments"));
      for (const auto& p : list->data) {
        if (p.status != "paid" || !p.payment_intent) continue;
        StripePayment sp{*p.payment_intent, "", "card", p.amount_paid.value_or(p.amount_requested),
                         timestamp_of_unix(p.paid_at.value_or(p.created))};
        auto intent = client.retrieve_payment_intent(*p.payment_intent);
        if (!intent) return fail(with_context(intent.error(), "reading a Stripe payment"));
        if (intent->latest_charge) {
          auto charge = client.retrieve_charge(*intent->latest_charge);
          if (!charge) return fail(with_context(charge.error(), "reading a Stripe charge"));
          sp.charge = charge->id;
          if (charge->payment_method_type == "us_bank_account") sp.method = "us_bank_account";
          if (charge->amount_refunded > 0) {
            FormParams filter = FormParams::object();
            filter["charge"] = charge->id;
            filter["limit"] = 100;
            auto listed = client.request("GET", "/v1/refunds", filter);
            if (!listed) return fail(with_context(listed.error(), "reading a charge's Stripe refunds"));
            auto parsed = stripe::parse_list(*listed, stripe::parse_refund, "refunds");
            if (!parsed) return fail(parsed.error());
            for (const auto& r : parsed->data)
              if (r.status.value_or("succeeded") == "succeeded")
                refunds.push_back({r.id, charge->id, *p.payment_intent, r.amount, timestamp_of_unix(r.created)});
          }
        }
        payments.push_back(std::move(sp));
      }
      if (!list->has_more || list->data.empty()) break;
      page.starting_after = list->data.back().id;
    }
    return apply_converged(id, *invoice, payments, refunds, payment_failed);
  }

  Result<json> load_json_of(std::string_view id) {
    return db().read<json>([&](Tx& tx) { return load_json(tx, invoices_def(), ws(), id); });
  }

  Result<json> apply_converged(std::string_view id, const stripe::Invoice& invoice,
                               const std::vector<StripePayment>& payments, const std::vector<StripeRefund>& refunds,
                               bool payment_failed) {
    return db().write<json>([&](Tx& tx) -> Result<json> {
      const ObjectDef& o = invoices_def();
      // Locked first, so that the invoice is read after any move being committed meanwhile.
      auto rows = load_for_update(tx, o, ws(), id);
      if (!rows) return fail(Error::not_found("invoice"));
      RowView inv(*rows, 0);
      json before = records.before_image(tx, actor, o, RecordChange::Updated, id);
      std::set<std::string> known_intents, known_refunds;
      std::int64_t paid = 0, refunded = 0;
      Rows recorded = tx.query(kSelectInvoicePayments, {{"ws", ws()}, {"invoice", std::string(id)}});
      for (size_t i = 0; i < recorded.size(); ++i) {
        RowView p(recorded, i);
        if (p.text("kind") == "payment") {
          paid += p.integer("amount");
          if (!p.text("stripe_payment_intent_id").empty()) known_intents.insert(p.text("stripe_payment_intent_id"));
        } else {
          refunded += p.integer("amount");
          if (!p.text("stripe_refund_id").empty()) known_refunds.insert(p.text("stripe_refund_id"));
        }
      }
      auto record = [&](const std::string& kind, std::int64_t amount, const std::string& method,
                        const std::string& at, const std::string& pi, const std::string& charge,
                        const std::string& refund) {
        std::string pid = random_id("pay");
        std::string now = store::now_timestamp();
        Values v{{"id", pid},
                 {"created_at", now},
                 {"updated_at", now},
                 {"created_by", nullptr},
                 {"invoice_id", std::string(id)},
                 {"company_id", inv.at("company_id")},
                 {"kind", kind},
                 {"amount", amount},
                 {"currency", inv.text("currency")},
                 {"status", std::string("succeeded")},
                 {"method", method},
                 {"received_at", at},
                 {"stripe_payment_intent_id", pi},
                 {"stripe_charge_id", charge.empty() ? SqlValue(nullptr) : SqlValue(charge)},
                 {"stripe_refund_id", refund.empty() ? SqlValue(nullptr) : SqlValue(refund)}};
        insert(tx, payments_def(), ws(), v);
        add_event(tx, actor, payments_def(), pid, "created");
        // As a manual payment does: the invoice's running total before and after.
        std::int64_t& running = kind == "payment" ? paid : refunded;
        add_event(tx, actor, o, id, kind == "payment" ? "payment_recorded" : "refund_recorded",
                  kind == "payment" ? "amountPaid" : "amountRefunded", running, running + amount);
        running += amount;
      };
      std::string last_intent, last_charge;
      for (const auto& p : payments) {
        last_intent = p.payment_intent;
        last_charge = p.charge;
        if (known_intents.count(p.payment_intent)) continue;
        record("payment", p.amount, p.method, p.paid_at, p.payment_intent, p.charge, "");
      }
      for (const auto& r : refunds) {
        if (known_refunds.count(r.id)) continue;
        std::string method = "card";  // a refund goes back the way its payment came
        for (const auto& p : payments)
          if (p.payment_intent == r.payment_intent) method = p.method;
        record("refund", r.amount, method, r.created_at, r.payment_intent, r.charge, r.id);
      }
      Values v{{"last_synced_at", store::now_timestamp()},
               {"stripe_sync_status", std::string("synced")},
               {"stripe_sync_error", nullptr}};
      if (!last_intent.empty()) v["stripe_payment_intent_id"] = last_intent;
      if (!last_charge.empty()) v["stripe_charge_id"] = last_charge;
      if (invoice.hosted_invoice_url) v["stripe_invoice_url"] = *invoice.hosted_invoice_url;
      if (invoice.invoice_pdf) v["stripe_pdf_url"] = *invoice.invoice_pdf;
      auto after = converge_invoice_money(tx, actor, inv, invoice.status, paid, refunded, payment_failed, v);
      if (!after) return fail(after.error());
      // The task for the owner and the email to the billing contact are WF-007's, a
      // workflow an ADMIN can change (src/workflow/builtin.cpp).
      if (!before.is_null()) records.notify(tx, actor, o, RecordChange::Updated, before, id);
      return load_json(tx, o, ws(), id);
    });
  }
};

}  // namespace

Result<json> StripeSync::act(const Actor& actor, const ObjectDef& object, std::string_view id, std::string_view route_action,
                             const json& body) {
  // The route says mark-uncollectible (URL style), the lifecycle mark_uncollectible.
  std::string_view action = route_action == "mark-uncollectible" ? "mark_uncollectible" : route_action;
  bool quote_action = object.kind == DocumentKind::Quote && (action == "finalize" || action == "accept" || action == "cancel");
  bool invoice_action = object.kind == DocumentKind::Invoice &&
                        (action == "finalize" || action == "void" || action == "mark_uncollectible");
  if (!quote_action && !invoice_action) return records_->act(actor, object, id, action, body);
  auto client = settings_->client(actor.workspace_id);
  if (!client) return fail(client.error());
  if (!*client) return records_->act(actor, object, id, action, body);

  Outbound out{**client, *records_, *settings_, actor};
  Result<json> result = [&]() -> Result<json> {
    if (quote_action) {
      if (action == "finalize") return out.finalize_quote(id);
      if (action == "accept") return out.accept_quote(id);
      return out.cancel_quote(id);
    }
    if (action == "finalize") return out.finalize_invoice(id);
    return out.close_invoice(id, action);
  }();
  if (!result && (result.error().code == ErrorCode::Upstream || result.error().code == ErrorCode::Unavailable ||
                  result.error().details.contains("stripe")))
    mark_sync_failed(records_->db(), object, actor.workspace_id, id, result.error());
  return result;
}

Result<json> StripeSync::refresh_invoice(const Actor& actor, std::string_view invoice_id) {
  auto client = settings_->client(actor.workspace_id);
  if (!client) return fail(client.error());
  if (!*client) return records_->get(actor, invoices_def(), invoice_id);
  Outbound out{**client, *records_, *settings_, actor};
  return out.converge_invoice(invoice_id, false);
}

// ---- Inbound events ----------------------------------------------------------------------------

Result<std::string> StripeSync::apply_event(const std::string& ws, const json& event, bool& ignored,
                                            EventTarget* target) {
  ignored = false;
  auto parsed = stripe::parse_event(event);
  if (!parsed) return fail(parsed.error());
  const stripe::Event& e = *parsed;
  auto client = settings_->client(ws);
  if (!client) return fail(client.error());
  if (!*client) {
    ignored = true;
    return std::string("the workspace has no Stripe key");
  }
  Actor actor = stripe_actor(ws);
  Outbound out{**client, *records_, *settings_, actor};
  store::Database& db = records_->db();
  // The id (first column) of the one local record `sql` finds, or "".
  auto find = [&](const char* sql, const std::string& key, const std::string& value) -> Result<std::string> {
    return db.read<std::string>([&](Tx& tx) -> Result<std::string> {
      auto row = tx.query_one(sql, {{"ws", ws}, {key, value}});
      if (!row) return std::string();
      auto& first = row->rows[0][0];
      return std::holds_alternative<std::string>(first) ? std::get<std::string>(first) : std::string();
    });
  };

  if (e.object_type == "quote") {
    auto local = find(kFindQuoteByStripeId, "sid", e.object_id);
    if (!local) return fail(local.error());
    if (local->empty()) {
      ignored = true;
      return "quote " + e.object_id + " is not a Settle quote";
    }
    if (target) *target = {"quotes", *local};
    auto quote = out.client.retrieve_quote(e.object_id);
    if (!quote) return fail(quote.error());
    auto doc = load_document(db, quotes_def(), ws, *local);
    if (!doc) return fail(doc.error());
    std::string status = doc->view().text("status");
    std::string number = doc->view().text("quote_number");
    if (quote->status == "accepted") {
      if (status == "Accepted" && !doc->view().text("order_id").empty()) {
        // Already applied; make sure the order holds Stripe's invoice.
        auto order = load_document(db, orders_def(), ws, doc->view().text("order_id"));
        if (order && order->view().text("stripe_invoice_id").empty() && quote->invoice)
          if (auto st = out.hold_quote_invoice(doc->view().text("order_id"), *quote->invoice); !st)
            return fail(st.error());
        return "quote " + number + " already accepted";
      }
      auto accepted = out.accept_locally(*local, quote->invoice);
      if (!accepted) return fail(accepted.error());
      auto order = load_document(db, orders_def(), ws, (*accepted)["orderId"].get<std::string>());
      return "quote " + number + " accepted: order " + (order ? order->view().text("order_number") : std::string("created"));
    }
    if (quote->status == "canceled") {
      if (status != "Draft" && status != "Open") return "quote " + number + " is " + status + "; nothing to cancel";
      // Stripe cancels a quote that reaches expires_at: that is an expiry, not a cancellation.
      bool expired = !doc->view().is_null("expires_at") &&
                     unix_seconds(doc->view().text("expires_at")).value_or(INT64_MAX) <= unix_seconds_now() && status == "Open";
      if (expired) {
        auto done = records_->expire_due_quotes(actor);
        if (!done) return fail(done.error());
        return "quote " + number + " expired";
      }
      auto canceled = records_->act(actor, quotes_def(), *local, "cancel", json::object());
      if (!canceled) return fail(canceled.error());
      return "quote " + number + " canceled";
    }
    return "quote " + number + " is " + status + " (Stripe: " + quote->status + ")";
  }

  // Everything else concerns an invoice: find which.
  std::string stripe_invoice;
  std::string payment_intent;
  if (e.object_type == "invoice") stripe_invoice = e.object_id;
  else if (e.object_type == "invoice_payment") stripe_invoice = e.object.value("invoice", "");
  else if (e.object_type == "payment_intent") payment_intent = e.object_id;
  else if (e.object_type == "charge" || e.object_type == "refund") {
    const json& pi = e.object["payment_intent"];
    if (pi.is_string()) payment_intent = pi.get<std::string>();
    else if (pi.is_object()) payment_intent = pi.value("id", "");
  } else {
    ignored = true;
    return e.type + " is not used by Settle";
  }
  std::string local;
  if (!stripe_invoice.empty()) {
    auto found = find(kFindInvoiceByStripeId, "sid", stripe_invoice);
    if (!found) return fail(found.error());
    local = *found;
    if (local.empty()) {
      auto order = db.read<std::string>([&](Tx& tx) -> Result<std::string> {
        auto row = tx.query_one(kFindOrderByStripeInvoice, {{"ws", ws}, {"sid", stripe_invoice}});
        return row ? RowView(*row, 0).text("order_number") : std::string();
      });
      if (!order) return fail(order.error());
      ignored = true;
      return order->empty() ? "invoice " + stripe_invoice + " is not a Settle invoice"
                            : "invoice " + stripe_invoice + " is held for order " + *order + " until it is invoiced";
    }
  } else {
    auto found = find(kFindInvoiceByPaymentIntent, "pi", payment_intent);
    if (!found) return fail(found.error());
    local = *found;
    if (local.empty()) {
      // A payment Settle has not recorded yet: its invoice's events record it.
      ignored = true;
      return "payment " + payment_intent + " is not linked to a Settle invoice (yet)";
    }
  }
  if (target) *target = {"invoices", local};
  auto converged = out.converge_invoice(local, e.type == "invoice.payment_failed");
  if (!converged) return fail(converged.error());
  const json& number = (*converged)["invoiceNumber"];
  return "invoice " + (number.is_string() ? number.get<std::string>() : local) + " is " +
         (*converged)["status"].get<std::string>();
}

Result<std::string> StripeSync::quote_pdf(const Actor& actor, std::string_view quote_id) {
  auto doc = load_document(records_->db(), quotes_def(), actor.workspace_id, quote_id);
  if (!doc) return fail(doc.error());
  std::string sid = doc->view().text("stripe_quote_id");
  if (sid.empty() || doc->view().text("status") == "Draft")
    return fail(Error::conflict("the quote has no Stripe PDF until it is finalized with Stripe", "stripeQuoteId"));
  auto client = settings_->client(actor.workspace_id);
  if (!client) return fail(client.error());
  if (!*client) return fail(Error::validation("secretKey", "the workspace has no Stripe secret key"));
  return (*client)->quote_pdf(sid);
}

// ---- Payment links ------------------------------------------------------------------------------

Result<json> StripeSync::payment_link(const Actor& actor, std::string_view invoice_id, std::string_view base_url,
                                      bool renew) {
  store::Database& db = records_->db();
  return db.write<json>([&](Tx& tx) -> Result<json> {
    const ObjectDef& o = invoices_def();
    // Locked: two concurrent requests answer the same new link, not one each.
    auto rows = load_for_update(tx, o, actor.workspace_id, invoice_id);
    if (!rows) return fail(Error::not_found("invoice"));
    RowView inv(*rows, 0);
    if (inv.text("stripe_invoice_url").empty())
      return fail(Error::conflict("finalize the invoice with Stripe first: it has no Stripe payment page yet",
                                  "stripeInvoiceUrl"));
    auto status = *billing::parse_invoice_status(inv.text("status"));
    if (!billing::is_payable(status) || status == InvoiceStatus::Uncollectible)
      return fail(Error::conflict("the invoice is " + inv.text("status") + "; there is nothing to pay", "status"));
    // Valid to the end of the due date (UTC), or 30 days when there is none.
    auto due = parse_day(inv.text("due_date"));
    std::string expires = due ? format_day(*due) + "T23:59:59.999Z"
                              : store::timestamp_from_now(std::chrono::days(kPaymentTermsDays));
    std::string now = store::now_timestamp();
    // The token is not a catalogue field (the API never shows it apart from in the URL).
    auto stored = tx.query_one(kSelectPaymentLinkToken, {{"ws", actor.workspace_id}, {"id", std::string(invoice_id)}});
    std::string token = stored ? RowView(*stored, 0).text("payment_link_token") : std::string();
    bool current = !token.empty() && !inv.text("payment_link_expires_at").empty() &&
                   inv.text("payment_link_expires_at") > now && !renew;
    if (expires <= now) expires = store::timestamp_from_now(std::chrono::days(7));  // overdue: a week to pay
    if (!current) token = random_token(24);
    std::string base(base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string url = base + "/pay/" + token;
    if (!current) {
      update_columns(tx, o, actor.workspace_id, invoice_id,
                     {{"payment_link_token", token},
                      {"stripe_payment_link", url},
                      {"payment_link_expires_at", expires},
                      {"updated_at", now}});
      add_event(tx, actor, o, invoice_id, "field_changed", "stripePaymentLink", inv.at("stripe_payment_link"), url);
    } else {
      expires = inv.text("payment_link_expires_at");
      url = inv.text("stripe_payment_link");
    }
    return json{{"url", url}, {"expiresAt", expires}, {"invoiceUrl", inv.text("stripe_invoice_url")}};
  });
}

Result<PaymentLinkTarget> StripeSync::open_payment_link(std::string_view token) {
  return records_->db().read<PaymentLinkTarget>([&](Tx& tx) -> Result<PaymentLinkTarget> {
    PaymentLinkTarget t;
    if (token.empty() || token.size() > 100) return t;
    auto row = tx.query_one(kFindInvoiceByToken, {{"token", std::string(token)}});
    if (!row) return t;
    RowView key(*row, 0);
    auto rows = load(tx, invoices_def(), key.text("workspace_id"), key.text("id"));
    if (!rows) return t;
    RowView inv(*rows, 0);
    t.invoice_number = inv.text("invoice_number");
    t.amount_due = display_amount(inv.integer("amount_due"), inv.text("currency"));
    t.status = inv.text("status");
    auto status = *billing::parse_invoice_status(t.status);
    if (status == InvoiceStatus::Paid || status == InvoiceStatus::Refunded ||
        status == InvoiceStatus::PartiallyRefunded || status == InvoiceStatus::Void) {
      t.kind = PaymentLinkTarget::Kind::Settled;
    } else if (inv.text("payment_link_expires_at") <= store::now_timestamp()) {
      t.kind = PaymentLinkTarget::Kind::Expired;
      t.expired_on = inv.text("payment_link_expires_at").substr(0, 10);
    } else {
      t.kind = PaymentLinkTarget::Kind::Redirect;
      t.url = inv.text("stripe_invoice_url");
    }
    return t;
  });
}

Status StripeSync::request_new_payment_link(std::string_view token) {
  auto done = records_->db().write<bool>([&](Tx& tx) -> Result<bool> {
    auto row = tx.query_one(kFindInvoiceByToken, {{"token", std::string(token)}});
    if (!row) return fail(Error::not_found("payment link"));
    RowView key(*row, 0);
    std::string ws = key.text("workspace_id"), id = key.text("id");
    auto rows = load(tx, invoices_def(), ws, id);
    if (!rows) return fail(Error::not_found("payment link"));
    RowView inv(*rows, 0);
    Actor customer{ws, "", "the customer (payment link)", Role::Member};
    add_task(tx, customer, inv.at("created_by"), "New payment link requested: invoice " + inv.text("invoice_number"),
             "The customer opened the expired payment link of invoice " + inv.text("invoice_number") +
                 " and asked for a new one. Renew it on the invoice (Get payment link) and send it.",
             "invoices", id);
    return true;
  });
  if (!done) return fail(done.error());
  return {};
}

}  // namespace settle::crm
