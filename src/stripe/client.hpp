// Settle's own Stripe API client, on libcurl (settle::net::perform). It shares no code
// with the Stripe sandbox (src/sandbox), so that the sandbox cannot hide a bug of it.
//
// What every call gets:
//  - `Authorization: Bearer <key>` and the pinned `Stripe-Version` (kApiVersion), so
//    that objects come in the shape objects.hpp parses whatever the account's default;
//  - for POSTs an `Idempotency-Key` the caller derives from what the call does (e.g.
//    "settle:<workspace>:invoice:<id>:create"): a retry, or a replay after a crash, then
//    returns the first answer instead of creating a second customer, invoice or refund.
//    A POST without one is refused before anything is sent;
//  - retries with exponential back-off and jitter on network errors and timeouts, 409,
//    429 and 5xx, honouring Retry-After and Stripe-Should-Retry (RetryPolicy);
//  - a per-attempt timeout;
//  - Stripe's error object mapped to a settle::Error (api_error.hpp). The API key never
//    appears in a message, a log line or the details of an error.
//
// The generic call is Client::request(method, path, params, options); the typed methods
// below wrap the calls Settle makes, taking parameters in Stripe's own names (FormParams,
// see form.hpp) and returning the typed objects of objects.hpp.
//
// The client holds only its configuration: copy it freely, call it from any thread.
// settle::net::global_init() must have run before the first call.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "stripe/api_error.hpp"
#include "stripe/form.hpp"
#include "stripe/objects.hpp"

namespace settle::stripe {

// The Stripe API version every request pins. It is the version the official Node SDK
// pins: `stripe` 23.1.0 on npm (the latest when this was written), whose
// cjs/apiVersion.js says ApiVersion = '2026-10-28.endive'. Moving it is a deliberate
// change: check objects.hpp against the new version's changelog first.
inline constexpr std::string_view kApiVersion = "2026-10-28.endive";

inline constexpr std::string_view kDefaultApiBase = "https://api.stripe.com";
// Stripe serves file downloads (quote PDFs) from a host of their own.
inline constexpr std::string_view kDefaultFilesBase = "https://files.stripe.com";

struct ClientConfig {
  std::string api_key;  // sk_/rk_ test or live key (see api_key.hpp)
  // Where the API is. Settle's caller sets it from SETTLE_STRIPE_API_BASE to point the
  // client at the sandbox ("http://127.0.0.1:12111"). No trailing slash needed.
  std::string api_base = std::string(kDefaultApiBase);
  // Where file downloads are. Empty: kDefaultFilesBase when api_base is Stripe's own,
  // api_base otherwise (the sandbox serves both).
  std::string files_base;
  std::string api_version = std::string(kApiVersion);
  long timeout_ms = 30000;  // per attempt
  long connect_timeout_ms = 5000;
  RetryPolicy retry;
};

struct RequestOptions {
  // Required for POST. At most 255 characters (Stripe's limit).
  std::string idempotency_key;
  // expand[] paths, e.g. "payments", "latest_charge".
  std::vector<std::string> expand;
  // Overrides ClientConfig::timeout_ms for this call.
  std::optional<long> timeout_ms;
};

// A successful answer and how it came about.
struct ApiResponse {
  int status = 0;
  std::string body;        // raw bytes (JSON, or a PDF for file downloads)
  std::string request_id;  // Stripe's Request-Id, for support and logs
  bool idempotent_replay = false;  // Stripe answered from its idempotency cache
  int attempts = 0;                // 1 + the retries it took
};

// Pagination of list calls.
struct ListParams {
  std::optional<int> limit;    // 1..100, Stripe's default 10
  std::string starting_after;  // an object id: the page after it
  std::string ending_before;   // an object id: the page before it
};

// GET /v1/events filters.
struct EventQuery {
  std::optional<std::int64_t> created_gte;  // created[gte]: unix seconds
  std::vector<std::string> types;           // types[]: at most 20 event types
  ListParams page;
};

// A Stripe search query clause matching one metadata value, with the value quoted and
// escaped: metadata_query("settleCompanyId", "co_1") -> metadata['settleCompanyId']:'co_1'.
std::string metadata_query(std::string_view key, std::string_view value);

class Client {
 public:
  // Validates the key's format and the base URLs (http:// or https://).
  static Result<Client> create(ClientConfig config);

  const ClientConfig& config() const { return config_; }

  // ---- Generic --------------------------------------------------------------------
  // One API call, retried as the policy says. `path` starts with "/v1/". GET and DELETE
  // send `params` (plus expand[]) as the query string, POST as the form body.
  Result<ApiResponse> send(std::string_view method, std::string_view path, const FormParams& params = nullptr,
                           const RequestOptions& options = {}) const;
  // send() and the answer's JSON.
  Result<nlohmann::json> request(std::string_view method, std::string_view path, const FormParams& params = nullptr,
                                 const RequestOptions& options = {}) const;

  // ---- Customers ------------------------------------------------------------------
  Result<Customer> create_customer(std::string_view idempotency_key, const FormParams& params) const;
  Result<Customer> retrieve_customer(std::string_view id) const;
  Result<Customer> update_customer(std::string_view id, std::string_view idempotency_key,
                                   const FormParams& params) const;
  // Stripe's search language, e.g. metadata_query("settleCompanyId", id). Search is
  // eventually consistent at Stripe (new customers show up within about a minute), so a
  // create-if-missing must rely on its idempotency key, not on search alone.
  Result<List<Customer>> search_customers(std::string_view query, std::optional<int> limit = std::nullopt,
                                          std::string_view page = {}) const;

  // ---- Catalogue ------------------------------------------------------------------
  Result<Product> create_product(std::string_view idempotency_key, const FormParams& params) const;
  Result<Price> create_price(std::string_view idempotency_key, const FormParams& params) const;

  // ---- Invoices -------------------------------------------------------------------
  Result<InvoiceItem> create_invoice_item(std::string_view idempotency_key, const FormParams& params) const;
  Result<Invoice> create_invoice(std::string_view idempotency_key, const FormParams& params) const;
  Result<Invoice> retrieve_invoice(std::string_view id, const std::vector<std::string>& expand = {}) const;
  Result<Invoice> update_invoice(std::string_view id, std::string_view idempotency_key, const FormParams& params) const;
  Result<Invoice> finalize_invoice(std::string_view id, std::string_view idempotency_key,
                                   const FormParams& params = nullptr) const;
  Result<Invoice> send_invoice(std::string_view id, std::string_view idempotency_key) const;
  // params: payment_method ("pm_..."), paid_out_of_band, off_session. A declined card is
  // a Validation error carrying Stripe's message (see api_error.hpp).
  Result<Invoice> pay_invoice(std::string_view id, std::string_view idempotency_key,
                              const FormParams& params = nullptr) const;
  Result<Invoice> void_invoice(std::string_view id, std::string_view idempotency_key) const;
  Result<Invoice> mark_invoice_uncollectible(std::string_view id, std::string_view idempotency_key) const;
  Result<List<InvoiceLineItem>> list_invoice_lines(std::string_view id, const ListParams& page = {}) const;
  // GET /v1/invoice_payments?invoice=...: how an invoice was paid (basil and later).
  Result<List<InvoicePayment>> list_invoice_payments(std::string_view invoice_id, const ListParams& page = {}) const;

  // ---- Quotes ---------------------------------------------------------------------
  Result<Quote> create_quote(std::string_view idempotency_key, const FormParams& params) const;
  Result<Quote> retrieve_quote(std::string_view id) const;
  Result<Quote> update_quote(std::string_view id, std::string_view idempotency_key, const FormParams& params) const;
  Result<Quote> finalize_quote(std::string_view id, std::string_view idempotency_key,
                               const FormParams& params = nullptr) const;
  // Accepting creates the quote's invoice (Quote::invoice).
  Result<Quote> accept_quote(std::string_view id, std::string_view idempotency_key) const;
  Result<Quote> cancel_quote(std::string_view id, std::string_view idempotency_key) const;
  // filters: customer, status.
  Result<List<Quote>> list_quotes(const FormParams& filters = nullptr, const ListParams& page = {}) const;
  // The PDF of a finalized quote (bytes), from the files host.
  Result<std::string> quote_pdf(std::string_view id) const;

  // ---- Payments -------------------------------------------------------------------
  Result<PaymentIntent> retrieve_payment_intent(std::string_view id) const;
  Result<Charge> retrieve_charge(std::string_view id) const;
  // params: payment_intent or charge, amount (omit for all), reason, metadata.
  Result<Refund> create_refund(std::string_view idempotency_key, const FormParams& params) const;

  // ---- Events and webhook endpoints -----------------------------------------------
  // Newest first, as Stripe lists them.
  Result<List<Event>> list_events(const EventQuery& query = {}) const;
  Result<Event> retrieve_event(std::string_view id) const;
  // params: url, enabled_events[], api_version (pin it to kApiVersion so that webhook
  // payloads have the shape objects.hpp parses), description, metadata. The answer is
  // the only time Stripe shows the endpoint's signing secret.
  Result<WebhookEndpoint> create_webhook_endpoint(std::string_view idempotency_key, const FormParams& params) const;
  Result<List<WebhookEndpoint>> list_webhook_endpoints(const ListParams& page = {}) const;
  Result<Deleted> delete_webhook_endpoint(std::string_view id) const;

 private:
  explicit Client(ClientConfig config) : config_(std::move(config)) {}

  template <class T>
  Result<T> call(std::string_view method, std::string_view path, const FormParams& params, const RequestOptions& options,
                 Result<T> (*parse)(const nlohmann::json&, const std::string&)) const;
  template <class T>
  Result<List<T>> call_list(std::string_view path, FormParams params, const ListParams& page,
                            Result<T> (*parse)(const nlohmann::json&, const std::string&)) const;
  Result<ApiResponse> send_to(std::string_view base, std::string_view method, std::string_view path,
                              const FormParams& params, const RequestOptions& options) const;
  Error redacted(Error e) const;

  ClientConfig config_;
};

}  // namespace settle::stripe
