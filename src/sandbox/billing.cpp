// Invoice items, invoices (draft -> open -> paid | void | uncollectible), invoice
// payments and quotes (draft -> open -> accepted | canceled), with Stripe's events.
// See resources.hpp.
//
// Private facts kept per object (Account::facts):
//   invoice:  items (invoice item ids in line order), days_until_due, payment_intent (the
//             default payment intent), default_payment (its invoice_payment), payments
//             (every invoice_payment id), overdue_notified
//   invoiceitem: line_id (the id of its line on the invoice)
//   quote:    line_items (the quote's `item` objects)
//   payment_intent: invoice, invoice_payment (when it pays an invoice)
#include <algorithm>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "sandbox/resources.hpp"

namespace settle::sandbox {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kAutoAdvanceDelay = 3600;      // Stripe finalizes and charges about an hour later
constexpr std::int64_t kRetryInterval = 3 * kDay;     // between automatic collection attempts
constexpr int kMaxAutomaticAttempts = 4;
constexpr std::int64_t kDefaultQuoteLifetime = 30 * kDay;

json nullable_string(const json& params, const std::string& name) {
  auto v = get_string(params, name);
  return v && !v->empty() ? json(*v) : json(nullptr);
}

std::vector<std::string> ids_in(const json& facts, const char* key) {
  std::vector<std::string> out;
  if (facts.contains(key))
    for (const auto& id : facts[key]) out.push_back(id.get<std::string>());
  return out;
}

json& customer_of(Ctx& ctx, const json& object) {
  return ctx.account.get(object["customer"].get<std::string>(), "customer", "customer", "customer");
}

// ---- Invoice items and lines --------------------------------------------------------------

json pricing_for(const json* price) {
  if (!price) return nullptr;
  return {{"type", "price_details"},
          {"price_details", {{"price", (*price)["id"]}, {"product", (*price)["product"]}}},
          {"unit_amount_decimal", (*price)["unit_amount_decimal"]}};
}

json& new_invoiceitem(Ctx& ctx, const std::string& customer, const std::string& currency, std::int64_t amount,
                      std::int64_t quantity, json description, const json* price, json period, const json& params) {
  json item = {
      {"id", new_id("ii")},
      {"object", "invoiceitem"},
      {"amount", amount},
      {"currency", currency},
      {"customer", customer},
      {"customer_account", nullptr},
      {"date", ctx.now},
      {"description", std::move(description)},
      {"discountable", true},
      {"discounts", json::array()},
      {"invoice", nullptr},
      {"livemode", false},
      {"metadata", json::object()},
      {"net_amount", amount},
      {"parent", nullptr},
      {"period", period.is_null() ? json{{"end", ctx.now}, {"start", ctx.now}} : period},
      {"pricing", pricing_for(price)},
      {"proration", false},
      {"quantity", quantity},
      {"quantity_decimal", std::to_string(quantity)},
      {"tax_rates", json::array()},
      {"test_clock", nullptr},
  };
  apply_metadata(item["metadata"], params);
  json& stored = ctx.account.insert(std::move(item));
  ctx.account.facts(stored["id"])["line_id"] = new_id("il");
  return stored;
}

json line_for(Ctx& ctx, const json& item) {
  return {
      {"id", ctx.account.facts(item["id"]).value("line_id", "")},
      {"object", "line_item"},
      {"amount", item["amount"]},
      {"currency", item["currency"]},
      {"description", item["description"]},
      {"discount_amounts", json::array()},
      {"discountable", item["discountable"]},
      {"discounts", json::array()},
      {"invoice", item["invoice"]},
      {"livemode", false},
      {"metadata", item["metadata"]},
      {"parent",
       {{"type", "invoice_item_details"},
        {"invoice_item_details",
         {{"invoice_item", item["id"]}, {"proration", false}, {"proration_details", {{"credited_items", nullptr}}},
          {"subscription", nullptr}}},
        {"subscription_item_details", nullptr}}},
      {"period", item["period"]},
      {"pretax_credit_amounts", json::array()},
      {"pricing", item["pricing"]},
      {"quantity", item["quantity"]},
      {"quantity_decimal", item["quantity_decimal"]},
      {"subscription", nullptr},
      {"subtotal", item["amount"]},
      {"taxes", json::array()},
  };
}

// The amount, currency, price and description of an item from item-like parameters
// (invoice item create, `lines[i]` of add_lines): amount+currency, pricing[price] or
// price_data. `path` prefixes parameter names in errors ("lines[0]").
struct ItemTerms {
  std::int64_t amount = 0;
  std::int64_t quantity = 1;
  std::string currency;
  const json* price = nullptr;
  json description = nullptr;
};

ItemTerms item_terms(Ctx& ctx, const json& p, const std::string& path, const std::string& fallback_currency) {
  auto name = [&](const std::string& n) { return path.empty() ? n : path + "[" + n + "]"; };
  ItemTerms t;
  t.quantity = get_integer(p, "quantity", name("quantity")).value_or(1);
  if (t.quantity < 1) throw invalid_param(name("quantity"), "This value must be greater than or equal to 1.");
  if (p.contains("price")) throw unknown_param(name("price") + " (since API version basil, use " + name("pricing") + "[price])");
  const json* pricing = get_object(p, "pricing", name("pricing"));
  const json* price_data = get_object(p, "price_data", name("price_data"));
  auto amount = get_integer(p, "amount", name("amount"));
  int given = (pricing ? 1 : 0) + (price_data ? 1 : 0) + (amount ? 1 : 0);
  if (given > 1)
    throw invalid_param(name("amount"), "You may only specify one of these parameters: amount, price_data, pricing.");
  if (pricing) {
    std::string price_id = require_string(*pricing, "price", name("pricing") + "[price]");
    t.price = &active_price(ctx, price_id, name("pricing") + "[price]");
  } else if (price_data) {
    t.price = &price_from_data(ctx, *price_data, name("price_data"), false);
  }
  if (t.price) {
    if ((*t.price)["type"] != "one_time")
      throw invalid_param(name("pricing") + "[price]", "The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.");
    t.currency = (*t.price)["currency"];
    t.amount = price_amount(*t.price, t.quantity);
    const json* product = ctx.account.find((*t.price)["product"], "product");
    if (product) t.description = (*product)["name"];
  } else if (amount) {
    t.amount = *amount;
    auto currency = get_string(p, "currency");
    if (currency && !currency->empty()) t.currency = normalize_currency_param(*currency, name("currency"));
    else if (!fallback_currency.empty()) t.currency = fallback_currency;
    else throw missing_param(name("currency"));
  } else {
    throw missing_param(name("amount"));
  }
  if (auto description = get_string(p, "description"); description && !description->empty()) t.description = *description;
  return t;
}

json period_param(const json& p, const std::string& path) {
  const json* period = get_object(p, "period", path.empty() ? "period" : path + "[period]");
  if (!period) return nullptr;
  std::string base = path.empty() ? "period" : path + "[period]";
  return {{"start", require_integer(*period, "start", base + "[start]")}, {"end", require_integer(*period, "end", base + "[end]")}};
}

// ---- Invoices ------------------------------------------------------------------------------------

void require_draft(const json& invoice, const char* what) {
  if (invoice["status"] != "draft")
    throw wrong_state(std::string("You can only ") + what + " draft invoices; this invoice is " +
                          invoice["status"].get<std::string>() + ".",
                      "invoice_not_editable");
}

void snapshot_customer(Ctx& ctx, json& invoice) {
  const json& customer = customer_of(ctx, invoice);
  invoice["customer_address"] = customer["address"];
  invoice["customer_email"] = customer["email"];
  invoice["customer_name"] = customer["name"];
  invoice["customer_phone"] = customer["phone"];
  invoice["customer_shipping"] = customer["shipping"];
  invoice["customer_tax_exempt"] = customer["tax_exempt"];
}

// Recomputes lines and totals from the attached invoice items (drafts only change).
void refresh_invoice(Ctx& ctx, json& invoice) {
  const std::string id = invoice["id"];
  auto items = ids_in(ctx.account.facts(id), "items");
  json data = json::array();
  std::int64_t subtotal = 0;
  for (const auto& item_id : items) {
    const json& item = ctx.account.objects.at(item_id);
    subtotal += item["amount"].get<std::int64_t>();
    if (data.size() < 10) data.push_back(line_for(ctx, item));
  }
  invoice["lines"] = {{"object", "list"},
                      {"data", data},
                      {"has_more", items.size() > 10},
                      {"total_count", items.size()},
                      {"url", "/v1/invoices/" + id + "/lines"}};
  if (invoice["status"] != "draft") return;
  invoice["subtotal"] = subtotal;
  invoice["subtotal_excluding_tax"] = subtotal;
  invoice["total"] = subtotal;
  invoice["total_excluding_tax"] = subtotal;
  invoice["amount_due"] = std::max<std::int64_t>(0, subtotal);
  invoice["amount_remaining"] = std::max<std::int64_t>(0, subtotal);
}

void attach_item(Ctx& ctx, json& invoice, json& item) {
  require_draft(invoice, "add lines to");
  if (item["customer"] != invoice["customer"])
    throw invalid_param("invoice", "The invoice item's customer must match the invoice's customer.");
  if (item["currency"] != invoice["currency"])
    throw invalid_param("currency", "The currency of the invoice item (" + item["currency"].get<std::string>() +
                                        ") must match the currency of the invoice (" + invoice["currency"].get<std::string>() + ").");
  item["invoice"] = invoice["id"];
  ctx.account.facts(invoice["id"])["items"].push_back(item["id"]);
  refresh_invoice(ctx, invoice);
}

struct InvoiceTerms {
  std::string collection_method = "charge_automatically";
  std::optional<std::int64_t> days_until_due;
  std::optional<std::int64_t> due_date;
};

InvoiceTerms invoice_terms(const json& p, InvoiceTerms terms) {
  if (auto method = get_enum(p, "collection_method", {"charge_automatically", "send_invoice"})) terms.collection_method = *method;
  if (auto days = get_integer(p, "days_until_due")) terms.days_until_due = *days;
  if (auto due = get_integer(p, "due_date")) terms.due_date = *due;
  if (terms.collection_method == "charge_automatically" && (terms.days_until_due || terms.due_date))
    throw invalid_param(terms.days_until_due ? "days_until_due" : "due_date",
                        "You can only set `days_until_due` or `due_date` when `collection_method` is `send_invoice`.");
  if (terms.collection_method == "send_invoice" && !terms.days_until_due && !terms.due_date)
    throw invalid_param("days_until_due",
                        "When `collection_method` is `send_invoice`, you must provide `days_until_due` or `due_date`.");
  return terms;
}

json& new_invoice(Ctx& ctx, json& customer, const std::string& currency, const InvoiceTerms& terms, bool auto_advance,
                  json parent, const std::string& billing_reason) {
  std::string id = new_id("in");
  json invoice = {
      {"id", id},
      {"object", "invoice"},
      {"account_country", "US"},
      {"account_name", "Settle Stripe Sandbox"},
      {"account_tax_ids", nullptr},
      {"amount_due", 0},
      {"amount_overpaid", 0},
      {"amount_paid", 0},
      {"amount_remaining", 0},
      {"amount_shipping", 0},
      {"application", nullptr},
      {"attempt_count", 0},
      {"attempted", false},
      {"auto_advance", auto_advance},
      {"automatic_tax",
       {{"disabled_reason", nullptr}, {"enabled", false}, {"liability", nullptr}, {"provider", nullptr}, {"status", nullptr}}},
      {"automatically_finalizes_at", auto_advance ? json(ctx.now + kAutoAdvanceDelay) : json(nullptr)},
      {"billing_reason", billing_reason},
      {"collection_method", terms.collection_method},
      {"created", ctx.now},
      {"currency", currency},
      {"custom_fields", nullptr},
      {"customer", customer["id"]},
      {"customer_account", nullptr},
      {"customer_address", nullptr},
      {"customer_email", nullptr},
      {"customer_name", nullptr},
      {"customer_phone", nullptr},
      {"customer_shipping", nullptr},
      {"customer_tax_exempt", "none"},
      {"customer_tax_ids", json::array()},
      {"default_payment_method", nullptr},
      {"default_source", nullptr},
      {"default_tax_rates", json::array()},
      {"description", nullptr},
      {"discounts", json::array()},
      {"due_date", terms.due_date ? json(*terms.due_date) : json(nullptr)},
      {"effective_at", nullptr},
      {"ending_balance", nullptr},
      {"footer", nullptr},
      {"from_invoice", nullptr},
      {"hosted_invoice_url", nullptr},
      {"invoice_pdf", nullptr},
      {"issuer", {{"type", "self"}}},
      {"last_finalization_error", nullptr},
      {"latest_revision", nullptr},
      {"lines", nullptr},
      {"livemode", false},
      {"metadata", json::object()},
      {"next_payment_attempt", nullptr},
      {"number", nullptr},
      {"on_behalf_of", nullptr},
      {"parent", std::move(parent)},
      {"payment_settings", {{"default_mandate", nullptr}, {"payment_method_options", nullptr}, {"payment_method_types", nullptr}}},
      {"period_end", ctx.now},
      {"period_start", ctx.now},
      {"post_payment_credit_notes_amount", 0},
      {"pre_payment_credit_notes_amount", 0},
      {"receipt_number", nullptr},
      {"rendering", {{"amount_tax_display", nullptr}, {"pdf", {{"page_size", "auto"}}}, {"template", nullptr}, {"template_version", nullptr}}},
      {"shipping_cost", nullptr},
      {"shipping_details", nullptr},
      {"starting_balance", 0},
      {"statement_descriptor", nullptr},
      {"status", "draft"},
      {"status_transitions", {{"finalized_at", nullptr}, {"marked_uncollectible_at", nullptr}, {"paid_at", nullptr}, {"voided_at", nullptr}}},
      {"subscription", nullptr},
      {"subtotal", 0},
      {"subtotal_excluding_tax", 0},
      {"test_clock", nullptr},
      {"total", 0},
      {"total_discount_amounts", json::array()},
      {"total_excluding_tax", 0},
      {"total_pretax_credit_amounts", json::array()},
      {"total_taxes", json::array()},
      {"webhooks_delivered_at", nullptr},
  };
  json& facts = ctx.account.facts(id);
  facts["items"] = json::array();
  facts["payments"] = json::array();
  if (terms.days_until_due) facts["days_until_due"] = *terms.days_until_due;
  json& stored = ctx.account.insert(std::move(invoice));
  snapshot_customer(ctx, stored);
  refresh_invoice(ctx, stored);
  return stored;
}

json& invoice_of_intent(Ctx& ctx, const json& intent) {
  return ctx.account.objects.at(ctx.account.facts(intent["id"])["invoice"].get<std::string>());
}

json& new_invoice_payment(Ctx& ctx, const json& invoice, const json& intent, bool is_default) {
  json payment = {
      {"id", new_id("inpay")},
      {"object", "invoice_payment"},
      {"amount_paid", nullptr},
      {"amount_requested", intent["amount"]},
      {"created", ctx.now},
      {"currency", invoice["currency"]},
      {"invoice", invoice["id"]},
      {"is_default", is_default},
      {"livemode", false},
      {"payment", {{"type", "payment_intent"}, {"payment_intent", intent["id"]}}},
      {"status", "open"},
      {"status_transitions", {{"canceled_at", nullptr}, {"paid_at", nullptr}}},
  };
  json& stored = ctx.account.insert(std::move(payment));
  ctx.account.facts(invoice["id"])["payments"].push_back(stored["id"]);
  json& intent_facts = ctx.account.facts(intent["id"]);
  intent_facts["invoice"] = invoice["id"];
  intent_facts["invoice_payment"] = stored["id"];
  return stored;
}

std::vector<std::string> invoice_payment_method_types(const json& invoice) {
  const json& types = invoice["payment_settings"]["payment_method_types"];
  if (types.is_array() && !types.empty()) return types.get<std::vector<std::string>>();
  return {"card", "us_bank_account"};  // what the sandbox account has enabled
}

void mark_paid(Ctx& ctx, json& invoice) {
  invoice["status"] = "paid";
  invoice["status_transitions"]["paid_at"] = ctx.now;
  invoice["next_payment_attempt"] = nullptr;
  invoice["auto_advance"] = false;
  emit(ctx, "invoice.paid", invoice, {{"status", "open"}});
}

// The default payment intent no longer needed once the invoice is settled another way.
void retire_default_intent(Ctx& ctx, json& invoice, const std::string& reason) {
  json& facts = ctx.account.facts(invoice["id"]);
  if (!facts.contains("payment_intent")) return;
  json& intent = ctx.account.objects.at(facts["payment_intent"].get<std::string>());
  std::string status = intent["status"];
  if (status == "succeeded" || status == "canceled" || status == "processing") return;
  cancel_intent(ctx, intent, reason);
  json& payment = ctx.account.objects.at(facts["default_payment"].get<std::string>());
  payment["status"] = "canceled";
  payment["status_transitions"]["canceled_at"] = ctx.now;
}

void record_payment(Ctx& ctx, json& invoice, json& payment, std::int64_t amount) {
  payment["status"] = "paid";
  payment["amount_paid"] = amount;
  payment["status_transitions"]["paid_at"] = ctx.now;
  emit(ctx, "invoice_payment.paid", payment);
  std::int64_t paid = invoice["amount_paid"].get<std::int64_t>() + amount;
  std::int64_t due = invoice["amount_due"];
  json previous = {{"amount_paid", invoice["amount_paid"]}, {"amount_remaining", invoice["amount_remaining"]}};
  invoice["amount_paid"] = paid;
  invoice["amount_remaining"] = std::max<std::int64_t>(0, due - paid);
  invoice["amount_overpaid"] = std::max<std::int64_t>(0, paid - due);
  invoice["attempted"] = true;
  if (invoice["amount_remaining"] == 0) {
    retire_default_intent(ctx, invoice, "abandoned");
    mark_paid(ctx, invoice);
    emit(ctx, "invoice.payment_succeeded", invoice);
    return;
  }
  // A partial payment: the default payment intent now asks for what remains.
  json& facts = ctx.account.facts(invoice["id"]);
  if (facts.contains("payment_intent")) {
    json& intent = ctx.account.objects.at(facts["payment_intent"].get<std::string>());
    if (intent["status"] == "requires_payment_method") {
      intent["amount"] = invoice["amount_remaining"];
      ctx.account.objects.at(facts["default_payment"].get<std::string>())["amount_requested"] = invoice["amount_remaining"];
    }
  }
  emit(ctx, "invoice.updated", invoice, previous);
}

// ---- Quotes --------------------------------------------------------------------------------------

// `line_items[i][price]` / `line_items[i][price_data]` and `[quantity]` -> item objects.
json quote_items_from(Ctx& ctx, const json& lines) {
  json items = json::array();
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string path = "line_items[" + std::to_string(i) + "]";
    const json& line = lines[i];
    if (!line.is_object()) throw invalid_param(path, "Invalid object: " + path);
    for (auto& [k, v] : line.items())
      if (k != "price" && k != "price_data" && k != "quantity") throw unknown_param(path + "[" + k + "]");
    std::int64_t quantity = get_integer(line, "quantity", path + "[quantity]").value_or(1);
    if (quantity < 1) throw invalid_param(path + "[quantity]", "This value must be greater than or equal to 1.");
    const json* price = nullptr;
    if (auto id = get_string(line, "price"); id && !id->empty())
      price = &active_price(ctx, *id, path + "[price]");
    else if (const json* data = get_object(line, "price_data", path + "[price_data]"))
      price = &price_from_data(ctx, *data, path + "[price_data]", false);
    else
      throw missing_param(path + "[price]");
    if ((*price)["type"] != "one_time")
      throw invalid_param(path + "[price]", "The Stripe sandbox supports quotes with one-time prices only.");
    if (!items.empty() && items[0]["currency"] != (*price)["currency"])
      throw invalid_param(path + "[price]", "All prices on a quote must have the same currency.");
    items.push_back(item_for_price(ctx, *price, quantity));
  }
  return items;
}

void set_quote_items(Ctx& ctx, json& quote, json items) {
  std::int64_t total = 0;
  for (const auto& item : items) total += item["amount_total"].get<std::int64_t>();
  quote["amount_subtotal"] = total;
  quote["amount_total"] = total;
  quote["computed"]["upfront"]["amount_subtotal"] = total;
  quote["computed"]["upfront"]["amount_total"] = total;
  if (!items.empty()) quote["currency"] = items[0]["currency"];
  ctx.account.facts(quote["id"])["line_items"] = std::move(items);
}

void apply_quote_params(Ctx& ctx, json& quote, const json& p) {
  if (auto customer = get_string(p, "customer"); customer && !customer->empty())
    quote["customer"] = ctx.account.get(*customer, "customer", "customer", "customer")["id"];
  for (const char* field : {"description", "header", "footer"})
    if (p.contains(field)) quote[field] = nullable_string(p, field);
  if (auto expires = get_integer(p, "expires_at")) {
    if (*expires <= ctx.now) throw invalid_param("expires_at", "`expires_at` must be in the future.");
    quote["expires_at"] = *expires;
  }
  if (auto method = get_enum(p, "collection_method", {"charge_automatically", "send_invoice"})) quote["collection_method"] = *method;
  if (const json* settings = get_object(p, "invoice_settings")) {
    if (auto days = get_integer(*settings, "days_until_due", "invoice_settings[days_until_due]"))
      quote["invoice_settings"]["days_until_due"] = *days;
  }
  if (const json* lines = get_array(p, "line_items")) set_quote_items(ctx, quote, quote_items_from(ctx, *lines));
  apply_metadata(quote["metadata"], p);
}

}  // namespace

json item_for_price(Ctx& ctx, const json& price, std::int64_t quantity) {
  std::int64_t amount = price_amount(price, quantity);
  const json* product = ctx.account.find(price["product"], "product");
  return {{"id", new_id("li")},
          {"object", "item"},
          {"adjustable_quantity", nullptr},
          {"amount_discount", 0},
          {"amount_subtotal", amount},
          {"amount_tax", 0},
          {"amount_total", amount},
          {"currency", price["currency"]},
          {"description", product ? (*product)["name"] : json(nullptr)},
          {"discounts", json::array()},
          {"metadata", json::object()},
          {"price", price},
          {"quantity", quantity},
          {"taxes", json::array()}};
}

std::string format_amount(std::int64_t amount, const std::string& currency) {
  static const std::vector<std::string> zero_decimal = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                                        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};
  static const std::vector<std::string> three_decimal = {"bhd", "jod", "kwd", "omr", "tnd"};
  int exponent = 2;
  if (std::find(zero_decimal.begin(), zero_decimal.end(), currency) != zero_decimal.end()) exponent = 0;
  if (std::find(three_decimal.begin(), three_decimal.end(), currency) != three_decimal.end()) exponent = 3;
  bool negative = amount < 0;
  std::string digits = std::to_string(negative ? -amount : amount);
  if (exponent > 0) {
    if (digits.size() <= static_cast<size_t>(exponent)) digits.insert(0, exponent + 1 - digits.size(), '0');
    digits.insert(digits.size() - exponent, ".");
  }
  std::string upper = currency;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return (negative ? "-" : "") + digits + " " + upper;
}

// ---- Invoice items --------------------------------------------------------------------------------

json create_invoiceitem(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  json& customer = ctx.account.get(require_string(p, "customer"), "customer", "customer", "customer");
  json* invoice = nullptr;
  if (auto invoice_id = get_string(p, "invoice"); invoice_id && !invoice_id->empty()) {
    invoice = &ctx.account.get(*invoice_id, "invoice", "invoice", "invoice");
    require_draft(*invoice, "add invoice items to");
  }
  std::string fallback = invoice ? (*invoice)["currency"].get<std::string>()
                                 : customer["currency"].is_string() ? customer["currency"].get<std::string>() : "";
  ItemTerms terms = item_terms(ctx, p, "", fallback);
  json& item = new_invoiceitem(ctx, customer["id"], terms.currency, terms.amount, terms.quantity, terms.description,
                               terms.price, period_param(p, ""), p);
  if (invoice) attach_item(ctx, *invoice, item);
  emit(ctx, "invoiceitem.created", item);
  return item;
}

json retrieve_invoiceitem(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "invoiceitem", "invoiceitem"); }

json update_invoiceitem(Ctx& ctx, const Call& call) {
  json& item = ctx.account.get(call.id(), "invoiceitem", "invoiceitem");
  const json& p = call.params;
  bool changes_amount = p.contains("amount") || p.contains("quantity") || p.contains("pricing") || p.contains("price_data");
  json* invoice = item["invoice"].is_string() ? &ctx.account.objects.at(item["invoice"].get<std::string>()) : nullptr;
  if (invoice && (*invoice)["status"] != "draft" && (changes_amount || p.contains("description")))
    throw wrong_state("The invoice item is on a finalized invoice and can no longer be edited.", "invoice_not_editable");
  if (changes_amount) {
    json merged = p;
    if (!p.contains("amount") && !p.contains("pricing") && !p.contains("price_data")) {
      if (item["pricing"].is_object())
        merged["pricing"] = {{"price", item["pricing"]["price_details"]["price"]}};
      else
        merged["amount"] = std::to_string(item["amount"].get<std::int64_t>() / std::max<std::int64_t>(1, item["quantity"]));
    }
    if (!merged.contains("quantity")) merged["quantity"] = std::to_string(item["quantity"].get<std::int64_t>());
    ItemTerms terms = item_terms(ctx, merged, "", item["currency"]);
    item["amount"] = terms.amount;
    item["net_amount"] = terms.amount;
    item["quantity"] = terms.quantity;
    item["quantity_decimal"] = std::to_string(terms.quantity);
    item["pricing"] = pricing_for(terms.price);
  }
  if (p.contains("description")) item["description"] = nullable_string(p, "description");
  if (p.contains("period")) item["period"] = period_param(p, "");
  apply_metadata(item["metadata"], p);
  if (invoice) refresh_invoice(ctx, *invoice);
  emit(ctx, "invoiceitem.updated", item);
  return item;
}

json delete_invoiceitem(Ctx& ctx, const Call& call) {
  json& item = ctx.account.get(call.id(), "invoiceitem", "invoiceitem");
  if (item["invoice"].is_string()) {
    json& invoice = ctx.account.objects.at(item["invoice"].get<std::string>());
    require_draft(invoice, "remove lines from");
    json& items = ctx.account.facts(invoice["id"])["items"];
    items.erase(std::remove(items.begin(), items.end(), item["id"]), items.end());
    refresh_invoice(ctx, invoice);
  }
  json last = item;
  item = deleted_object(call.id(), "invoiceitem");
  emit(ctx, "invoiceitem.deleted", last);
  return item;
}

json list_invoiceitems(Ctx& ctx, const Call& call) {
  auto customer = get_string(call.params, "customer");
  auto invoice = get_string(call.params, "invoice");
  auto pending = get_bool(call.params, "pending");
  return list_of(ctx, call, "invoiceitem", [&](const json& item) {
    if (customer && item["customer"] != *customer) return false;
    if (invoice && item["invoice"] != *invoice) return false;
    if (pending && item["invoice"].is_null() != *pending) return false;
    return true;
  });
}

// ---- Invoices ---------------------------------------------------------------------------------------

// payment_settings[payment_method_types] on create and on a draft's update.
void apply_payment_settings(json& invoice, const json& p) {
  const json* settings = get_object(p, "payment_settings");
  if (!settings) return;
  if (auto types = get_string_list(*settings, "payment_method_types")) {
    for (const auto& t : *types)
      if (t != "card" && t != "us_bank_account")
        throw invalid_param("payment_settings[payment_method_types]",
                            "The Stripe sandbox supports the payment method types card and us_bank_account; got " + t + ".");
    invoice["payment_settings"]["payment_method_types"] = *types;
  }
}

json create_invoice(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  json& customer = ctx.account.get(require_string(p, "customer"), "customer", "customer", "customer");
  InvoiceTerms terms = invoice_terms(p, {});
  std::string currency = get_string(p, "currency").value_or("");
  if (!currency.empty()) currency = normalize_currency_param(currency, "currency");
  else if (customer["currency"].is_string()) currency = customer["currency"];
  else currency = "usd";
  std::string behavior =
      get_enum(p, "pending_invoice_items_behavior", {"include", "exclude"}).value_or("exclude");
  json& invoice = new_invoice(ctx, customer, currency, terms, get_bool(p, "auto_advance").value_or(false), nullptr, "manual");
  invoice["description"] = nullable_string(p, "description");
  invoice["footer"] = nullable_string(p, "footer");
  if (auto pm = get_string(p, "default_payment_method"); pm && !pm->empty())
    invoice["default_payment_method"] = resolve_payment_method(ctx, *pm, "default_payment_method")["id"];
  apply_payment_settings(invoice, p);
  apply_metadata(invoice["metadata"], p);
  if (behavior == "include") {
    for (const auto& item_id : ctx.account.order["invoiceitem"]) {
      json& item = ctx.account.objects.at(item_id);
      if (!item.value("deleted", false) && item["customer"] == customer["id"] && item["invoice"].is_null() &&
          item["currency"] == invoice["currency"])
        attach_item(ctx, invoice, item);
    }
  }
  emit(ctx, "invoice.created", invoice);
  return invoice;
}

json retrieve_invoice(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "invoice", "invoice"); }

json update_invoice(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  const json& p = call.params;
  json before = invoice;
  bool draft = invoice["status"] == "draft";
  for (const char* field : {"collection_method", "days_until_due", "due_date", "currency", "payment_settings"})
    if (p.contains(field) && !draft)
      throw wrong_state(std::string("You can't change `") + field + "` on an invoice that is no longer a draft.",
                        "invoice_not_editable");
  if (p.contains("collection_method") || p.contains("days_until_due") || p.contains("due_date")) {
    InvoiceTerms current;
    current.collection_method = invoice["collection_method"];
    json& facts = ctx.account.facts(invoice["id"]);
    if (facts.contains("days_until_due")) current.days_until_due = facts["days_until_due"].get<std::int64_t>();
    if (invoice["due_date"].is_number()) current.due_date = invoice["due_date"].get<std::int64_t>();
    if (p.contains("collection_method") && get_string(p, "collection_method") == "charge_automatically") current = {};
    InvoiceTerms terms = invoice_terms(p, current);
    invoice["collection_method"] = terms.collection_method;
    invoice["due_date"] = terms.due_date ? json(*terms.due_date) : json(nullptr);
    if (terms.days_until_due) facts["days_until_due"] = *terms.days_until_due;
    else facts.erase("days_until_due");
  }
  if (auto advance = get_bool(p, "auto_advance")) {
    invoice["auto_advance"] = *advance;
    if (draft) invoice["automatically_finalizes_at"] = *advance ? json(ctx.now + kAutoAdvanceDelay) : json(nullptr);
  }
  if (p.contains("description")) invoice["description"] = nullable_string(p, "description");
  if (p.contains("footer")) invoice["footer"] = nullable_string(p, "footer");
  apply_payment_settings(invoice, p);
  if (auto pm = get_string(p, "default_payment_method"))
    invoice["default_payment_method"] =
        pm->empty() ? json(nullptr) : resolve_payment_method(ctx, *pm, "default_payment_method")["id"];
  apply_metadata(invoice["metadata"], p);
  json previous = json::object();
  for (auto& [k, v] : invoice.items())
    if (before[k] != v) previous[k] = before[k];
  if (!previous.empty()) emit(ctx, "invoice.updated", invoice, previous);
  return invoice;
}

json delete_invoice(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  if (invoice["status"] != "draft")
    throw wrong_state("You can only delete draft invoices. Void an open invoice instead.", "invoice_not_editable");
  for (const auto& item_id : ids_in(ctx.account.facts(invoice["id"]), "items"))
    ctx.account.objects.at(item_id)["invoice"] = nullptr;
  json last = invoice;
  invoice = deleted_object(call.id(), "invoice");
  emit(ctx, "invoice.deleted", last);
  return invoice;
}

json list_invoices(Ctx& ctx, const Call& call) {
  auto customer = get_string(call.params, "customer");
  auto status = get_enum(call.params, "status", {"draft", "open", "paid", "uncollectible", "void"});
  auto method = get_enum(call.params, "collection_method", {"charge_automatically", "send_invoice"});
  return list_of(ctx, call, "invoice", [&](const json& invoice) {
    if (customer && invoice["customer"] != *customer) return false;
    if (status && invoice["status"] != *status) return false;
    return !method || invoice["collection_method"] == *method;
  });
}

json list_invoice_lines(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  return list_over(ctx, call, ids_in(ctx.account.facts(invoice["id"]), "items"), "/v1/invoices/" + call.id() + "/lines",
                   [&](const std::string& item_id) { return line_for(ctx, ctx.account.objects.at(item_id)); });
}

json add_invoice_lines(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  require_draft(invoice, "add lines to");
  const json* lines = get_array(call.params, "lines");
  if (!lines || lines->empty()) throw missing_param("lines");
  for (size_t i = 0; i < lines->size(); ++i) {
    std::string path = "lines[" + std::to_string(i) + "]";
    const json& line = (*lines)[i];
    if (!line.is_object()) throw invalid_param(path, "Invalid object: " + path);
    for (auto& [k, v] : line.items())
      if (k != "invoice_item" && k != "amount" && k != "description" && k != "price_data" && k != "pricing" &&
          k != "quantity" && k != "metadata" && k != "period" && k != "discountable")
        throw unknown_param(path + "[" + k + "]");
    if (auto existing = get_string(line, "invoice_item"); existing && !existing->empty()) {
      json& item = ctx.account.get(*existing, "invoiceitem", "invoiceitem", path + "[invoice_item]");
      if (!item["invoice"].is_null()) throw invalid_param(path + "[invoice_item]", "This invoice item is already on an invoice.");
      attach_item(ctx, invoice, item);
      continue;
    }
    ItemTerms terms = item_terms(ctx, line, path, invoice["currency"]);
    json& item = new_invoiceitem(ctx, invoice["customer"], terms.currency, terms.amount, terms.quantity,
                                 terms.description, terms.price, period_param(line, path), line);
    attach_item(ctx, invoice, item);
    emit(ctx, "invoiceitem.created", item);
  }
  emit(ctx, "invoice.updated", invoice);
  return invoice;
}

json& finalize_invoice_now(Ctx& ctx, json& invoice) {
  if (invoice["status"] != "draft")
    throw wrong_state("This invoice is already finalized, you can't re-finalize a non-draft invoice.");
  const std::string id = invoice["id"];
  json& facts = ctx.account.facts(id);
  json& customer = customer_of(ctx, invoice);
  snapshot_customer(ctx, invoice);
  refresh_invoice(ctx, invoice);
  if (invoice["collection_method"] == "send_invoice" && invoice["due_date"].is_null())
    invoice["due_date"] = ctx.now + facts.value("days_until_due", std::int64_t{30}) * kDay;
  std::int64_t sequence = customer["next_invoice_sequence"];
  customer["next_invoice_sequence"] = sequence + 1;
  std::string number = std::to_string(sequence);
  number.insert(0, number.size() < 4 ? 4 - number.size() : 0, '0');
  invoice["number"] = customer["invoice_prefix"].get<std::string>() + "-" + number;
  invoice["status"] = "open";
  invoice["status_transitions"]["finalized_at"] = ctx.now;
  invoice["effective_at"] = ctx.now;
  invoice["automatically_finalizes_at"] = nullptr;
  invoice["webhooks_delivered_at"] = ctx.now;
  invoice["hosted_invoice_url"] = ctx.base_url + "/hosted/invoices/" + id;
  invoice["invoice_pdf"] = ctx.base_url + "/hosted/invoices/" + id + "/pdf";
  invoice["ending_balance"] = 0;
  std::int64_t due = invoice["amount_due"];
  if (due > 0) {
    json description = "Invoice " + invoice["number"].get<std::string>();
    json& intent = new_payment_intent(ctx, due, invoice["currency"], invoice["customer"], description,
                                      invoice_payment_method_types(invoice));
    json& payment = new_invoice_payment(ctx, invoice, intent, true);
    facts["payment_intent"] = intent["id"];
    facts["default_payment"] = payment["id"];
    if (invoice["auto_advance"] == true && invoice["collection_method"] == "charge_automatically")
      invoice["next_payment_attempt"] = ctx.now + kAutoAdvanceDelay;
  }
  emit(ctx, "invoice.finalized", invoice, {{"status", "draft"}});
  if (due == 0) {
    mark_paid(ctx, invoice);
    emit(ctx, "invoice.payment_succeeded", invoice);
  }
  return invoice;
}

json finalize_invoice(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  if (auto advance = get_bool(call.params, "auto_advance")) invoice["auto_advance"] = *advance;
  return finalize_invoice_now(ctx, invoice);
}

json send_invoice(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  if (invoice["collection_method"] != "send_invoice")
    throw wrong_state("You can only manually send an invoice if its collection method is 'send_invoice'.");
  if (invoice["status"] == "draft") throw wrong_state("You can't send a draft invoice. Finalize it first.");
  if (invoice["status"] == "void") throw wrong_state("You can't send an invoice that has been voided.");
  emit(ctx, "invoice.sent", invoice);
  return invoice;
}

json& pay_invoice_with(Ctx& ctx, json& invoice, const std::string& method_id, const std::string& param) {
  const std::string status = invoice["status"];
  if (status == "draft") throw wrong_state("This invoice is a draft and can't be paid. Finalize it first.");
  if (status == "paid") throw wrong_state("Invoice is already paid.", "invoice_already_paid");
  if (status == "void") throw wrong_state("This invoice has been voided and can no longer be paid.");
  json& facts = ctx.account.facts(invoice["id"]);
  json& intent = ctx.account.objects.at(facts["payment_intent"].get<std::string>());
  if (intent["status"] == "processing")
    throw wrong_state("A payment for this invoice is processing; wait for it to settle.", "invoice_payment_intent_requires_action");
  json& method = resolve_payment_method(ctx, method_id, param);
  auto types = intent["payment_method_types"].get<std::vector<std::string>>();
  if (std::find(types.begin(), types.end(), method["type"].get<std::string>()) == types.end())
    throw invalid_param(param, "The PaymentMethod provided (" + method["type"].get<std::string>() +
                                   ") is not allowed for this invoice. Allowed types: " + json(types).dump() + ".",
                        "payment_intent_incompatible_payment_method");
  invoice["attempt_count"] = invoice["attempt_count"].get<int>() + 1;
  invoice["attempted"] = true;
  if (auto decline = confirm_intent(ctx, intent, method)) throw *decline;
  return invoice;
}

void collect_automatically(Ctx& ctx, json& invoice) {
  json method = invoice["default_payment_method"];
  if (method.is_null()) method = customer_of(ctx, invoice)["invoice_settings"]["default_payment_method"];
  if (method.is_null()) {
    invoice["next_payment_attempt"] = nullptr;
    return;
  }
  try {
    pay_invoice_with(ctx, invoice, method.get<std::string>(), "payment_method");
    invoice["next_payment_attempt"] = nullptr;
  } catch (const ApiError&) {
    bool retry = invoice["status"] == "open" && invoice["attempt_count"].get<int>() < kMaxAutomaticAttempts;
    invoice["next_payment_attempt"] = retry ? json(ctx.now + kRetryInterval) : json(nullptr);
  }
}

json pay_invoice(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  const json& p = call.params;
  if (get_bool(p, "paid_out_of_band").value_or(false)) {
    if (invoice["status"] != "open" && invoice["status"] != "uncollectible")
      throw wrong_state("You can only mark an open or uncollectible invoice as paid out of band.");
    json previous = {{"amount_paid", invoice["amount_paid"]}, {"amount_remaining", invoice["amount_remaining"]}};
    retire_default_intent(ctx, invoice, "abandoned");
    invoice["amount_paid_off_stripe"] = invoice["amount_remaining"];
    invoice["amount_paid"] = invoice["amount_due"];
    invoice["amount_remaining"] = 0;
    mark_paid(ctx, invoice);
    return invoice;
  }
  std::string method;
  if (auto pm = get_string(p, "payment_method"); pm && !pm->empty()) method = *pm;
  else if (invoice["default_payment_method"].is_string()) method = invoice["default_payment_method"];
  else if (const json& d = customer_of(ctx, invoice)["invoice_settings"]["default_payment_method"]; d.is_string()) method = d;
  if (method.empty() && invoice["status"] != "draft" && invoice["status"] != "paid" && invoice["status"] != "void")
    throw ApiError(400, "invalid_request_error", "",
                   "This customer has no attached payment source or default payment method. Pass `payment_method` to pay the invoice.",
                   "payment_method");
  return pay_invoice_with(ctx, invoice, method, "payment_method");
}

json attach_invoice_payment(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  if (invoice["status"] != "open" && invoice["status"] != "uncollectible")
    throw wrong_state("You can only attach payments to an open or uncollectible invoice; this invoice is " +
                      invoice["status"].get<std::string>() + ".");
  std::string intent_id = require_string(call.params, "payment_intent");
  json& intent = ctx.account.get(intent_id, "payment_intent", "payment_intent", "payment_intent");
  if (ctx.account.facts(intent_id).contains("invoice"))
    throw invalid_param("payment_intent", "This PaymentIntent is already attached to an invoice.");
  if (intent["currency"] != invoice["currency"])
    throw invalid_param("payment_intent", "The PaymentIntent's currency must match the invoice's currency.");
  if (!intent["customer"].is_null() && intent["customer"] != invoice["customer"])
    throw invalid_param("payment_intent", "The PaymentIntent's customer must match the invoice's customer.");
  std::string status = intent["status"];
  if (status == "canceled") throw invalid_param("payment_intent", "A canceled PaymentIntent can't be attached.");
  json& payment = new_invoice_payment(ctx, invoice, intent, false);
  if (status == "succeeded") record_payment(ctx, invoice, payment, intent["amount_received"]);
  return invoice;
}

void invoice_payment_intent_succeeded(Ctx& ctx, json& intent) {
  json& facts = ctx.account.facts(intent["id"]);
  if (!facts.contains("invoice")) return;
  json& invoice = invoice_of_intent(ctx, intent);
  json& payment = ctx.account.objects.at(facts["invoice_payment"].get<std::string>());
  record_payment(ctx, invoice, payment, intent["amount_received"]);
}

void invoice_payment_intent_failed(Ctx& ctx, json& intent) {
  if (!ctx.account.facts(intent["id"]).contains("invoice")) return;
  json& invoice = invoice_of_intent(ctx, intent);
  emit(ctx, "invoice.payment_failed", invoice);
}

json void_invoice(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  if (invoice["status"] != "open" && invoice["status"] != "uncollectible")
    throw wrong_state("You can only void an open or uncollectible invoice; this invoice is " +
                      invoice["status"].get<std::string>() + ".");
  if (invoice["amount_paid"].get<std::int64_t>() > 0)
    throw wrong_state("You can't void an invoice that has payments; refund them instead.");
  json previous = {{"status", invoice["status"]}};
  retire_default_intent(ctx, invoice, "void_invoice");
  invoice["status"] = "void";
  invoice["status_transitions"]["voided_at"] = ctx.now;
  invoice["next_payment_attempt"] = nullptr;
  invoice["auto_advance"] = false;
  emit(ctx, "invoice.voided", invoice, previous);
  return invoice;
}

json mark_invoice_uncollectible(Ctx& ctx, const Call& call) {
  json& invoice = ctx.account.get(call.id(), "invoice", "invoice");
  if (invoice["status"] != "open")
    throw wrong_state("You can only mark an open invoice as uncollectible; this invoice is " +
                      invoice["status"].get<std::string>() + ".");
  invoice["status"] = "uncollectible";
  invoice["status_transitions"]["marked_uncollectible_at"] = ctx.now;
  invoice["next_payment_attempt"] = nullptr;
  invoice["auto_advance"] = false;
  emit(ctx, "invoice.marked_uncollectible", invoice, {{"status", "open"}});
  return invoice;
}

json invoice_payments_list(Ctx& ctx, const std::string& invoice_id) {
  json data = json::array();
  for (const auto& id : ids_in(ctx.account.facts(invoice_id), "payments")) data.push_back(ctx.account.objects.at(id));
  return {{"object", "list"}, {"data", data}, {"has_more", false}, {"url", "/v1/invoice_payments?invoice=" + invoice_id}};
}

json retrieve_invoice_payment(Ctx& ctx, const Call& call) {
  return ctx.account.get(call.id(), "invoice_payment", "invoice_payment");
}

json list_invoice_payments(Ctx& ctx, const Call& call) {
  auto invoice = get_string(call.params, "invoice");
  auto status = get_enum(call.params, "status", {"open", "paid", "canceled"});
  return list_of(ctx, call, "invoice_payment", [&](const json& payment) {
    if (invoice && payment["invoice"] != *invoice) return false;
    return !status || payment["status"] == *status;
  });
}

// ---- Quotes -----------------------------------------------------------------------------------------

json create_quote(Ctx& ctx, const Call& call) {
  json quote = {
      {"id", new_id("qt")},
      {"object", "quote"},
      {"amount_subtotal", 0},
      {"amount_total", 0},
      {"application", nullptr},
      {"application_fee_amount", nullptr},
      {"application_fee_percent", nullptr},
      {"automatic_tax", {{"enabled", false}, {"liability", nullptr}, {"provider", nullptr}, {"status", nullptr}}},
      {"collection_method", "charge_automatically"},
      {"computed",
       {{"recurring", nullptr},
        {"upfront",
         {{"amount_subtotal", 0},
          {"amount_total", 0},
          {"total_details", {{"amount_discount", 0}, {"amount_shipping", 0}, {"amount_tax", 0}}}}}}},
      {"created", ctx.now},
      {"currency", "usd"},
      {"customer", nullptr},
      {"customer_account", nullptr},
      {"default_tax_rates", json::array()},
      {"description", nullptr},
      {"discounts", json::array()},
      {"expires_at", ctx.now + kDefaultQuoteLifetime},
      {"footer", nullptr},
      {"from_quote", nullptr},
      {"header", nullptr},
      {"invoice", nullptr},
      {"invoice_settings",
       {{"custom_fields", nullptr}, {"days_until_due", nullptr}, {"description", nullptr}, {"footer", nullptr},
        {"issuer", {{"type", "self"}}}}},
      {"livemode", false},
      {"metadata", json::object()},
      {"number", nullptr},
      {"on_behalf_of", nullptr},
      {"status", "draft"},
      {"status_transitions", {{"accepted_at", nullptr}, {"canceled_at", nullptr}, {"finalized_at", nullptr}}},
      {"subscription", nullptr},
      {"subscription_data",
       {{"billing_mode", {{"type", "classic"}}}, {"description", nullptr}, {"effective_date", nullptr},
        {"metadata", nullptr}, {"trial_period_days", nullptr}}},
      {"subscription_schedule", nullptr},
      {"test_clock", nullptr},
      {"total_details", {{"amount_discount", 0}, {"amount_shipping", 0}, {"amount_tax", 0}}},
      {"transfer_data", nullptr},
  };
  ctx.account.facts(quote["id"])["line_items"] = json::array();
  apply_quote_params(ctx, quote, call.params);
  json& stored = ctx.account.insert(std::move(quote));
  emit(ctx, "quote.created", stored);
  return stored;
}

json retrieve_quote(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "quote", "quote"); }

json update_quote(Ctx& ctx, const Call& call) {
  json& quote = ctx.account.get(call.id(), "quote", "quote");
  const json& p = call.params;
  if (quote["status"] != "draft")
    for (auto& [k, v] : p.items())
      if (k != "metadata" && k != "expand")
        throw wrong_state("You can only update `" + k + "` on a draft quote; this quote is " +
                          quote["status"].get<std::string>() + ".");
  apply_quote_params(ctx, quote, p);
  return quote;
}

json list_quotes(Ctx& ctx, const Call& call) {
  auto customer = get_string(call.params, "customer");
  auto status = get_enum(call.params, "status", {"draft", "open", "accepted", "canceled"});
  return list_of(ctx, call, "quote", [&](const json& quote) {
    if (customer && quote["customer"] != *customer) return false;
    return !status || quote["status"] == *status;
  });
}

json quote_line_items_list(Ctx& ctx, const std::string& quote_id) {
  json data = ctx.account.facts(quote_id)["line_items"];
  return {{"object", "list"}, {"data", data}, {"has_more", false}, {"url", "/v1/quotes/" + quote_id + "/line_items"}};
}

json list_quote_line_items(Ctx& ctx, const Call& call) {
  ctx.account.get(call.id(), "quote", "quote");
  const json& items = ctx.account.facts(call.id())["line_items"];
  std::vector<std::string> ids;
  std::map<std::string, const json*> by_id;
  for (const auto& item : items) {
    ids.push_back(item["id"]);
    by_id[item["id"]] = &item;
  }
  return list_over(ctx, call, ids, "/v1/quotes/" + call.id() + "/line_items",
                   [&](const std::string& id) { return *by_id.at(id); });
}

json finalize_quote(Ctx& ctx, const Call& call) {
  json& quote = ctx.account.get(call.id(), "quote", "quote");
  if (quote["status"] != "draft")
    throw wrong_state("You can only finalize a draft quote; this quote is " + quote["status"].get<std::string>() + ".");
  if (quote["customer"].is_null())
    throw invalid_param("customer", "The quote must have a customer before it can be finalized.");
  if (ctx.account.facts(quote["id"])["line_items"].empty())
    throw wrong_state("The quote must have at least one line item before it can be finalized.");
  if (auto expires = get_integer(call.params, "expires_at")) quote["expires_at"] = *expires;
  if (quote["expires_at"].get<std::int64_t>() <= ctx.now)
    throw invalid_param("expires_at", "The quote's `expires_at` must be in the future to finalize it.");
  json& customer = customer_of(ctx, quote);
  json& customer_facts = ctx.account.facts(customer["id"]);
  std::int64_t sequence = customer_facts.value("next_quote_sequence", std::int64_t{1});
  customer_facts["next_quote_sequence"] = sequence + 1;
  std::string number = std::to_string(sequence);
  number.insert(0, number.size() < 4 ? 4 - number.size() : 0, '0');
  quote["number"] = "QT-" + customer["invoice_prefix"].get<std::string>() + "-" + number;
  quote["status"] = "open";
  quote["status_transitions"]["finalized_at"] = ctx.now;
  emit(ctx, "quote.finalized", quote, {{"status", "draft"}});
  return quote;
}

json& accept_quote_now(Ctx& ctx, json& quote) {
  if (quote["status"] != "open")
    throw wrong_state("You can only accept an open quote; this quote is " + quote["status"].get<std::string>() + ".");
  json& customer = customer_of(ctx, quote);
  InvoiceTerms terms;
  terms.collection_method = quote["collection_method"];
  if (terms.collection_method == "send_invoice")
    terms.days_until_due = quote["invoice_settings"]["days_until_due"].is_number()
                               ? quote["invoice_settings"]["days_until_due"].get<std::int64_t>()
                               : 30;
  json parent = {{"type", "quote_details"}, {"quote_details", {{"quote", quote["id"]}}}, {"subscription_details", nullptr}};
  json& invoice = new_invoice(ctx, customer, quote["currency"], terms, true, parent, "quote_accept");
  invoice["description"] = quote["description"];
  invoice["footer"] = quote["footer"];
  for (const auto& line : ctx.account.facts(quote["id"])["line_items"]) {
    const json& price = ctx.account.objects.at(line["price"]["id"].get<std::string>());
    std::int64_t quantity = line["quantity"];
    json& item = new_invoiceitem(ctx, customer["id"], quote["currency"], price_amount(price, quantity), quantity,
                                 line["description"], &price, nullptr, json::object());
    attach_item(ctx, invoice, item);
  }
  emit(ctx, "invoice.created", invoice);
  quote["status"] = "accepted";
  quote["status_transitions"]["accepted_at"] = ctx.now;
  quote["invoice"] = invoice["id"];
  emit(ctx, "quote.accepted", quote, {{"status", "open"}, {"invoice", nullptr}});
  return quote;
}

json accept_quote(Ctx& ctx, const Call& call) {
  return accept_quote_now(ctx, ctx.account.get(call.id(), "quote", "quote"));
}

void cancel_quote_now(Ctx& ctx, json& quote, const char* reason) {
  json previous = {{"status", quote["status"]}};
  quote["status"] = "canceled";
  quote["status_transitions"]["canceled_at"] = ctx.now;
  ctx.account.facts(quote["id"])["cancellation_reason"] = reason;
  emit(ctx, "quote.canceled", quote, previous);
}

json cancel_quote(Ctx& ctx, const Call& call) {
  json& quote = ctx.account.get(call.id(), "quote", "quote");
  if (quote["status"] != "draft" && quote["status"] != "open")
    throw wrong_state("You can only cancel a draft or open quote; this quote is " + quote["status"].get<std::string>() + ".");
  cancel_quote_now(ctx, quote, "canceled");
  return quote;
}

// ---- Documents (PDF and hosted pages) -------------------------------------------------------------------

std::vector<std::string> document_lines(Ctx& ctx, const json& object) {
  std::vector<std::string> out;
  std::string currency = object["currency"].is_string() ? object["currency"].get<std::string>() : "usd";
  const json* customer = object["customer"].is_string() ? ctx.account.find(object["customer"], "customer") : nullptr;
  std::string who = customer ? ((*customer)["name"].is_string() ? (*customer)["name"].get<std::string>() : std::string("Customer")) +
                                   ((*customer)["email"].is_string() ? " <" + (*customer)["email"].get<std::string>() + ">" : "")
                             : "(no customer)";
  if (object["object"] == "invoice") {
    out.push_back("Invoice " + (object["number"].is_string() ? object["number"].get<std::string>() : "DRAFT"));
    out.push_back("Status: " + object["status"].get<std::string>());
    out.push_back("Bill to: " + who);
    if (object["due_date"].is_number()) out.push_back("Due date (unix): " + std::to_string(object["due_date"].get<std::int64_t>()));
    out.push_back("");
    for (const auto& item_id : ids_in(ctx.account.facts(object["id"]), "items")) {
      const json& item = ctx.account.objects.at(item_id);
      out.push_back((item["description"].is_string() ? item["description"].get<std::string>() : "Item") + "  x" +
                    std::to_string(item["quantity"].get<std::int64_t>()) + "  " + format_amount(item["amount"], currency));
    }
    out.push_back("");
    out.push_back("Total: " + format_amount(object["total"], currency));
    out.push_back("Amount paid: " + format_amount(object["amount_paid"], currency));
    out.push_back("Amount remaining: " + format_amount(object["amount_remaining"], currency));
  } else {
    out.push_back("Quote " + (object["number"].is_string() ? object["number"].get<std::string>() : "DRAFT"));
    out.push_back("Status: " + object["status"].get<std::string>());
    out.push_back("For: " + who);
    out.push_back("Expires (unix): " + std::to_string(object["expires_at"].get<std::int64_t>()));
    if (object["header"].is_string()) out.push_back(object["header"].get<std::string>());
    out.push_back("");
    for (const auto& item : ctx.account.facts(object["id"])["line_items"])
      out.push_back((item["description"].is_string() ? item["description"].get<std::string>() : "Item") + "  x" +
                    std::to_string(item["quantity"].get<std::int64_t>()) + "  " + format_amount(item["amount_total"], currency));
    out.push_back("");
    out.push_back("Total: " + format_amount(object["amount_total"], currency));
    if (object["footer"].is_string()) out.push_back(object["footer"].get<std::string>());
  }
  return out;
}

}  // namespace settle::sandbox
