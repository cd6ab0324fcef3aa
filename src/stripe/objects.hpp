// Typed views of the Stripe objects Settle works with, parsed from Stripe's JSON as the
// API (version basil and later, see client.hpp for the pinned version) returns them and
// as Stripe's own examples (../shared/stripe/fixtures3.json, next to the repository) show them.
//
// Parsing is tolerant and strict at once: fields Settle does not need are ignored and
// optional fields may be missing or null, but a field Settle reads must have the type
// Stripe documents, or parsing fails with an Upstream error naming the field's path
// ("invoice.lines.data[0].amount must be an integer"). A reference to another object
// ("customer": "cus_..."), which becomes the whole object when expanded, is read as its
// id in either form.
//
// Since API version basil an invoice carries no `payment_intent` or `charge`: payments
// are InvoicePayment objects (GET /v1/invoice_payments?invoice=..., or expand[]=payments),
// and an invoice made from a quote names it in parent.quote_details.quote.
//
// Statuses stay strings: Stripe adds values over time, and an unknown status must not
// make an object unreadable.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace settle::stripe {

using json = nlohmann::json;
using Metadata = std::map<std::string, std::string>;

// A page of a list (`"object": "list"`) or of a search result (`"search_result"`).
template <class T>
struct List {
  std::vector<T> data;
  bool has_more = false;
  std::string url;
  std::optional<std::string> next_page;  // search results only: pass as `page` for the next page
};

struct Customer {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> description;
  std::optional<std::string> currency;
  Metadata metadata;
  std::int64_t created = 0;
  bool livemode = false;
  bool deleted = false;  // a deleted customer is still returned by retrieve, marked so
};

struct Product {
  std::string id;
  std::string name;
  bool active = true;
  std::optional<std::string> description;
  std::optional<std::string> default_price;
  Metadata metadata;
  std::int64_t created = 0;
  bool livemode = false;
};

struct Price {
  std::string id;
  std::string product;   // id
  std::string currency;  // lower case, as Stripe writes it ("usd")
  std::optional<std::int64_t> unit_amount;  // null for tiered or custom-amount prices
  std::optional<std::string> unit_amount_decimal;
  std::string type;  // "one_time" or "recurring"
  std::optional<std::string> recurring_interval;  // "month", ... for recurring prices
  std::optional<std::string> lookup_key;
  bool active = true;
  Metadata metadata;
  std::int64_t created = 0;
  bool livemode = false;
};

// An invoice item (POST /v1/invoiceitems): a pending line for the next invoice.
struct InvoiceItem {
  std::string id;
  std::string customer;
  std::int64_t amount = 0;
  std::string currency;
  std::optional<std::string> description;
  std::optional<std::string> invoice;  // null while pending
  std::optional<std::int64_t> quantity;
  Metadata metadata;
  bool livemode = false;
};

// One line of an invoice (`line_item` in invoice.lines and /v1/invoices/{id}/lines).
struct InvoiceLineItem {
  std::string id;
  std::int64_t amount = 0;
  std::string currency;
  std::optional<std::string> description;
  std::optional<std::int64_t> quantity;
  std::optional<std::string> invoice_item;  // parent.invoice_item_details.invoice_item
  Metadata metadata;
};

struct Invoice {
  std::string id;
  std::string status;  // draft, open, paid, uncollectible, void
  std::optional<std::string> number;  // assigned on finalization
  std::string customer;
  std::string currency;
  std::int64_t amount_due = 0;
  std::int64_t amount_paid = 0;
  std::int64_t amount_remaining = 0;
  std::int64_t total = 0;
  std::optional<std::int64_t> subtotal;
  std::optional<std::string> collection_method;  // charge_automatically, send_invoice
  std::optional<std::string> hosted_invoice_url;  // set once finalized
  std::optional<std::string> invoice_pdf;
  std::optional<std::int64_t> due_date;
  std::int64_t created = 0;
  Metadata metadata;
  std::optional<std::string> quote;  // parent.quote_details.quote
  List<InvoiceLineItem> lines;       // the first page Stripe embeds
  bool livemode = false;
};

// One payment of an invoice (basil and later).
struct InvoicePayment {
  std::string id;
  std::string invoice;  // id
  std::string status;   // open, paid, canceled
  std::optional<std::int64_t> amount_paid;  // null until paid
  std::int64_t amount_requested = 0;
  std::string currency;
  bool is_default = false;
  std::string payment_type;                  // payment.type: payment_intent, charge, ...
  std::optional<std::string> payment_intent;  // payment.payment_intent
  std::optional<std::string> charge;          // payment.charge
  std::optional<std::int64_t> paid_at;        // status_transitions.paid_at
  std::int64_t created = 0;
  bool livemode = false;
};

// Why the last payment attempt failed (payment_intent.last_payment_error).
struct PaymentError {
  std::string type;
  std::optional<std::string> code;
  std::optional<std::string> decline_code;
  std::optional<std::string> message;
};

struct PaymentIntent {
  std::string id;
  std::string status;  // requires_payment_method, processing, succeeded, canceled, ...
  std::int64_t amount = 0;
  std::int64_t amount_received = 0;
  std::string currency;
  std::optional<std::string> customer;
  std::optional<std::string> latest_charge;
  std::optional<std::string> payment_method;
  std::optional<PaymentError> last_payment_error;
  Metadata metadata;
  std::int64_t created = 0;
  bool livemode = false;
};

struct Charge {
  std::string id;
  std::string status;  // succeeded, pending, failed
  std::int64_t amount = 0;
  std::int64_t amount_captured = 0;
  std::int64_t amount_refunded = 0;
  bool refunded = false;  // fully refunded
  bool paid = false;
  std::string currency;
  std::optional<std::string> customer;
  std::optional<std::string> payment_intent;
  std::optional<std::string> payment_method_type;  // payment_method_details.type: card, us_bank_account, ...
  std::optional<std::string> failure_code;
  std::optional<std::string> failure_message;
  std::optional<std::string> receipt_url;
  Metadata metadata;
  std::int64_t created = 0;
  bool livemode = false;
};

struct Refund {
  std::string id;
  std::int64_t amount = 0;
  std::string currency;
  std::optional<std::string> status;  // pending, requires_action, succeeded, failed, canceled
  std::optional<std::string> charge;
  std::optional<std::string> payment_intent;
  std::optional<std::string> reason;
  Metadata metadata;
  std::int64_t created = 0;
};

struct Quote {
  std::string id;
  std::string status;  // draft, open, accepted, canceled
  std::optional<std::string> number;  // assigned on finalization
  std::optional<std::string> customer;
  std::optional<std::string> currency;
  std::int64_t amount_subtotal = 0;
  std::int64_t amount_total = 0;
  std::optional<std::string> invoice;  // set when accepted
  std::optional<std::int64_t> expires_at;
  Metadata metadata;
  std::int64_t created = 0;
  bool livemode = false;
  // Stripe's quote object has no PDF URL; the PDF is downloaded with Client::quote_pdf.
};

struct WebhookEndpoint {
  std::string id;
  std::string url;
  std::optional<std::string> secret;  // "whsec_..."; only in the answer to create
  std::vector<std::string> enabled_events;
  std::string status;  // enabled, disabled
  std::optional<std::string> api_version;
  Metadata metadata;
  bool livemode = false;
};

struct Event {
  std::string id;
  std::string type;  // "invoice.paid", ...
  std::int64_t created = 0;
  bool livemode = false;
  std::optional<std::string> account;      // the connected account, for Connect events
  std::optional<std::string> api_version;  // the version data.object is rendered in
  std::string object_type;  // data.object.object ("invoice")
  std::string object_id;    // data.object.id
  json object;              // data.object, raw: parse with the matching parse_* function
  json previous_attributes;  // data.previous_attributes for *.updated events, else null
  std::optional<std::string> request_id;              // request.id, null for automatic events
  std::optional<std::string> request_idempotency_key;  // request.idempotency_key
};

// The answer to a DELETE: {"id": ..., "object": ..., "deleted": true}.
struct Deleted {
  std::string id;
  bool deleted = false;
};

// Each parser takes the path its object is found at, used in error messages; the
// default is the object's type. Errors are Error::upstream("Stripe sent data Settle
// cannot read: <path>.<field> must be <type>") with details {"path": "<path>.<field>"}.
Result<Customer> parse_customer(const json& j, const std::string& path = "customer");
Result<Product> parse_product(const json& j, const std::string& path = "product");
Result<Price> parse_price(const json& j, const std::string& path = "price");
Result<InvoiceItem> parse_invoice_item(const json& j, const std::string& path = "invoiceitem");
Result<InvoiceLineItem> parse_invoice_line_item(const json& j, const std::string& path = "line_item");
Result<Invoice> parse_invoice(const json& j, const std::string& path = "invoice");
Result<InvoicePayment> parse_invoice_payment(const json& j, const std::string& path = "invoice_payment");
Result<PaymentIntent> parse_payment_intent(const json& j, const std::string& path = "payment_intent");
Result<Charge> parse_charge(const json& j, const std::string& path = "charge");
Result<Refund> parse_refund(const json& j, const std::string& path = "refund");
Result<Quote> parse_quote(const json& j, const std::string& path = "quote");
Result<WebhookEndpoint> parse_webhook_endpoint(const json& j, const std::string& path = "webhook_endpoint");
Result<Event> parse_event(const json& j, const std::string& path = "event");
Result<Deleted> parse_deleted(const json& j, const std::string& path = "deleted");

template <class T>
using ElementParser = Result<T> (*)(const json&, const std::string&);

// Implementation detail of parse_list, shared by every element type: checks the list's
// own fields and calls `each` with every element and its path ("<path>.data[3]").
Status parse_list_frame(const json& j, const std::string& path, bool& has_more, std::string& url,
                        std::optional<std::string>& next_page,
                        const std::function<Status(const json&, const std::string&)>& each);

// A list or search result whose elements are parsed with `parse_element`, e.g.
// parse_list(j, parse_invoice); an element's error names its index ("list.data[3].amount").
template <class T>
Result<List<T>> parse_list(const json& j, ElementParser<T> parse_element, const std::string& path = "list") {
  List<T> list;
  auto status = parse_list_frame(j, path, list.has_more, list.url, list.next_page,
                                 [&](const json& element, const std::string& element_path) -> Status {
                                   auto parsed = parse_element(element, element_path);
                                   if (!parsed) return fail(std::move(parsed.error()));
                                   list.data.push_back(std::move(*parsed));
                                   return {};
                                 });
  if (!status) return fail(status.error());
  return list;
}

}  // namespace settle::stripe
