#include "crm/objects.hpp"

#include "billing/lifecycle.hpp"

namespace settle::crm {
namespace {

using store::FieldType;

// Builders keep the catalog below readable: one line per field.
FieldDef f(std::string name, std::string column, FieldType type, Access access = Access::Writable) {
  FieldDef d;
  d.spec.name = std::move(name);
  d.spec.column = std::move(column);
  d.spec.type = type;
  d.access = access;
  return d;
}
FieldDef text(std::string name, std::string column, size_t max = 2000) {
  auto d = f(std::move(name), std::move(column), FieldType::Text);
  d.max_length = max;
  return d;
}
FieldDef required(FieldDef d) {
  d.required = true;
  return d;
}
FieldDef money(std::string name, std::string column, Access access = Access::Writable) {
  auto d = f(std::move(name), std::move(column), FieldType::Integer, access);
  d.money = true;
  return d;
}
FieldDef ref(std::string name, std::string column, std::string object, Access access = Access::Writable) {
  auto d = f(std::move(name), std::move(column), FieldType::Id, access);
  d.references = std::move(object);
  return d;
}
FieldDef enumeration(std::string name, std::string column, std::vector<std::string> values,
                     Access access = Access::Writable) {
  auto d = f(std::move(name), std::move(column), FieldType::Enum, access);
  d.spec.enum_values = std::move(values);
  return d;
}
FieldDef ro(FieldDef d) {
  d.access = Access::ReadOnly;
  return d;
}
// A NOT NULL column (store/schema.cpp): sorted and paged without NULL handling.
FieldDef not_null(FieldDef d) {
  d.spec.nullable = false;
  return d;
}
// A text column in the SQLite trigram table `table` (store/schema.cpp), for search.
FieldDef searched_in(std::string table, FieldDef d) {
  d.spec.sqlite_trigram_table = std::move(table);
  return d;
}

std::vector<std::string> names_of(const auto& statuses) {
  std::vector<std::string> out;
  for (auto s : statuses) out.emplace_back(billing::to_string(s));
  return out;
}

ObjectDef object(std::string name, std::string singular, DocumentKind kind, std::vector<FieldDef> own) {
  ObjectDef o;
  o.name = std::move(name);
  o.singular = std::move(singular);
  o.kind = kind;
  o.has_line_items = kind == DocumentKind::Quote || kind == DocumentKind::Order || kind == DocumentKind::Invoice;
  o.spec.table = o.name;
  o.fields.push_back(not_null(f("id", "id", FieldType::Id, Access::ReadOnly)));
  for (auto& d : own) o.fields.push_back(std::move(d));
  o.fields.push_back(not_null(f("createdAt", "created_at", FieldType::Timestamp, Access::ReadOnly)));
  o.fields.push_back(not_null(f("updatedAt", "updated_at", FieldType::Timestamp, Access::ReadOnly)));
  o.fields.push_back(f("deletedAt", "deleted_at", FieldType::Timestamp, Access::ReadOnly));
  o.fields.push_back(ro(ref("createdBy", "created_by", "")));
  for (const auto& d : o.fields) o.spec.fields.push_back(d.spec);
  return o;
}

std::vector<ObjectDef> build_catalog() {
  const auto quote_statuses = names_of(billing::kAllQuoteStatuses);
  const auto order_statuses = names_of(billing::kAllOrderStatuses);
  const auto invoice_statuses = names_of(billing::kAllInvoiceStatuses);
  std::vector<ObjectDef> c;
  c.push_back(object("companies", "company", DocumentKind::None,
                     {not_null(required(text("name", "name", 300))), text("domainName", "domain_name", 300),
                      text("address", "address"), ref("primaryContactId", "primary_contact_id", "people"),
                      ro(text("stripeCustomerId", "stripe_customer_id")),
                      ro(text("stripeDefaultPaymentMethod", "stripe_default_payment_method"))}));
  c.push_back(object("people", "person", DocumentKind::None,
                     {required(text("firstName", "first_name", 200)), text("lastName", "last_name", 200),
                      text("email", "email", 320), text("phone", "phone", 64),
                      ref("companyId", "company_id", "companies")}));
  c.push_back(object("products", "product", DocumentKind::None,
                     {required(text("name", "name", 300)), text("description", "description"),
                      required(money("unitAmount", "unit_amount")), required(text("currency", "currency", 3)),
                      f("active", "active", FieldType::Boolean), ro(text("stripeProductId", "stripe_product_id")),
                      ro(text("stripePriceId", "stripe_price_id"))}));
  c.push_back(object("projects", "project", DocumentKind::None,
                     {required(text("name", "name", 300)), enumeration("status", "status", kProjectStatuses),
                      money("budget", "budget"), text("currency", "currency", 3),
                      ref("companyId", "company_id", "companies"), text("code", "code", 64),
                      f("startDate", "start_date", FieldType::Date), f("endDate", "end_date", FieldType::Date)}));
  c.push_back(object(
      "quotes", "quote", DocumentKind::Quote,
      {ro(text("quoteNumber", "quote_number")), not_null(enumeration("status", "status", quote_statuses, Access::ReadOnly)),
       not_null(required(ref("companyId", "company_id", "companies"))), ref("personId", "person_id", "people"),
       not_null(text("currency", "currency", 3)), money("subtotal", "subtotal", Access::ReadOnly),
       money("taxAmount", "tax_amount"), not_null(money("total", "total", Access::ReadOnly)),
       f("expiresAt", "expires_at", FieldType::Timestamp),
       f("acceptedDate", "accepted_date", FieldType::Timestamp, Access::ReadOnly),
       f("expirationReminderSent", "expiration_reminder_sent", FieldType::Boolean, Access::ReadOnly),
       ro(ref("orderId", "order_id", "orders")), text("notes", "notes", 10000), text("terms", "terms", 10000),
       ro(text("stripeQuoteId", "stripe_quote_id")), ro(text("stripeCustomerId", "stripe_customer_id")),
       ro(text("stripeQuoteUrl", "stripe_quote_url")), ro(text("stripePdfUrl", "stripe_pdf_url")),
       ro(text("pdfSha256", "pdf_sha256")),
       enumeration("stripeSyncStatus", "stripe_sync_status", {"", "synced", "failed"}, Access::ReadOnly),
       ro(text("stripeSyncError", "stripe_sync_error"))}));
  c.push_back(object(
      "orders", "order", DocumentKind::Order,
      {ro(text("orderNumber", "order_number")), f("orderDate", "order_date", FieldType::Timestamp),
       f("fulfillmentDate", "fulfillment_date", FieldType::Timestamp, Access::ReadOnly),
       not_null(enumeration("status", "status", order_statuses, Access::ReadOnly)), text("currency", "currency", 3),
       money("subtotal", "subtotal", Access::ReadOnly), money("taxAmount", "tax_amount"),
       not_null(money("totalAmount", "total_amount", Access::ReadOnly)), text("fulfillmentNotes", "fulfillment_notes", 10000),
       text("shippingInfo", "shipping_info", 10000), not_null(required(ref("companyId", "company_id", "companies"))),
       ro(ref("quoteId", "quote_id", "quotes")), ro(ref("invoiceId", "invoice_id", "invoices")),
       ref("projectId", "project_id", "projects"), ro(text("stripeQuoteId", "stripe_quote_id")),
       ro(text("stripeCustomerId", "stripe_customer_id")), ro(text("stripeInvoiceId", "stripe_invoice_id"))}));
  c.push_back(object(
      "invoices", "invoice", DocumentKind::Invoice,
      {searched_in("invoices_search", ro(text("invoiceNumber", "invoice_number"))),
       not_null(enumeration("status", "status", invoice_statuses, Access::ReadOnly)),
       not_null(required(ref("companyId", "company_id", "companies"))), ro(ref("orderId", "order_id", "orders")),
       ref("projectId", "project_id", "projects"), f("issueDate", "issue_date", FieldType::Date),
       f("dueDate", "due_date", FieldType::Date), not_null(text("currency", "currency", 3)),
       not_null(money("subtotal", "subtotal", Access::ReadOnly)), not_null(money("taxAmount", "tax_amount")),
       not_null(money("total", "total", Access::ReadOnly)), not_null(money("amountPaid", "amount_paid", Access::ReadOnly)),
       not_null(money("amountRefunded", "amount_refunded", Access::ReadOnly)),
       not_null(money("amountDue", "amount_due", Access::ReadOnly)), searched_in("invoices_search", text("notes", "notes", 10000)), text("terms", "terms", 10000),
       ro(text("stripeInvoiceId", "stripe_invoice_id")), ro(text("stripeCustomerId", "stripe_customer_id")),
       ro(text("stripePaymentIntentId", "stripe_payment_intent_id")),
       ro(text("stripeChargeId", "stripe_charge_id")), ro(text("stripeInvoiceUrl", "stripe_invoice_url")),
       ro(text("stripePdfUrl", "stripe_pdf_url")), ro(text("stripePaymentLink", "stripe_payment_link")),
       ro(text("pdfSha256", "pdf_sha256")),
       f("paymentLinkExpiresAt", "payment_link_expires_at", FieldType::Timestamp, Access::ReadOnly),
       f("lastSyncedAt", "last_synced_at", FieldType::Timestamp, Access::ReadOnly),
       enumeration("stripeSyncStatus", "stripe_sync_status", {"", "synced", "failed"}, Access::ReadOnly),
       ro(text("stripeSyncError", "stripe_sync_error"))}));
  c.push_back(object(
      "payments", "payment", DocumentKind::Payment,
      {required(ref("invoiceId", "invoice_id", "invoices", Access::CreateOnly)),
       ro(ref("companyId", "company_id", "companies")),
       enumeration("kind", "kind", {"payment", "refund"}, Access::ReadOnly),
       required(money("amount", "amount", Access::CreateOnly)), ro(text("currency", "currency", 3)),
       enumeration("status", "status", {"succeeded", "pending", "failed"}, Access::ReadOnly),
       enumeration("method", "method", {"card", "us_bank_account", "manual"}, Access::CreateOnly),
       f("receivedAt", "received_at", FieldType::Timestamp, Access::CreateOnly), text("notes", "notes", 10000),
       ro(text("stripePaymentIntentId", "stripe_payment_intent_id")),
       ro(text("stripeChargeId", "stripe_charge_id")), ro(text("stripeRefundId", "stripe_refund_id"))}));
  c.push_back(object("expenses", "expense", DocumentKind::None,
                     {required(text("description", "description", 2000)), required(money("amount", "amount")),
                      required(text("currency", "currency", 3)), required(f("date", "date", FieldType::Date)),
                      text("vendor", "vendor", 300), text("category", "category", 100),
                      ref("projectId", "project_id", "projects"), ref("companyId", "company_id", "companies")}));
  c.push_back(object("tasks", "task", DocumentKind::None,
                     {required(text("title", "title", 500)), text("body", "body", 20000),
                      f("dueAt", "due_at", FieldType::Timestamp), enumeration("status", "status", kTaskStatuses),
                      ref("assigneeId", "assignee_id", ""),
                      enumeration("targetObject", "target_object",
                                  {"companies", "people", "products", "projects", "quotes", "orders", "invoices",
                                   "payments", "expenses"}),
                      f("targetId", "target_id", FieldType::Id)}));
  c.push_back(object("notes", "note", DocumentKind::None,
                     {required(text("title", "title", 500)), text("body", "body", 100000),
                      enumeration("targetObject", "target_object",
                                  {"companies", "people", "products", "projects", "quotes", "orders", "invoices",
                                   "payments", "expenses"}),
                      f("targetId", "target_id", FieldType::Id)}));
  return c;
}

}  // namespace

const FieldDef* ObjectDef::field(std::string_view api_name) const {
  for (const auto& d : fields)
    if (d.spec.name == api_name) return &d;
  return nullptr;
}

const std::vector<ObjectDef>& all_objects() {
  static const std::vector<ObjectDef> kCatalog = build_catalog();
  return kCatalog;
}

const ObjectDef* find_object(std::string_view name) {
  for (const auto& o : all_objects())
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace settle::crm
