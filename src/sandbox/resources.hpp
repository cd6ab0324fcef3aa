// Stripe's resources as the sandbox implements them: the operations behind each API
// route and the state changes that payments, the clock and hosted pages cause. Every
// operation works on one account under the sandbox's state lock (see sandbox.cpp), takes
// the decoded request parameters, returns the JSON Stripe would answer and throws
// ApiError for a refusal. Every state change emits the event Stripe would emit; the
// webhook deliveries those events need are collected in the Ctx for the caller to hand
// to the dispatcher once the lock is released.
//
// Implemented in catalog.cpp (customers, products, prices), billing.cpp (invoice items,
// invoices, invoice payments, quotes), payments.cpp (payment methods, payment intents,
// charges, refunds, payment links, checkout sessions) and events.cpp (events, webhook
// endpoints, the clock's transitions).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/state.hpp"
#include "sandbox/test_payment_methods.hpp"

namespace settle::sandbox {

using nlohmann::json;

// The API version the sandbox answers with when a request names none. Objects always
// have the shape of API versions basil and later (invoices link payments through
// invoice_payments and quotes through parent.quote_details).
inline constexpr const char* kDefaultApiVersion = "2025-03-31.basil";

// Sandbox knobs that are no part of Stripe (set through /_sandbox/settings).
struct Settings {
  // Payment links deactivate this long after creation on the sandbox clock; 0 = never (as at Stripe).
  std::int64_t payment_link_lifetime_seconds = 0;
  // A bank debit (pm_usBankAccount) stays `processing` this long on the sandbox clock.
  std::int64_t ach_settlement_seconds = 60;
};

// One webhook to deliver: the signed payload of one event for one endpoint.
struct Delivery {
  std::string account_key;
  std::string event_id;
  std::string event_type;
  std::string endpoint_id;
  std::string url;
  std::string secret;
  std::string payload;  // the event's JSON, exactly the bytes signed and sent
};

// What an operation may use and change.
struct Ctx {
  State& state;
  Account& account;
  const Settings& settings;
  std::int64_t now;              // sandbox clock
  std::string base_url;          // "http://127.0.0.1:12111", for hosted page URLs
  std::string request_id;        // empty for changes made by the clock or a hosted page
  std::string idempotency_key;
  std::string api_version;
  std::vector<Delivery> outbox;  // deliveries of the events emitted so far
};

// The request as an operation sees it: decoded parameters, path captures and the path
// (lists echo it as `url`).
struct Call {
  const json& params;
  const std::map<std::string, std::string, std::less<>>& path;
  std::string url;
  const std::string& id() const { return path.at("id"); }
};

using Operation = json (*)(Ctx&, const Call&);

// ---- Shared helpers -----------------------------------------------------------------
// Stores a new event for `object` (a snapshot is taken now) and queues its deliveries.
void emit(Ctx& ctx, const std::string& type, const json& object, const json& previous_attributes = nullptr);
// A Stripe list object of the account's objects of `type` that pass `include`, paged by
// the call's limit/starting_after/ending_before/created parameters.
json list_of(Ctx& ctx, const Call& call, const std::string& type, const std::function<bool(const json&)>& include);
// A list object over given ids in the given order (invoice lines, quote line items).
json list_over(Ctx& ctx, const Call& call, const std::vector<std::string>& ids, const std::string& url,
               const std::function<json(const std::string&)>& render);
json deleted_object(const std::string& id, const std::string& object);
// A quote's or payment link's line `item` object for `quantity` of `price`.
json item_for_price(Ctx& ctx, const json& price, std::int64_t quantity);
json empty_address();
json address_from(const json* params);

// ---- Catalog --------------------------------------------------------------------------
json create_customer(Ctx&, const Call&);
json retrieve_customer(Ctx&, const Call&);
json update_customer(Ctx&, const Call&);
json delete_customer(Ctx&, const Call&);
json list_customers(Ctx&, const Call&);
json search_customers(Ctx&, const Call&);
json create_product(Ctx&, const Call&);
json retrieve_product(Ctx&, const Call&);
json update_product(Ctx&, const Call&);
json list_products(Ctx&, const Call&);
json create_price(Ctx&, const Call&);
json retrieve_price(Ctx&, const Call&);
json update_price(Ctx&, const Call&);
json list_prices(Ctx&, const Call&);
// A price from `price_data[...]` (currency, product or product_data, unit_amount[_decimal],
// recurring): Stripe creates an inactive Price for it. `path` names the parameter in errors.
json& price_from_data(Ctx& ctx, const json& price_data, const std::string& path, bool allow_recurring);
json& active_price(Ctx& ctx, const std::string& price_id, const std::string& param);
// unit_amount (or unit_amount_decimal, rounded) times quantity.
std::int64_t price_amount(const json& price, std::int64_t quantity);
// "12.34 USD", "1,000 JPY": an amount in minor units for people (pages, PDFs).
std::string format_amount(std::int64_t amount, const std::string& currency);

// ---- Billing --------------------------------------------------------------------------
json create_invoiceitem(Ctx&, const Call&);
json retrieve_invoiceitem(Ctx&, const Call&);
json update_invoiceitem(Ctx&, const Call&);
json delete_invoiceitem(Ctx&, const Call&);
json list_invoiceitems(Ctx&, const Call&);
json create_invoice(Ctx&, const Call&);
json retrieve_invoice(Ctx&, const Call&);
json update_invoice(Ctx&, const Call&);
json delete_invoice(Ctx&, const Call&);
json list_invoices(Ctx&, const Call&);
json list_invoice_lines(Ctx&, const Call&);
json add_invoice_lines(Ctx&, const Call&);
json finalize_invoice(Ctx&, const Call&);
json send_invoice(Ctx&, const Call&);
json pay_invoice(Ctx&, const Call&);
json attach_invoice_payment(Ctx&, const Call&);
json void_invoice(Ctx&, const Call&);
json mark_invoice_uncollectible(Ctx&, const Call&);
json retrieve_invoice_payment(Ctx&, const Call&);
json list_invoice_payments(Ctx&, const Call&);
json create_quote(Ctx&, const Call&);
json retrieve_quote(Ctx&, const Call&);
json update_quote(Ctx&, const Call&);
json list_quotes(Ctx&, const Call&);
json list_quote_line_items(Ctx&, const Call&);
json finalize_quote(Ctx&, const Call&);
json accept_quote(Ctx&, const Call&);
json cancel_quote(Ctx&, const Call&);

// State changes shared with hosted pages and the clock.
json& finalize_invoice_now(Ctx& ctx, json& invoice);
// Pays an open invoice with a payment method id or test token; throws the card error on
// a decline (after recording it), returns the invoice otherwise.
json& pay_invoice_with(Ctx& ctx, json& invoice, const std::string& payment_method, const std::string& param);
// An automatic collection attempt of an open charge_automatically invoice (the clock
// calls it at next_payment_attempt) with the invoice's or customer's default method.
void collect_automatically(Ctx& ctx, json& invoice);
json& accept_quote_now(Ctx& ctx, json& quote);
void cancel_quote_now(Ctx& ctx, json& quote, const char* reason);
// Called by payments.cpp when a payment intent that belongs to an invoice succeeds.
void invoice_payment_intent_succeeded(Ctx& ctx, json& intent);
void invoice_payment_intent_failed(Ctx& ctx, json& intent);
// Virtual expansions (fields Stripe includes only when expanded).
json invoice_payments_list(Ctx& ctx, const std::string& invoice_id);
json quote_line_items_list(Ctx& ctx, const std::string& quote_id);
// Lines of text describing an invoice or quote, for the PDF and hosted pages.
std::vector<std::string> document_lines(Ctx& ctx, const json& object);

// ---- Payments -------------------------------------------------------------------------
json retrieve_payment_method(Ctx&, const Call&);
json attach_payment_method(Ctx&, const Call&);
json create_payment_intent(Ctx&, const Call&);
json retrieve_payment_intent(Ctx&, const Call&);
json update_payment_intent(Ctx&, const Call&);
json confirm_payment_intent(Ctx&, const Call&);
json cancel_payment_intent(Ctx&, const Call&);
json list_payment_intents(Ctx&, const Call&);
json retrieve_charge(Ctx&, const Call&);
json list_charges(Ctx&, const Call&);
json create_refund(Ctx&, const Call&);
json retrieve_refund(Ctx&, const Call&);
json update_refund(Ctx&, const Call&);
json list_refunds(Ctx&, const Call&);
json create_payment_link(Ctx&, const Call&);
json retrieve_payment_link(Ctx&, const Call&);
json update_payment_link(Ctx&, const Call&);
json list_payment_links(Ctx&, const Call&);
json list_payment_link_line_items(Ctx&, const Call&);
json retrieve_checkout_session(Ctx&, const Call&);
json list_checkout_sessions(Ctx&, const Call&);

// A payment method object for an id of this account or a test token (a token makes a new
// pm_ object, as Stripe does); throws "No such PaymentMethod" otherwise.
json& resolve_payment_method(Ctx& ctx, const std::string& id_or_token, const std::string& param);
json& payment_method_from_test(Ctx& ctx, const TestPaymentMethod& method, const std::string& customer);
json& new_payment_intent(Ctx& ctx, std::int64_t amount, const std::string& currency, const json& customer,
                         const json& description, const std::vector<std::string>& payment_method_types);
// Confirms a payment intent with a payment method: creates the charge, moves the intent
// to succeeded / processing / requires_payment_method, emits the events and notifies the
// invoice or checkout session it belongs to. Returns the card error for a decline
// (not thrown, so the caller can record its own consequences first).
std::optional<ApiError> confirm_intent(Ctx& ctx, json& intent, json& payment_method);
void cancel_intent(Ctx& ctx, json& intent, const std::string& reason);
// Bank debits whose settlement time has come succeed (called by the clock).
void settle_processing_payments(Ctx& ctx);
// Pays a payment link from its hosted page: a completed checkout session on success.
std::optional<ApiError> pay_payment_link(Ctx& ctx, json& link, json& payment_method, const std::string& email);
std::vector<json> payment_link_items(Ctx& ctx, const std::string& link_id);

// ---- Events and webhook endpoints ----------------------------------------------------------
json retrieve_event(Ctx&, const Call&);
json list_events(Ctx&, const Call&);
json create_webhook_endpoint(Ctx&, const Call&);
json retrieve_webhook_endpoint(Ctx&, const Call&);
json update_webhook_endpoint(Ctx&, const Call&);
json delete_webhook_endpoint(Ctx&, const Call&);
json list_webhook_endpoints(Ctx&, const Call&);

// Time-driven transitions for one account: quotes and payment links expire, draft
// invoices auto-finalize, open invoices are retried and become overdue, bank debits
// settle, events older than 30 days and idempotency keys older than 24 hours go.
void run_clock(Ctx& ctx);

}  // namespace settle::sandbox
