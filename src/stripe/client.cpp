// The Stripe API client (see client.hpp): request building, the retry loop and the
// typed wrappers.
#include "stripe/client.hpp"

#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/client.hpp"
#include "net/http.hpp"
#include "stripe/api_key.hpp"

namespace settle::stripe {
namespace {

constexpr std::size_t kMaxIdempotencyKeyLength = 255;  // Stripe refuses longer keys

using json = nlohmann::json;

double random_unit() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

Result<std::string> normalized_base(std::string base, std::string_view what) {
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0)
    return fail(Error::validation(std::string(what), "the Stripe " + std::string(what) + " must be an http:// or https:// URL"));
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// `/v1/invoices/<id>/finalize` with the id percent-encoded, so that an id from outside
// (a webhook, a database row) can never point the call at another path.
std::string path_of(std::string_view prefix, std::string_view id, std::string_view suffix = {}) {
  return std::string(prefix) + "/" + net::url_encode(id) + std::string(suffix);
}

RequestOptions post_options(std::string_view idempotency_key) {
  RequestOptions o;
  o.idempotency_key = std::string(idempotency_key);
  return o;
}

FormParams with_page(FormParams params, const ListParams& page) {
  if (params.is_null()) params = FormParams::object();
  if (page.limit) params["limit"] = *page.limit;
  if (!page.starting_after.empty()) params["starting_after"] = page.starting_after;
  if (!page.ending_before.empty()) params["ending_before"] = page.ending_before;
  return params;
}

}  // namespace

std::string metadata_query(std::string_view key, std::string_view value) {
  auto quoted = [](std::string_view text) {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  return "metadata[" + quoted(key) + "]:" + quoted(value);
}

Result<Client> Client::create(ClientConfig config) {
  if (auto st = validate_api_key(config.api_key); !st) return fail(st.error());
  auto api_base = normalized_base(config.api_base, "API base");
  if (!api_base) return fail(api_base.error());
  config.api_base = *api_base;
  if (config.files_base.empty())
    config.files_base = config.api_base == kDefaultApiBase ? std::string(kDefaultFilesBase) : config.api_base;
  auto files_base = normalized_base(config.files_base, "files base");
  if (!files_base) return fail(files_base.error());
  config.files_base = *files_base;
  if (config.retry.max_retries < 0) config.retry.max_retries = 0;
  return Client(std::move(config));
}

Error Client::redacted(Error e) const {
  e.message = redact_key(std::move(e.message), config_.api_key);
  e.log = redact_key(std::move(e.log), config_.api_key);
  e.field = redact_key(std::move(e.field), config_.api_key);
  return e;
}

Result<ApiResponse> Client::send(std::string_view method, std::string_view path, const FormParams& params,
                                 const RequestOptions& options) const {
  return send_to(config_.api_base, method, path, params, options);
}

Result<ApiResponse> Client::send_to(std::string_view base, std::string_view method, std::string_view path,
                                    const FormParams& params, const RequestOptions& options) const {
  const bool is_post = method == "POST";
  if (!is_post && method != "GET" && method != "DELETE")
    return fail(Error::internal("Stripe client: unsupported method " + std::string(method)));
  // The guarantee that a retry or a replay never creates a second object rests on this.
  if (is_post && options.idempotency_key.empty())
    return fail(Error::internal("Stripe client: POST " + std::string(path) + " without an Idempotency-Key"));
  if (options.idempotency_key.size() > kMaxIdempotencyKeyLength)
    return fail(Error::internal("Stripe client: Idempotency-Key longer than 255 characters for " + std::string(path)));

  FormParams all = params.is_null() ? FormParams::object() : params;
  for (const auto& path_to_expand : options.expand) all["expand"].push_back(path_to_expand);
  auto encoded = encode_form(all);
  if (!encoded) return fail(encoded.error());

  net::ClientRequest request;
  request.method = std::string(method);
  request.url = std::string(base) + std::string(path);
  if (is_post) {
    request.body = std::move(*encoded);
  } else if (!encoded->empty()) {
    request.url += "?" + *encoded;
  }
  request.headers = {{"Authorization", "Bearer " + config_.api_key},
                     {"Stripe-Version", config_.api_version},
                     {"Accept", "application/json"},
                     {"User-Agent", "Settle/1.0 (+settle Stripe client)"}};
  if (is_post) request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (!options.idempotency_key.empty()) request.headers.emplace_back("Idempotency-Key", options.idempotency_key);
  request.timeout_ms = options.timeout_ms.value_or(config_.timeout_ms);
  request.connect_timeout_ms = config_.connect_timeout_ms;

  const RetryPolicy& policy = config_.retry;
  const std::string what = std::string(method) + " " + std::string(path);
  for (int attempt = 1;; ++attempt) {
    const bool may_retry = attempt <= policy.max_retries;
    auto answer = net::perform(request);

    if (!answer) {  // refused, unreachable, timed out: retried, the Idempotency-Key makes it safe
      const bool timeout = answer.error().details.is_object() && answer.error().details.value("timeout", false);
      if (may_retry) {
        auto delay = retry_delay(policy, attempt, std::nullopt, random_unit());
        spdlog::warn("stripe: {} failed ({}); retry {}/{} in {} ms", what,
                     redact_key(answer.error().log, config_.api_key), attempt, policy.max_retries, delay.count());
        std::this_thread::sleep_for(delay);
        continue;
      }
      Error e = Error::upstream(timeout ? "Stripe did not answer in time; try again" : "Stripe could not be reached; try again",
                                answer.error().log + " after " + std::to_string(attempt) + " attempt(s)");
      e.details = {{"timeout", timeout}, {"attempts", attempt}};
      return fail(redacted(std::move(e)));
    }

    const int status = answer->status;
    std::string request_id(answer->header("request-id"));
    if (status >= 200 && status < 300) {
      ApiResponse out;
      out.status = status;
      out.body = std::move(answer->body);
      out.request_id = std::move(request_id);
      out.idempotent_replay = answer->header("idempotent-replayed") == "true";
      out.attempts = attempt;
      return out;
    }

    if (may_retry && should_retry_status(status, answer->header("stripe-should-retry"))) {
      auto retry_after = parse_retry_after(answer->header("retry-after"));
      // A wait longer than the policy allows is not shortened (that would just be
      // refused again): the error goes to the caller, whose job queue tries later.
      if (!retry_after || *retry_after <= policy.max_retry_after) {
        auto delay = retry_delay(policy, attempt, retry_after, random_unit());
        spdlog::warn("stripe: {} answered HTTP {} ({}); retry {}/{} in {} ms", what, status, request_id, attempt,
                     policy.max_retries, delay.count());
        std::this_thread::sleep_for(delay);
        continue;
      }
    }

    json body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) body = nullptr;
    Error e = error_from_answer(status, body, request_id);
    e.details["attempts"] = attempt;
    e.log = what + ": " + e.log;
    return fail(redacted(std::move(e)));
  }
}

Result<json> Client::request(std::string_view method, std::string_view path, const FormParams& params,
                             const RequestOptions& options) const {
  auto answer = send(method, path, params, options);
  if (!answer) return fail(answer.error());
  json body = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    return fail(Error::upstream("Stripe sent an answer Settle cannot read",
                                std::string(method) + " " + std::string(path) + ": answer is not JSON (" +
                                    answer->request_id + ")"));
  return body;
}

template <class T>
Result<T> Client::call(std::string_view method, std::string_view path, const FormParams& params,
                       const RequestOptions& options, Result<T> (*parse)(const json&, const std::string&)) const {
  auto body = request(method, path, params, options);
  if (!body) return fail(body.error());
  auto parsed = parse(*body, std::string(path));
  if (!parsed) return fail(redacted(std::move(parsed.error())));
  return parsed;
}

template <class T>
Result<List<T>> Client::call_list(std::string_view path, FormParams params, const ListParams& page,
                                  Result<T> (*parse)(const json&, const std::string&)) const {
  auto body = request("GET", path, with_page(std::move(params), page));
  if (!body) return fail(body.error());
  auto parsed = parse_list<T>(*body, parse, std::string(path));
  if (!parsed) return fail(redacted(std::move(parsed.error())));
  return parsed;
}

// ---- Customers ------------------------------------------------------------------------

Result<Customer> Client::create_customer(std::string_view idempotency_key, const FormParams& params) const {
  return call<Customer>("POST", "/v1/customers", params, post_options(idempotency_key), parse_customer);
}
Result<Customer> Client::retrieve_customer(std::string_view id) const {
  return call<Customer>("GET", path_of("/v1/customers", id), nullptr, {}, parse_customer);
}
Result<Customer> Client::update_customer(std::string_view id, std::string_view idempotency_key,
                                         const FormParams& params) const {
  return call<Customer>("POST", path_of("/v1/customers", id), params, post_options(idempotency_key), parse_customer);
}
Result<List<Customer>> Client::search_customers(std::string_view query, std::optional<int> limit,
                                                std::string_view page) const {
  FormParams params = {{"query", std::string(query)}};
  if (limit) params["limit"] = *limit;
  if (!page.empty()) params["page"] = std::string(page);
  return call_list<Customer>("/v1/customers/search", std::move(params), {}, parse_customer);
}

// ---- Catalogue ------------------------------------------------------------------------

Result<Product> Client::create_product(std::string_view idempotency_key, const FormParams& params) const {
  return call<Product>("POST", "/v1/products", params, post_options(idempotency_key), parse_product);
}
Result<Price> Client::create_price(std::string_view idempotency_key, const FormParams& params) const {
  return call<Price>("POST", "/v1/prices", params, post_options(idempotency_key), parse_price);
}

// ---- Invoices -------------------------------------------------------------------------

Result<InvoiceItem> Client::create_invoice_item(std::string_view idempotency_key, const FormParams& params) const {
  return call<InvoiceItem>("POST", "/v1/invoiceitems", params, post_options(idempotency_key), parse_invoice_item);
}
Result<Invoice> Client::create_invoice(std::string_view idempotency_key, const FormParams& params) const {
  return call<Invoice>("POST", "/v1/invoices", params, post_options(idempotency_key), parse_invoice);
}
Result<Invoice> Client::retrieve_invoice(std::string_view id, const std::vector<std::string>& expand) const {
  RequestOptions options;
  options.expand = expand;
  return call<Invoice>("GET", path_of("/v1/invoices", id), nullptr, options, parse_invoice);
}
Result<Invoice> Client::update_invoice(std::string_view id, std::string_view idempotency_key,
                                       const FormParams& params) const {
  return call<Invoice>("POST", path_of("/v1/invoices", id), params, post_options(idempotency_key), parse_invoice);
}
Result<Invoice> Client::finalize_invoice(std::string_view id, std::string_view idempotency_key,
                                         const FormParams& params) const {
  return call<Invoice>("POST", path_of("/v1/invoices", id, "/finalize"), params, post_options(idempotency_key),
                       parse_invoice);
}
Result<Invoice> Client::send_invoice(std::string_view id, std::string_view idempotency_key) const {
  return call<Invoice>("POST", path_of("/v1/invoices", id, "/send"), nullptr, post_options(idempotency_key),
                       parse_invoice);
}
Result<Invoice> Client::pay_invoice(std::string_view id, std::string_view idempotency_key,
                                    const FormParams& params) const {
  return call<Invoice>("POST", path_of("/v1/invoices", id, "/pay"), params, post_options(idempotency_key),
                       parse_invoice);
}
Result<Invoice> Client::void_invoice(std::string_view id, std::string_view idempotency_key) const {
  return call<Invoice>("POST", path_of("/v1/invoices", id, "/void"), nullptr, post_options(idempotency_key),
                       parse_invoice);
}
Result<Invoice> Client::mark_invoice_uncollectible(std::string_view id, std::string_view idempotency_key) const {
  return call<Invoice>("POST", path_of("/v1/invoices", id, "/mark_uncollectible"), nullptr,
                       post_options(idempotency_key), parse_invoice);
}
Result<List<InvoiceLineItem>> Client::list_invoice_lines(std::string_view id, const ListParams& page) const {
  return call_list<InvoiceLineItem>(path_of("/v1/invoices", id, "/lines"), nullptr, page, parse_invoice_line_item);
}
Result<List<InvoicePayment>> Client::list_invoice_payments(std::string_view invoice_id, const ListParams& page) const {
  return call_list<InvoicePayment>("/v1/invoice_payments", {{"invoice", std::string(invoice_id)}}, page,
                                   parse_invoice_payment);
}

// ---- Quotes ---------------------------------------------------------------------------

Result<Quote> Client::create_quote(std::string_view idempotency_key, const FormParams& params) const {
  return call<Quote>("POST", "/v1/quotes", params, post_options(idempotency_key), parse_quote);
}
Result<Quote> Client::retrieve_quote(std::string_view id) const {
  return call<Quote>("GET", path_of("/v1/quotes", id), nullptr, {}, parse_quote);
}
Result<Quote> Client::update_quote(std::string_view id, std::string_view idempotency_key,
                                   const FormParams& params) const {
  return call<Quote>("POST", path_of("/v1/quotes", id), params, post_options(idempotency_key), parse_quote);
}
Result<Quote> Client::finalize_quote(std::string_view id, std::string_view idempotency_key,
                                     const FormParams& params) const {
  return call<Quote>("POST", path_of("/v1/quotes", id, "/finalize"), params, post_options(idempotency_key),
                     parse_quote);
}
Result<Quote> Client::accept_quote(std::string_view id, std::string_view idempotency_key) const {
  return call<Quote>("POST", path_of("/v1/quotes", id, "/accept"), nullptr, post_options(idempotency_key),
                     parse_quote);
}
Result<Quote> Client::cancel_quote(std::string_view id, std::string_view idempotency_key) const {
  return call<Quote>("POST", path_of("/v1/quotes", id, "/cancel"), nullptr, post_options(idempotency_key),
                     parse_quote);
}
Result<List<Quote>> Client::list_quotes(const FormParams& filters, const ListParams& page) const {
  return call_list<Quote>("/v1/quotes", filters, page, parse_quote);
}
Result<std::string> Client::quote_pdf(std::string_view id) const {
  auto answer = send_to(config_.files_base, "GET", path_of("/v1/quotes", id, "/pdf"), nullptr, {});
  if (!answer) return fail(answer.error());
  return std::move(answer->body);
}

// ---- Payments -------------------------------------------------------------------------

Result<PaymentIntent> Client::retrieve_payment_intent(std::string_view id) const {
  return call<PaymentIntent>("GET", path_of("/v1/payment_intents", id), nullptr, {}, parse_payment_intent);
}
Result<Charge> Client::retrieve_charge(std::string_view id) const {
  return call<Charge>("GET", path_of("/v1/charges", id), nullptr, {}, parse_charge);
}
Result<Refund> Client::create_refund(std::string_view idempotency_key, const FormParams& params) const {
  return call<Refund>("POST", "/v1/refunds", params, post_options(idempotency_key), parse_refund);
}

// ---- Events and webhook endpoints -------------------------------------------------------

Result<List<Event>> Client::list_events(const EventQuery& query) const {
  FormParams params = FormParams::object();
  if (query.created_gte) params["created"] = {{"gte", *query.created_gte}};
  for (const auto& type : query.types) params["types"].push_back(type);
  return call_list<Event>("/v1/events", std::move(params), query.page, parse_event);
}
Result<Event> Client::retrieve_event(std::string_view id) const {
  return call<Event>("GET", path_of("/v1/events", id), nullptr, {}, parse_event);
}
Result<WebhookEndpoint> Client::create_webhook_endpoint(std::string_view idempotency_key,
                                                        const FormParams& params) const {
  return call<WebhookEndpoint>("POST", "/v1/webhook_endpoints", params, post_options(idempotency_key),
                               parse_webhook_endpoint);
}
Result<List<WebhookEndpoint>> Client::list_webhook_endpoints(const ListParams& page) const {
  return call_list<WebhookEndpoint>("/v1/webhook_endpoints", nullptr, page, parse_webhook_endpoint);
}
Result<Deleted> Client::delete_webhook_endpoint(std::string_view id) const {
  return call<Deleted>("DELETE", path_of("/v1/webhook_endpoints", id), nullptr, {}, parse_deleted);
}

}  // namespace settle::stripe
