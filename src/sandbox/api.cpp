// Stripe's wire format around the resource operations: API key authentication (each
// test key is an account; live keys are refused), form decoding, refusal of unknown
// parameters, Idempotency-Key replay, expand[], Stripe-Version echo, Request-Id, error
// objects, injected API faults, and the route table of /v1.
#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "sandbox/api_error.hpp"
#include "sandbox/core.hpp"
#include "sandbox/form.hpp"
#include "sandbox/pdf.hpp"

namespace settle::sandbox {
namespace {

constexpr std::size_t kMaxIdempotencyKeyLength = 255;
constexpr int kMaxExpandDepth = 4;

enum class Answer { Json, QuotePdf };

struct Route {
  const char* method;
  const char* pattern;
  Operation operation;
  std::vector<std::string> params;  // accepted top-level parameters besides expand
  bool list = false;                // also accepts limit, starting_after, ending_before, created
  Answer answer = Answer::Json;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0, value = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    value = (value << 6) | static_cast<int>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xFF));
    }
  }
  return out;
}

std::string masked(const std::string& key) {
  if (key.size() <= 12) return key.substr(0, std::min<size_t>(key.size(), 8)) + "****";
  return key.substr(0, 8) + "*********" + key.substr(key.size() - 4);
}

// The API key of a request (Bearer, or Basic with the key as user name), or the
// refusal Stripe gives.
std::string authenticate(const net::Request& request) {
  std::string_view header = trim(request.header("authorization"));
  std::string key;
  if (header.rfind("Bearer ", 0) == 0) {
    key = std::string(trim(header.substr(7)));
  } else if (header.rfind("Basic ", 0) == 0) {
    auto decoded = base64_decode(trim(header.substr(6)));
    if (decoded) key = decoded->substr(0, decoded->find(':'));
  }
  if (key.empty())
    throw ApiError(401, "invalid_request_error", "",
                   "You did not provide an API key. You need to provide your API key in the Authorization header, using "
                   "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
                   "for details, or we can help at https://support.stripe.com/.");
  if (key.rfind("sk_live_", 0) == 0 || key.rfind("rk_live_", 0) == 0)
    throw ApiError(401, "invalid_request_error", "livemode_mismatch",
                   "Invalid API Key provided: " + masked(key) +
                       ". The Stripe sandbox is test mode only: live mode keys are refused. Use a sk_test_ or rk_test_ key.");
  if ((key.rfind("sk_test_", 0) != 0 && key.rfind("rk_test_", 0) != 0) || key.size() <= 8)
    throw ApiError(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided: " + masked(key));
  return key;
}

// ---- expand[] ------------------------------------------------------------------------------

// Fields Stripe leaves out unless they are expanded.
bool expand_virtual(Ctx& ctx, json& node, const std::string& field) {
  const std::string type = node.value("object", "");
  if (type == "invoice" && field == "payments") {
    node["payments"] = invoice_payments_list(ctx, node["id"]);
  } else if (type == "invoice" && field == "confirmation_secret") {
    const json& facts = ctx.account.facts(node["id"]);
    json secret = nullptr;
    if (facts.contains("payment_intent"))
      secret = {{"client_secret", ctx.account.objects.at(facts["payment_intent"].get<std::string>())["client_secret"]},
                {"type", "payment_intent"}};
    node["confirmation_secret"] = secret;
  } else if (type == "quote" && field == "line_items") {
    node["line_items"] = quote_line_items_list(ctx, node["id"]);
  } else if (type == "payment_link" && field == "line_items") {
    json data = json::array();
    for (auto& item : payment_link_items(ctx, node["id"])) data.push_back(item);
    node["line_items"] = {{"object", "list"}, {"data", data}, {"has_more", false},
                          {"url", "/v1/payment_links/" + node["id"].get<std::string>() + "/line_items"}};
  } else {
    return false;
  }
  return true;
}

void expand(Ctx& ctx, json& node, const std::vector<std::string>& path, size_t at, const std::string& full) {
  if (at >= path.size()) return;
  if (node.is_array()) {
    for (auto& element : node) expand(ctx, element, path, at, full);
    return;
  }
  if (!node.is_object()) return;
  const std::string& field = path[at];
  if (!node.contains(field) && !expand_virtual(ctx, node, field))
    throw invalid_param("expand", "This property cannot be expanded (" + full + ").");
  json& value = node[field];
  if (value.is_string()) {
    json* target = ctx.account.find(value.get<std::string>());
    if (!target) {
      if (at + 1 == path.size()) return;  // an id of something the sandbox does not keep
      throw invalid_param("expand", "This property cannot be expanded (" + full + ").");
    }
    value = *target;
  }
  expand(ctx, value, path, at + 1, full);
}

void apply_expansions(Ctx& ctx, json& result, const json& params) {
  auto paths = get_string_list(params, "expand");
  if (!paths) return;
  for (const auto& p : *paths) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      auto dot = p.find('.', start);
      parts.push_back(p.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (parts.size() > kMaxExpandDepth)
      throw invalid_param("expand", "You cannot expand more than 4 levels of a property. Property: " + p);
    expand(ctx, result, parts, 0, p);
  }
}

// ---- The request pipeline ---------------------------------------------------------------------

net::Response answer(int status, const json& body, const std::string& request_id, const std::string& version) {
  net::Response r = net::Response::json(status, body.dump(2));
  r.set_header("Request-Id", request_id);
  r.set_header("Stripe-Version", version);
  r.set_header("Access-Control-Allow-Origin", "*");
  r.set_header("Cache-Control", "no-cache, no-store");
  return r;
}

void check_params(const Route& route, const json& params) {
  if (!params.is_object()) return;
  for (auto& [key, value] : params.items()) {
    if (key == "expand") continue;
    if (route.list && (key == "limit" || key == "starting_after" || key == "ending_before" || key == "created")) continue;
    if (std::find(route.params.begin(), route.params.end(), key) == route.params.end()) throw unknown_param(key);
  }
}

net::Response serve(Core& core, const Route& route, net::Request& request) {
  std::string request_id = "req_" + random_token(14);
  std::string version(trim(request.header("stripe-version")));
  std::string echoed_version = version.empty() ? kDefaultApiVersion : version;
  std::string idempotency_key(trim(request.header("idempotency-key")));

  if (auto status = core.take_failure(request.path)) {
    ApiError injected = *status == 429
                            ? ApiError(429, "invalid_request_error", "rate_limit",
                                       "Too many requests hit the API too quickly. (Injected by the Stripe sandbox.)")
                            : ApiError(*status, "api_error", "",
                                       "Something went wrong on Stripe's end. (Injected by the Stripe sandbox.)");
    net::Response r = answer(*status, injected.to_json(), request_id, echoed_version);
    r.set_header("Stripe-Should-Retry", "true");
    if (*status == 429) r.set_header("Retry-After", "1");
    // A failing server drops the connection; it also keeps clients that retry without
    // reading the failed answer (as the Node SDK does) from holding an idle socket.
    r.close = true;
    return r;
  }
  auto delay = core.take_timeout(request.path);

  int status = 200;
  json body;
  std::string binary;  // a PDF answer
  bool replayed = false;
  std::string original_request;
  try {
    std::string key = authenticate(request);
    json params = decode_form(request.method == "POST" ? std::string_view(request.body) : std::string_view(request.query));
    if (request.method == "POST" && !request.query.empty()) {
      json from_query = decode_form(request.query);
      for (auto& [k, v] : from_query.items())
        if (!params.contains(k)) params[k] = v;
    }
    if (idempotency_key.size() > kMaxIdempotencyKeyLength)
      throw invalid_param("Idempotency-Key", "Idempotency-Key must be at most 255 characters long.");
    bool idempotent = !idempotency_key.empty() && request.method != "GET";
    std::string fingerprint = request.method + " " + request.path + "\n" + request.body;
    RequestInfo info{request_id, idempotency_key, version};
    core.transact([&](State& state) { return &state.account(key); }, info, request.method != "GET", [&](Ctx& ctx) {
      if (idempotent) {
        auto it = ctx.account.idempotency.find(idempotency_key);
        if (it != ctx.account.idempotency.end()) {
          if (it->second.fingerprint != fingerprint)
            throw ApiError(400, "idempotency_error", "",
                           "Keys for idempotent requests can only be used with the same parameters they were first used "
                           "with. Try using a key other than '" + idempotency_key +
                               "' if you meant to execute a different request.");
          status = it->second.status;
          body = json::parse(it->second.body);
          replayed = true;
          original_request = it->second.request_id;
          return;
        }
      }
      check_params(route, params);
      Call call{params, request.params, request.path};
      json result;
      bool executed = false;
      // A refused request changes nothing, as at Stripe: the account is restored (the
      // copy is the price of keeping operations simple; sandbox accounts are small).
      std::optional<Account> before;
      if (request.method != "GET") before = ctx.account;
      try {
        result = route.operation(ctx, call);
        executed = true;
        if (route.answer == Answer::QuotePdf) {
          if (result["status"] == "draft")
            throw wrong_state("You can't download the PDF of a draft quote. Finalize it first.");
          binary = render_pdf("Quote " + result.value("number", ""), document_lines(ctx, result));
        } else {
          apply_expansions(ctx, result, params);
        }
        body = std::move(result);
      } catch (const ApiError& e) {
        status = e.status;
        body = e.to_json();
        // Stripe saves the answer of a request that started executing (a declined card,
        // whose charge and events stay), not of one refused by validation.
        executed = e.status == 402;
        if (!executed && before) {
          ctx.account = std::move(*before);
          ctx.outbox.clear();
        }
      }
      if (idempotent && executed)
        ctx.account.idempotency[idempotency_key] = {fingerprint, status, body.dump(), request_id, ctx.now};
    });
  } catch (const ApiError& e) {
    status = e.status;
    body = e.to_json();
  } catch (const std::exception& e) {
    spdlog::error("stripe-sandbox: {} {} failed: {}", request.method, request.path, e.what());
    status = 500;
    body = ApiError(500, "api_error", "", "An unexpected error occurred in the Stripe sandbox: " + std::string(e.what())).to_json();
  }
  if (delay) core.interruptible_sleep(*delay);
  if (!binary.empty() && status == 200) {
    net::Response r = net::Response::text(200, std::move(binary), "application/pdf");
    r.set_header("Request-Id", request_id);
    r.set_header("Stripe-Version", echoed_version);
    return r;
  }
  net::Response r = answer(status, body, replayed ? original_request : request_id, echoed_version);
  if (!idempotency_key.empty()) r.set_header("Idempotency-Key", idempotency_key);
  if (replayed) {
    r.set_header("Idempotent-Replayed", "true");
    r.set_header("Original-Request", original_request);
  }
  return r;
}

std::vector<Route> routes() {
  using P = std::vector<std::string>;
  const P customer_fields = {"address", "description", "email", "invoice_settings", "metadata", "name", "phone",
                             "preferred_locales", "tax_exempt"};
  P customer_create = customer_fields;
  customer_create.insert(customer_create.end(), {"invoice_prefix", "payment_method"});
  const P item_fields = {"amount", "currency", "description", "discountable", "metadata", "period", "price", "price_data",
                         "pricing", "quantity"};
  P item_create = item_fields;
  item_create.insert(item_create.end(), {"customer", "invoice"});
  const P invoice_fields = {"auto_advance", "collection_method", "days_until_due", "default_payment_method",
                            "description", "due_date", "footer", "metadata", "payment_settings"};
  P invoice_create = invoice_fields;
  invoice_create.insert(invoice_create.end(), {"currency", "customer", "pending_invoice_items_behavior"});
  const P quote_fields = {"collection_method", "customer", "description", "expires_at", "footer", "header",
                          "invoice_settings", "line_items", "metadata"};
  const P product_fields = {"active", "description", "images", "metadata", "name", "statement_descriptor", "tax_code",
                            "unit_label", "url"};
  P product_create = product_fields;
  product_create.insert(product_create.end(), {"id", "default_price_data"});
  P product_update = product_fields;
  product_update.push_back("default_price");
  const P link_update = {"active", "after_completion", "inactive_message", "metadata", "restrictions"};
  P link_create = link_update;
  link_create.insert(link_create.end(), {"invoice_creation", "line_items", "payment_method_types"});

  return {
      {"POST", "/v1/customers", create_customer, customer_create},
      {"GET", "/v1/customers", list_customers, {"email"}, true},
      {"GET", "/v1/customers/search", search_customers, {"query", "limit", "page"}},
      {"GET", "/v1/customers/{id}", retrieve_customer, {}},
      {"POST", "/v1/customers/{id}", update_customer, customer_fields},
      {"DELETE", "/v1/customers/{id}", delete_customer, {}},

      {"POST", "/v1/products", create_product, product_create},
      {"GET", "/v1/products", list_products, {"active", "ids"}, true},
      {"GET", "/v1/products/{id}", retrieve_product, {}},
      {"POST", "/v1/products/{id}", update_product, product_update},

      {"POST", "/v1/prices", create_price,
       {"active", "currency", "lookup_key", "metadata", "nickname", "product", "product_data", "recurring", "tax_behavior",
        "unit_amount", "unit_amount_decimal"}},
      {"GET", "/v1/prices", list_prices, {"active", "currency", "lookup_keys", "product", "type"}, true},
      {"GET", "/v1/prices/{id}", retrieve_price, {}},
      {"POST", "/v1/prices/{id}", update_price, {"active", "lookup_key", "metadata", "nickname", "tax_behavior"}},

      {"POST", "/v1/invoiceitems", create_invoiceitem, item_create},
      {"GET", "/v1/invoiceitems", list_invoiceitems, {"customer", "invoice", "pending"}, true},
      {"GET", "/v1/invoiceitems/{id}", retrieve_invoiceitem, {}},
      {"POST", "/v1/invoiceitems/{id}", update_invoiceitem, item_fields},
      {"DELETE", "/v1/invoiceitems/{id}", delete_invoiceitem, {}},

      {"POST", "/v1/invoices", create_invoice, invoice_create},
      {"GET", "/v1/invoices", list_invoices, {"collection_method", "customer", "status"}, true},
      {"GET", "/v1/invoices/{id}", retrieve_invoice, {}},
      {"POST", "/v1/invoices/{id}", update_invoice, invoice_fields},
      {"DELETE", "/v1/invoices/{id}", delete_invoice, {}},
      {"GET", "/v1/invoices/{id}/lines", list_invoice_lines, {}, true},
      {"POST", "/v1/invoices/{id}/add_lines", add_invoice_lines, {"lines"}},
      {"POST", "/v1/invoices/{id}/finalize", finalize_invoice, {"auto_advance"}},
      {"POST", "/v1/invoices/{id}/send", send_invoice, {}},
      {"POST", "/v1/invoices/{id}/pay", pay_invoice, {"off_session", "paid_out_of_band", "payment_method"}},
      {"POST", "/v1/invoices/{id}/attach_payment", attach_invoice_payment, {"payment_intent"}},
      {"POST", "/v1/invoices/{id}/void", void_invoice, {}},
      {"POST", "/v1/invoices/{id}/mark_uncollectible", mark_invoice_uncollectible, {}},

      {"GET", "/v1/invoice_payments", list_invoice_payments, {"invoice", "status"}, true},
      {"GET", "/v1/invoice_payments/{id}", retrieve_invoice_payment, {}},

      {"POST", "/v1/quotes", create_quote, quote_fields},
      {"GET", "/v1/quotes", list_quotes, {"customer", "status"}, true},
      {"GET", "/v1/quotes/{id}", retrieve_quote, {}},
      {"POST", "/v1/quotes/{id}", update_quote, quote_fields},
      {"GET", "/v1/quotes/{id}/line_items", list_quote_line_items, {}, true},
      {"POST", "/v1/quotes/{id}/finalize", finalize_quote, {"expires_at"}},
      {"POST", "/v1/quotes/{id}/accept", accept_quote, {}},
      {"POST", "/v1/quotes/{id}/cancel", cancel_quote, {}},
      {"GET", "/v1/quotes/{id}/pdf", retrieve_quote, {}, false, Answer::QuotePdf},

      {"POST", "/v1/payment_links", create_payment_link, link_create},
      {"GET", "/v1/payment_links", list_payment_links, {"active"}, true},
      {"GET", "/v1/payment_links/{id}", retrieve_payment_link, {}},
      {"POST", "/v1/payment_links/{id}", update_payment_link, link_update},
      {"GET", "/v1/payment_links/{id}/line_items", list_payment_link_line_items, {}, true},
      {"GET", "/v1/checkout/sessions", list_checkout_sessions, {"payment_intent", "payment_link"}, true},
      {"GET", "/v1/checkout/sessions/{id}", retrieve_checkout_session, {}},

      {"GET", "/v1/payment_methods/{id}", retrieve_payment_method, {}},
      {"POST", "/v1/payment_methods/{id}/attach", attach_payment_method, {"customer"}},
      {"POST", "/v1/payment_intents", create_payment_intent,
       {"amount", "confirm", "currency", "customer", "description", "metadata", "payment_method", "payment_method_types",
        "receipt_email", "statement_descriptor"}},
      {"GET", "/v1/payment_intents", list_payment_intents, {"customer"}, true},
      {"GET", "/v1/payment_intents/{id}", retrieve_payment_intent, {}},
      {"POST", "/v1/payment_intents/{id}", update_payment_intent,
       {"amount", "description", "metadata", "payment_method", "receipt_email"}},
      {"POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent, {"payment_method"}},
      {"POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent, {"cancellation_reason"}},
      {"GET", "/v1/charges", list_charges, {"customer", "payment_intent"}, true},
      {"GET", "/v1/charges/{id}", retrieve_charge, {}},
      {"POST", "/v1/refunds", create_refund, {"amount", "charge", "metadata", "payment_intent", "reason"}},
      {"GET", "/v1/refunds", list_refunds, {"charge", "payment_intent"}, true},
      {"GET", "/v1/refunds/{id}", retrieve_refund, {}},
      {"POST", "/v1/refunds/{id}", update_refund, {"metadata"}},

      {"GET", "/v1/events", list_events, {"type", "types"}, true},
      {"GET", "/v1/events/{id}", retrieve_event, {}},
      {"POST", "/v1/webhook_endpoints", create_webhook_endpoint,
       {"api_version", "description", "enabled_events", "metadata", "url"}},
      {"GET", "/v1/webhook_endpoints", list_webhook_endpoints, {}, true},
      {"GET", "/v1/webhook_endpoints/{id}", retrieve_webhook_endpoint, {}},
      {"POST", "/v1/webhook_endpoints/{id}", update_webhook_endpoint,
       {"description", "disabled", "enabled_events", "metadata", "url"}},
      {"DELETE", "/v1/webhook_endpoints/{id}", delete_webhook_endpoint, {}},
  };
}

}  // namespace

void add_api_routes(net::Router& router, Core& core) {
  for (auto& route : routes()) {
    auto shared = std::make_shared<Route>(route);
    router.add(route.method, route.pattern, [&core, shared](net::Request& request) { return serve(core, *shared, request); });
  }
}

net::Response unrecognized_url(const net::Request& request) {
  ApiError e(404, "invalid_request_error", "",
             "Unrecognized request URL (" + request.method + ": " + request.path +
                 "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");
  return answer(404, e.to_json(), "req_" + random_token(14),
                request.header("stripe-version").empty() ? kDefaultApiVersion : std::string(request.header("stripe-version")));
}

}  // namespace settle::sandbox
