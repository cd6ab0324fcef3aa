// Creation and editing of every record, with the document rules on top of the generic
// ones: quotes, orders and invoices carry line items whose totals the server computes;
// quotes and orders are numbered when created, invoices when finalized (so deleting a
// draft leaves no gap); status moves only through the lifecycle actions; payments apply
// to their invoice. The rules themselves are pure functions in src/billing.
#include <algorithm>
#include <chrono>

#include "billing/document.hpp"
#include "billing/lifecycle.hpp"
#include "common/crypto.hpp"
#include "common/dates.hpp"
#include "common/money.hpp"
#include "crm/record_store.hpp"

namespace settle::crm {

using namespace detail;
using billing::InvoiceStatus;
using billing::OrderStatus;
using billing::QuoteStatus;
using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;

namespace {

// The counter row is created on first use, then incremented in the caller's transaction:
// concurrent creators queue on the row lock (PostgreSQL) or the write lock (SQLite), and a
// rollback gives the number back, so numbers are gapless and unique.
constexpr const char* kEnsureCounter =
    "INSERT INTO document_counters (workspace_id, kind, year, last_value) VALUES (:ws, :kind, :year, 0) "
    "ON CONFLICT (workspace_id, kind, year) DO NOTHING";
constexpr const char* kNextCounter =
    "UPDATE document_counters SET last_value = last_value + 1 "
    "WHERE workspace_id = :ws AND kind = :kind AND year = :year RETURNING last_value";
constexpr const char* kWorkspaceSettings =
    "SELECT quote_prefix, order_prefix, invoice_prefix, default_currency FROM workspaces WHERE id = :ws";
constexpr const char* kDeleteLines = "DELETE FROM line_items WHERE workspace_id = :ws AND document_id = :doc";
constexpr const char* kInsertLine =
    "INSERT INTO line_items (workspace_id, document_id, position, description, quantity, unit_amount, amount, "
    "product_id) VALUES (:ws, :doc, :pos, :description, :quantity, :unit, :amount, :product)";
constexpr const char* kSelectProduct =
    "SELECT name, description, unit_amount, currency, active FROM products "
    "WHERE workspace_id = :ws AND id = :id AND deleted_at IS NULL";
constexpr const char* kCompareAndSetStatus =
    "UPDATE {table} SET status = :to, updated_at = :now WHERE workspace_id = :ws AND id = :id AND status = :from";

constexpr const char* kSelectDueQuotes =
    "SELECT id, quote_number, total, currency, expires_at, created_by, expiration_reminder_sent FROM quotes "
    "WHERE workspace_id = :ws AND status = 'Open' AND deleted_at IS NULL AND expires_at IS NOT NULL "
    "AND expires_at <= :now ORDER BY expires_at, id";

constexpr int kDefaultQuoteValidityDays = 30;
constexpr int kDefaultPaymentTermsDays = 30;

std::string id_prefix(const ObjectDef& o) {
  static const std::map<std::string, std::string> kPrefixes = {
      {"companies", "com"}, {"people", "per"},  {"products", "prd"}, {"projects", "prj"}, {"quotes", "quo"},
      {"orders", "ord"},    {"invoices", "inv"}, {"payments", "pay"}, {"expenses", "exp"}, {"tasks", "tsk"}, {"notes", "not"}};
  auto it = kPrefixes.find(o.name);
  return it == kPrefixes.end() ? "rec" : it->second;
}

int current_year() {
  auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return static_cast<int>(std::chrono::year_month_day(days).year());
}

std::string today() { return store::now_timestamp().substr(0, 10); }

// `date` is a stored date (always valid, YYYY-MM-DD).
std::string add_days(const std::string& date, int days) {
  return format_day(parse_day(date).value_or(std::chrono::sys_days{}) + std::chrono::days(days));
}

struct WorkspaceSettings {
  std::string quote_prefix, order_prefix, invoice_prefix, default_currency;
};

WorkspaceSettings workspace_settings(Tx& tx, const std::string& ws) {
  Rows rows = tx.query(kWorkspaceSettings, {{"ws", ws}});
  RowView r(rows, 0);
  return {r.text("quote_prefix"), r.text("order_prefix"), r.text("invoice_prefix"), r.text("default_currency")};
}

std::string next_number(Tx& tx, const std::string& ws, billing::DocumentKind kind, const std::string& prefix) {
  int year = current_year();
  store::Params p{{"ws", ws}, {"kind", std::string(billing::to_string(kind))}, {"year", std::int64_t{year}}};
  tx.exec(kEnsureCounter, p);
  Rows rows = tx.query(kNextCounter, p);
  return billing::format_document_number(prefix, year, RowView(rows, 0).integer("last_value"));
}

// lineItems from the client: [{description, quantity, unitAmount, productId}]. A line that
// names a catalog product may omit description and unitAmount; they come from the product,
// whose currency must then be the document's.
Result<std::vector<billing::LineItem>> parse_lines(Tx& tx, const std::string& ws, const json& input,
                                                   const std::string& currency) {
  if (!input.is_array()) return fail(Error::validation("lineItems", "lineItems must be an array"));
  std::vector<billing::LineItem> lines;
  for (size_t i = 0; i < input.size(); ++i) {
    const json& in = input[i];
    std::string at = "lineItems[" + std::to_string(i) + "]";
    if (!in.is_object()) return fail(Error::validation(at, at + " must be an object"));
    billing::LineItem line;
    for (const auto& [key, value] : in.items()) {
      if (key == "description") {
        if (!value.is_string()) return fail(Error::validation(at + ".description", "description must be a string"));
        line.description = value.get<std::string>();
      } else if (key == "quantity") {
        if (!value.is_number_integer())
          return fail(Error::validation(at + ".quantity", "quantity must be a whole number"));
        line.quantity = value.get<std::int64_t>();
      } else if (key == "unitAmount") {
        if (!value.is_number_integer())
          return fail(Error::validation(at + ".unitAmount", "unitAmount must be an integer amount in minor units"));
        line.unit_amount = value.get<std::int64_t>();
      } else if (key == "productId") {
        if (!value.is_null() && !value.is_string())
          return fail(Error::validation(at + ".productId", "productId must be a string"));
        if (value.is_string()) line.product_id = value.get<std::string>();
      } else if (key == "amount") {
        continue;  // computed; tolerated so a client can send back what it read
      } else {
        return fail(Error::validation(at + "." + key, "unknown line item field '" + key + "'"));
      }
    }
    if (line.product_id) {
      auto product = tx.query_one(kSelectProduct, {{"ws", ws}, {"id", *line.product_id}});
      if (!product) return fail(Error::validation(at + ".productId", "no such product in this workspace"));
      RowView p(*product, 0);
      if (!in.contains("description")) line.description = p.text("name");
      if (!in.contains("unitAmount")) {
        if (p.text("currency") != currency)
          return fail(Error::validation(at + ".productId", "the product is priced in " + p.text("currency") +
                                                               ", the document in " + currency));
        line.unit_amount = p.integer("unit_amount");
      }
    } else if (!in.contains("unitAmount")) {
      return fail(Error::validation(at + ".unitAmount", "unitAmount is required"));
    }
    if (!in.contains("quantity")) line.quantity = 1;
    lines.push_back(std::move(line));
  }
  if (auto st = billing::validate_line_items(lines); !st) return fail(st.error());
  return lines;
}

void store_lines(Tx& tx, const std::string& ws, const std::string& doc, const std::vector<billing::LineItem>& lines) {
  tx.exec(kDeleteLines, {{"ws", ws}, {"doc", doc}});
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    tx.exec(kInsertLine, {{"ws", ws},
                          {"doc", doc},
                          {"pos", static_cast<std::int64_t>(i)},
                          {"description", l.description},
                          {"quantity", l.quantity},
                          {"unit", l.unit_amount},
                          {"amount", *billing::line_amount(l)},
                          {"product", l.product_id ? SqlValue(*l.product_id) : SqlValue(nullptr)}});
  }
}

std::vector<billing::LineItem> stored_lines(Tx& tx, const std::string& ws, const std::string& doc) {
  std::vector<billing::LineItem> out;
  auto by_document = load_lines(tx, ws, {doc});  // named: the loop must not iterate into a temporary
  for (const auto& l : by_document[doc]) {
    billing::LineItem line{l["description"].get<std::string>(), l["quantity"].get<std::int64_t>(),
                           l["unitAmount"].get<std::int64_t>(), std::nullopt};
    if (l["productId"].is_string()) line.product_id = l["productId"].get<std::string>();
    out.push_back(std::move(line));
  }
  return out;
}

const char* total_column(const ObjectDef& o) { return o.kind == DocumentKind::Order ? "total_amount" : "total"; }

// Totals are computed only while a document is editable, so an invoice here is a Draft.
void set_totals(Values& v, const ObjectDef& o, const billing::Totals& t) {
  v["subtotal"] = t.subtotal;
  v["tax_amount"] = t.tax_amount;
  v[total_column(o)] = t.total;
  if (o.kind == DocumentKind::Invoice) set_draft_money(v, t.total);
}

// Applies one generic column change with its timeline entry.
void change(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, const RowView& before,
            const std::string& column, const SqlValue& value) {
  update_columns(tx, o, actor.workspace_id, id, {{column, value}, {"updated_at", store::now_timestamp()}});
  for (const auto& f : o.fields)
    if (f.spec.column == column) add_event(tx, actor, o, id, "field_changed", f.spec.name, before.at(column), value);
}

Result<json> create_payment(Tx& tx, const Actor& actor, const ObjectDef& o, Values v, const std::string& id) {
  const ObjectDef& invoices = *find_object("invoices");
  std::string invoice_id = text_of(v["invoice_id"]);
  auto inv = load_for_update(tx, invoices, actor.workspace_id, invoice_id);
  if (!inv) return fail(Error::validation("invoiceId", "no such invoice in this workspace"));
  RowView r(*inv, 0);
  if (auto after = record_invoice_payment(tx, actor, r, std::get<std::int64_t>(v["amount"])); !after)
    return fail(after.error());

  v["company_id"] = r.at("company_id");
  v["currency"] = r.text("currency");
  v["kind"] = std::string("payment");
  v["status"] = std::string("succeeded");
  if (!v.count("method") || std::holds_alternative<std::nullptr_t>(v["method"])) v["method"] = std::string("manual");
  if (!v.count("received_at") || std::holds_alternative<std::nullptr_t>(v["received_at"]))
    v["received_at"] = store::now_timestamp();
  insert(tx, o, actor.workspace_id, v);
  add_event(tx, actor, o, id, "created");
  return load_json(tx, o, actor.workspace_id, id);
}

// Creates the order of an accepted quote, copying its lines, money and Stripe ids.
std::string create_order_from_quote(Tx& tx, const Actor& actor, const RowView& quote, const std::string& quote_id) {
  const ObjectDef& orders = *find_object("orders");
  auto settings = workspace_settings(tx, actor.workspace_id);
  std::string order_id = random_id("ord");
  std::string now = store::now_timestamp();
  Values v{{"id", order_id},
           {"created_at", now},
           {"updated_at", now},
           {"created_by", actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id)},
           {"order_number", next_number(tx, actor.workspace_id, billing::DocumentKind::Order, settings.order_prefix)},
           {"order_date", now},
           {"status", std::string(billing::to_string(OrderStatus::PendingFulfillment))},
           {"currency", quote.text("currency")},
           {"subtotal", quote.integer("subtotal")},
           {"tax_amount", quote.integer("tax_amount")},
           {"total_amount", quote.integer("total")},
           {"company_id", quote.text("company_id")},
           {"quote_id", quote_id},
           {"stripe_quote_id", quote.at("stripe_quote_id")},
           {"stripe_customer_id", quote.at("stripe_customer_id")}};
  insert(tx, orders, actor.workspace_id, v);
  store_lines(tx, actor.workspace_id, order_id, stored_lines(tx, actor.workspace_id, quote_id));
  add_event(tx, actor, orders, order_id, "created");
  return order_id;
}

// The lifecycle actions, inside the caller's transaction (defined below Records::act).
Result<json> act_in(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, std::string_view action,
                    const json& body);

}  // namespace

Status detail::move_status(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, std::string_view from,
                           std::string_view to) {
  std::string sql = kCompareAndSetStatus;
  sql.replace(sql.find("{table}"), 7, o.spec.table);
  long long n = tx.exec(sql, {{"to", std::string(to)},
                              {"now", store::now_timestamp()},
                              {"ws", actor.workspace_id},
                              {"id", std::string(id)},
                              {"from", std::string(from)}});
  if (n != 1) return fail(Error::conflict("the " + o.singular + " was changed by someone else; reload and retry"));
  add_event(tx, actor, o, id, "status_changed", "status", std::string(from), std::string(to));
  return {};
}

Result<json> Records::create(const Actor& actor, const ObjectDef& o, const json& body) {
  auto input = convert_input(o, body, true);
  if (!input) return fail(input.error());
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto created = create_in(tx, actor, o, body, *input);
    if (created) notify(tx, actor, o, RecordChange::Created, nullptr, (*created)["id"].get<std::string>());
    return created;
  });
}

Result<json> Records::create(Tx& tx, const Actor& actor, const ObjectDef& o, const json& body) {
  auto input = convert_input(o, body, true);
  if (!input) return fail(input.error());
  auto created = create_in(tx, actor, o, body, *input);
  if (created) notify(tx, actor, o, RecordChange::Created, nullptr, (*created)["id"].get<std::string>());
  return created;
}

Result<json> Records::create_in(Tx& tx, const Actor& actor, const ObjectDef& o, const json& body, const Values& input) {
  {
    Values v = input;
    if (auto st = check_references(tx, o, actor.workspace_id, v); !st) return fail(st.error());
    std::string id = random_id(id_prefix(o));
    std::string now = store::now_timestamp();
    v["id"] = id;
    v["created_at"] = now;
    v["updated_at"] = now;
    v["created_by"] = actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id);

    if (o.kind == DocumentKind::Payment) return create_payment(tx, actor, o, std::move(v), id);

    if (o.kind == DocumentKind::None) {
      if (o.name == "products" && !v.count("active")) v["active"] = std::int64_t{1};
      if (o.name == "projects" && !v.count("status")) v["status"] = std::string("Planned");
      if (o.name == "tasks" && !v.count("status")) v["status"] = std::string("TODO");
      insert(tx, o, actor.workspace_id, v);
      add_event(tx, actor, o, id, "created");
      return load_json(tx, o, actor.workspace_id, id);
    }

    // Quotes, orders and invoices.
    auto settings = workspace_settings(tx, actor.workspace_id);
    if (!v.count("currency") || std::holds_alternative<std::nullptr_t>(v["currency"]))
      v["currency"] = settings.default_currency;
    std::vector<billing::LineItem> lines;
    if (body.contains("lineItems")) {
      auto parsed = parse_lines(tx, actor.workspace_id, body["lineItems"], text_of(v["currency"]));
      if (!parsed) return fail(parsed.error());
      lines = std::move(*parsed);
    }
    std::int64_t tax = v.count("tax_amount") && !std::holds_alternative<std::nullptr_t>(v["tax_amount"])
                           ? std::get<std::int64_t>(v["tax_amount"])
                           : 0;
    auto totals = billing::compute_totals(lines, tax);
    if (!totals) return fail(totals.error());
    set_totals(v, o, *totals);
    if (o.kind == DocumentKind::Quote) {
      v["quote_number"] = next_number(tx, actor.workspace_id, billing::DocumentKind::Quote, settings.quote_prefix);
      v["status"] = std::string(billing::to_string(QuoteStatus::Draft));
      if (!v.count("expires_at")) v["expires_at"] = store::timestamp_from_now(std::chrono::days(kDefaultQuoteValidityDays));
      v["expiration_reminder_sent"] = std::int64_t{0};
    } else if (o.kind == DocumentKind::Order) {
      v["order_number"] = next_number(tx, actor.workspace_id, billing::DocumentKind::Order, settings.order_prefix);
      v["status"] = std::string(billing::to_string(OrderStatus::PendingFulfillment));
      if (!v.count("order_date") || std::holds_alternative<std::nullptr_t>(v["order_date"])) v["order_date"] = now;
    } else {
      v["status"] = std::string(billing::to_string(InvoiceStatus::Draft));
    }
    insert(tx, o, actor.workspace_id, v);
    store_lines(tx, actor.workspace_id, id, lines);
    add_event(tx, actor, o, id, "created");
    return load_json(tx, o, actor.workspace_id, id);
  }
}

Result<json> Records::update(const Actor& actor, const ObjectDef& o, std::string_view id, const json& patch) {
  auto input = convert_input(o, patch, false);
  if (!input) return fail(input.error());
  if (o.kind == DocumentKind::Payment)
    for (const auto& [k, _] : patch.items())
      if (k != "notes") return fail(Error::validation(k, "a recorded payment can only have its notes changed"));
  return db_->write<json>([&](Tx& tx) -> Result<json> { return update_in(tx, actor, o, id, patch, *input); });
}

Result<json> Records::update(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, const json& patch) {
  auto input = convert_input(o, patch, false);
  if (!input) return fail(input.error());
  if (o.kind == DocumentKind::Payment)
    for (const auto& [k, _] : patch.items())
      if (k != "notes") return fail(Error::validation(k, "a recorded payment can only have its notes changed"));
  return update_in(tx, actor, o, id, patch, *input);
}

Result<json> Records::update_in(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, const json& patch,
                                const std::map<std::string, SqlValue>& input) {
  {
    auto rows = load_for_update(tx, o, actor.workspace_id, id);
    if (!rows) return fail(Error::not_found(o.singular));
    RowView before(*rows, 0);
    json before_json = before_image(tx, actor, o, RecordChange::Updated, id);
    Values v = input;
    if (auto st = check_references(tx, o, actor.workspace_id, v, &before); !st) return fail(st.error());

    if (o.has_line_items) {
      std::string status = before.text("status");
      for (const auto& [key, _] : patch.items()) {
        Status ok;
        if (o.kind == DocumentKind::Quote) ok = billing::check_field_edit(*billing::parse_quote_status(status), key);
        if (o.kind == DocumentKind::Order) ok = billing::check_field_edit(*billing::parse_order_status(status), key);
        if (o.kind == DocumentKind::Invoice)
          ok = billing::check_field_edit(*billing::parse_invoice_status(status), key);
        if (!ok) return fail(ok.error());
      }
      std::string currency = v.count("currency") ? text_of(v["currency"]) : before.text("currency");
      if (v.count("currency") && std::holds_alternative<std::nullptr_t>(v["currency"]))
        return fail(Error::validation("currency", "currency is required"));
      bool lines_change = patch.contains("lineItems");
      if (lines_change || v.count("tax_amount")) {
        std::vector<billing::LineItem> lines;
        if (lines_change) {
          auto parsed = parse_lines(tx, actor.workspace_id, patch["lineItems"], currency);
          if (!parsed) return fail(parsed.error());
          lines = std::move(*parsed);
        } else {
          lines = stored_lines(tx, actor.workspace_id, std::string(id));
        }
        std::int64_t tax = v.count("tax_amount") && !std::holds_alternative<std::nullptr_t>(v["tax_amount"])
                               ? std::get<std::int64_t>(v["tax_amount"])
                               : (v.count("tax_amount") ? 0 : before.integer("tax_amount"));
        auto totals = billing::compute_totals(lines, tax);
        if (!totals) return fail(totals.error());
        set_totals(v, o, *totals);
        if (lines_change) {
          store_lines(tx, actor.workspace_id, std::string(id), lines);
          add_event(tx, actor, o, id, "field_changed", "lineItems");
        }
      }
    }

    Values changed;
    for (const auto& [column, value] : v)
      if (before.at(column) != value) changed[column] = value;
    if (!changed.empty()) {
      changed["updated_at"] = store::now_timestamp();
      update_columns(tx, o, actor.workspace_id, id, changed);
      for (const auto& f : o.fields) {
        auto it = changed.find(f.spec.column);
        if (it != changed.end() && f.spec.column != "updated_at")
          add_event(tx, actor, o, id, "field_changed", f.spec.name, before.at(f.spec.column), it->second);
      }
    }
    if (!before_json.is_null()) notify(tx, actor, o, RecordChange::Updated, before_json, id);
    return load_json(tx, o, actor.workspace_id, id);
  }
}

Result<json> Records::act(const Actor& actor, const ObjectDef& o, std::string_view id, std::string_view action,
                          const json& body) {
  return act(actor, o, id, action, body, {});
}

Result<json> Records::act(const Actor& actor, const ObjectDef& o, std::string_view id, std::string_view action,
                          const json& body, const std::map<std::string, SqlValue>& also_set) {
  return db_->write<json>([&](Tx& tx) -> Result<json> { return act(tx, actor, o, id, action, body, also_set); });
}

Result<json> Records::act(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, std::string_view action,
                          const json& body, const std::map<std::string, SqlValue>& also_set) {
  json before;
  if (load_for_update(tx, o, actor.workspace_id, id)) before = before_image(tx, actor, o, RecordChange::Updated, id);
  auto done = act_in(tx, actor, o, id, action, body);
  if (!done) return done;
  if (!also_set.empty()) {
    Values extra(also_set.begin(), also_set.end());
    extra["updated_at"] = store::now_timestamp();
    update_columns(tx, o, actor.workspace_id, id, extra);
  }
  if (!before.is_null()) notify(tx, actor, o, RecordChange::Updated, before, id);
  // The records an action makes: the order of an accepted quote, the draft of an invoiced order.
  if (o.kind == DocumentKind::Quote && before.is_object() && before["orderId"].is_null() && done->is_object() &&
      done->value("orderId", json()).is_string())
    notify(tx, actor, *find_object("orders"), RecordChange::Created, nullptr, (*done)["orderId"].get<std::string>());
  if (o.kind == DocumentKind::Order && action == "invoice" && before.is_object() && before["invoiceId"].is_null() &&
      done->is_object() && done->contains("id"))
    notify(tx, actor, *find_object("invoices"), RecordChange::Created, nullptr, (*done)["id"].get<std::string>());
  if (also_set.empty()) return done;
  return load_json(tx, o, actor.workspace_id, std::string(id));
}

namespace {

Result<json> act_in(Tx& tx, const Actor& actor, const ObjectDef& o, std::string_view id, std::string_view action,
                    const json& body) {
  {
    auto rows = load_for_update(tx, o, actor.workspace_id, id);
    if (!rows) return fail(Error::not_found(o.singular));
    RowView r(*rows, 0);
    std::string status = r.text("status");
    const std::string ws = actor.workspace_id;
    const std::string sid(id);

    if (o.kind == DocumentKind::Quote) {
      auto a = billing::parse_quote_action(action);
      if (!a || *a == billing::QuoteAction::Expire) return fail(Error::not_found("action '" + std::string(action) + "'"));
      auto current = *billing::parse_quote_status(status);
      // Accepting twice answers the same quote and order: exactly one order per quote.
      if (*a == billing::QuoteAction::Accept && current == QuoteStatus::Accepted && !r.is_null("order_id"))
        return load_json(tx, o, ws, sid);
      auto target = billing::apply(*a, current);
      if (!target) return fail(target.error());
      if (*a == billing::QuoteAction::Finalize && load_lines(tx, ws, {sid})[sid].empty())
        return fail(Error::validation("lineItems", "a quote needs at least one line item to be finalized"));
      if (auto st = move_status(tx, actor, o, id, status, billing::to_string(*target)); !st) return fail(st.error());
      if (*a == billing::QuoteAction::Accept) {
        std::string order_id = create_order_from_quote(tx, actor, r, sid);
        update_columns(tx, o, ws, id, {{"accepted_date", store::now_timestamp()}, {"order_id", order_id}});
      }
      return load_json(tx, o, ws, sid);
    }

    if (o.kind == DocumentKind::Order) {
      if (action == "invoice") {
        if (!r.is_null("invoice_id")) return load_json(tx, *find_object("invoices"), ws, r.text("invoice_id"));
        auto current = *billing::parse_order_status(status);
        if (current != OrderStatus::Fulfilled)
          return fail(Error{ErrorCode::Conflict, "only a Fulfilled order can be converted to an invoice", "status", {},
                            json{{"from", status}, {"required", "Fulfilled"}}});
        const ObjectDef& invoices = *find_object("invoices");
        std::string invoice_id = random_id("inv");
        std::string now = store::now_timestamp();
        Values v{{"id", invoice_id},
                 {"created_at", now},
                 {"updated_at", now},
                 {"created_by", actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id)},
                 {"status", std::string(billing::to_string(InvoiceStatus::Draft))},
                 {"company_id", r.text("company_id")},
                 {"order_id", sid},
                 {"project_id", r.at("project_id")},
                 {"currency", r.text("currency")},
                 {"subtotal", r.integer("subtotal")},
                 {"tax_amount", r.integer("tax_amount")},
                 {"total", r.integer("total_amount")},
                 {"stripe_customer_id", r.at("stripe_customer_id")},
                 // The invoice Stripe made when the quote was accepted, adopted at finalize.
                 {"stripe_invoice_id", r.at("stripe_invoice_id")}};
        set_draft_money(v, r.integer("total_amount"));
        if (body.is_object() && body.contains("dueDate")) {
          auto d = body["dueDate"].is_string() ? store::normalize_date(body["dueDate"].get<std::string>()) : std::nullopt;
          if (!d) return fail(Error::validation("dueDate", "dueDate must be a date (YYYY-MM-DD)"));
          v["due_date"] = *d;
        }
        insert(tx, invoices, ws, v);
        store_lines(tx, ws, invoice_id, stored_lines(tx, ws, sid));
        add_event(tx, actor, invoices, invoice_id, "created");
        update_columns(tx, o, ws, id, {{"invoice_id", invoice_id}, {"updated_at", now}});
        add_event(tx, actor, o, id, "field_changed", "invoiceId", nullptr, invoice_id);
        return load_json(tx, invoices, ws, invoice_id);
      }
      auto a = billing::parse_order_action(action);
      if (!a || *a == billing::OrderAction::MarkInvoiced)
        return fail(Error::not_found("action '" + std::string(action) + "'"));
      auto target = billing::apply(*a, *billing::parse_order_status(status));
      if (!target) return fail(target.error());
      if (*a == billing::OrderAction::Cancel && !r.is_null("invoice_id"))
        return fail(Error::conflict("the order has an invoice; delete or void the invoice first", "invoiceId"));
      if (auto st = move_status(tx, actor, o, id, status, billing::to_string(*target)); !st) return fail(st.error());
      if (*a == billing::OrderAction::Fulfill) change(tx, actor, o, id, r, "fulfillment_date", store::now_timestamp());
      return load_json(tx, o, ws, sid);
    }

    if (o.kind == DocumentKind::Invoice) {
      auto a = billing::parse_invoice_action(action);
      if (!a) return fail(Error::not_found("action '" + std::string(action) + "'"));
      billing::InvoiceAmounts amounts = invoice_amounts(r);
      auto target = billing::apply(*a, amounts);
      if (!target) return fail(target.error());
      amounts.status = *target;
      if (*a == billing::InvoiceAction::Finalize) {
        if (load_lines(tx, ws, {sid})[sid].empty())
          return fail(Error::validation("lineItems", "an invoice needs at least one line item to be finalized"));
        std::string issue = r.is_null("issue_date") ? today() : r.text("issue_date");
        std::string due = r.is_null("due_date") ? add_days(issue, kDefaultPaymentTermsDays) : r.text("due_date");
        if (due < issue) return fail(Error::validation("dueDate", "dueDate is before issueDate"));
        auto settings = workspace_settings(tx, ws);
        std::string number = next_number(tx, ws, billing::DocumentKind::Invoice, settings.invoice_prefix);
        if (auto st = record_invoice_money(tx, actor, r, amounts,
                                           {{"invoice_number", number}, {"issue_date", issue}, {"due_date", due}});
            !st)
          return fail(st.error());
        add_event(tx, actor, o, id, "field_changed", "invoiceNumber", nullptr, number);
        if (!r.is_null("order_id")) {
          const ObjectDef& orders = *find_object("orders");
          auto order = load_for_update(tx, orders, ws, r.text("order_id"));
          if (order) {
            std::string order_status = RowView(*order, 0).text("status");
            auto moved = billing::apply(billing::OrderAction::MarkInvoiced, *billing::parse_order_status(order_status));
            if (!moved) return fail(moved.error());
            if (auto st = move_status(tx, actor, orders, r.text("order_id"), order_status, billing::to_string(*moved));
                !st)
              return fail(st.error());
          }
        }
        return load_json(tx, o, ws, sid);
      }
      if (auto st = record_invoice_money(tx, actor, r, amounts); !st) return fail(st.error());
      return load_json(tx, o, ws, sid);
    }
    return fail(Error::not_found("action '" + std::string(action) + "'"));
  }
}

}  // namespace

Result<std::vector<std::string>> Records::expire_due_quotes(const Actor& actor) {
  return db_->write<std::vector<std::string>>(
      [&](Tx& tx) -> Result<std::vector<std::string>> { return expire_due_quotes(tx, actor); });
}

Result<std::vector<std::string>> Records::expire_due_quotes(Tx& tx, const Actor& actor) {
  {
    const ObjectDef& quotes = *find_object("quotes");
    const ObjectDef& tasks = *find_object("tasks");
    Rows due = tx.query(kSelectDueQuotes + std::string(tx.lock_suffix()),
                        {{"ws", actor.workspace_id}, {"now", store::now_timestamp()}});
    std::vector<std::string> expired;
    for (size_t i = 0; i < due.size(); ++i) {
      RowView q(due, i);
      std::string id = q.text("id");
      auto target = billing::apply(billing::QuoteAction::Expire, QuoteStatus::Open);
      if (!target) return fail(target.error());
      json before = before_image(tx, actor, quotes, RecordChange::Updated, id);
      if (auto st = move_status(tx, actor, quotes, id, "Open", billing::to_string(*target)); !st) return fail(st.error());
      expired.push_back(id);
      if (q.integer("expiration_reminder_sent") != 0) {
        notify(tx, actor, quotes, RecordChange::Updated, before, id);
        continue;
      }
      // One follow-up task for the rep who made the quote, due tomorrow.
      std::string task_id = random_id("tsk");
      std::string now = store::now_timestamp();
      std::string total = display_money(q.integer("total"), q.text("currency"));
      Values t{{"id", task_id},
               {"created_at", now},
               {"updated_at", now},
               {"created_by", nullptr},
               {"title", "Follow up: quote " + q.text("quote_number") + " expired"},
               {"body", "Quote " + q.text("quote_number") + " (" + total + ") expired on " +
                            q.text("expires_at").substr(0, 10) +
                            " without being accepted. Ask the customer whether to send a new one."},
               {"due_at", store::timestamp_from_now(std::chrono::days(1))},
               {"status", std::string("TODO")},
               {"assignee_id", q.at("created_by")},
               {"target_object", std::string("quotes")},
               {"target_id", id}};
      insert(tx, tasks, actor.workspace_id, t);
      add_event(tx, actor, tasks, task_id, "created");
      update_columns(tx, quotes, actor.workspace_id, id, {{"expiration_reminder_sent", std::int64_t{1}}});
      add_event(tx, actor, quotes, id, "field_changed", "expirationReminderSent", std::int64_t{0}, std::int64_t{1});
      notify(tx, actor, tasks, RecordChange::Created, nullptr, task_id);
      notify(tx, actor, quotes, RecordChange::Updated, before, id);
    }
    return expired;
  }
}

}  // namespace settle::crm
