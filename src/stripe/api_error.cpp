// Stripe error mapping and retry policy (see api_error.hpp).
#include "stripe/api_error.hpp"

#include <algorithm>
#include <charconv>

namespace settle::stripe {
namespace {

std::string string_member(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json stripe_details(int status, const StripeErrorObject& e, std::string_view request_id) {
  nlohmann::json d = {{"status", status}};
  if (!e.type.empty()) d["type"] = e.type;
  if (!e.code.empty()) d["code"] = e.code;
  if (!e.decline_code.empty()) d["decline_code"] = e.decline_code;
  if (!e.param.empty()) d["param"] = e.param;
  if (!request_id.empty()) d["request_id"] = std::string(request_id);
  return {{"stripe", d}};
}

}  // namespace

std::optional<StripeErrorObject> parse_error_object(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  auto it = body.find("error");
  if (it == body.end() || !it->is_object()) return std::nullopt;
  return StripeErrorObject{string_member(*it, "type"), string_member(*it, "code"), string_member(*it, "decline_code"),
                           string_member(*it, "message"), string_member(*it, "param")};
}

Error error_from_answer(int status, const nlohmann::json& body, std::string_view request_id) {
  StripeErrorObject e = parse_error_object(body).value_or(StripeErrorObject{});
  const std::string log = "Stripe answered HTTP " + std::to_string(status) + (e.type.empty() ? "" : " " + e.type) +
                          (e.code.empty() ? "" : "/" + e.code) + (e.decline_code.empty() ? "" : "/" + e.decline_code) +
                          (e.param.empty() ? "" : " param=" + e.param) +
                          (request_id.empty() ? "" : " (" + std::string(request_id) + ")") +
                          (e.message.empty() ? "" : ": " + e.message);
  const std::string stripe_says = e.message.empty() ? "HTTP " + std::to_string(status) : e.message;

  Error out;
  if (status == 401) {
    out = Error::upstream("Stripe rejected the API key");
  } else if (status == 403) {
    out = Error::upstream("Stripe refused the request: the API key does not have permission for it");
  } else if (status == 402 || e.type == "card_error") {
    out = Error::validation(e.param.empty() ? "payment_method" : e.param,
                            e.message.empty() ? "The payment was declined." : e.message);
  } else if (status == 404) {
    out = Error{ErrorCode::NotFound, "Stripe: " + stripe_says, {}, {}, nullptr};
  } else if (e.type == "idempotency_error") {
    out = Error::conflict("Stripe refused a repeated request: " + stripe_says);
  } else if (status == 409) {
    out = Error::upstream("Stripe is busy with another request on the same object; try again");
  } else if (status == 429) {
    out = Error::upstream("Stripe is rate-limiting requests; try again in a moment");
  } else if (status >= 500) {
    out = Error::upstream("Stripe is having problems (HTTP " + std::to_string(status) + "); try again later");
  } else if (status == 400 && !e.message.empty()) {
    out = e.param.empty() ? Error::conflict("Stripe: " + e.message) : Error::validation(e.param, "Stripe: " + e.message);
  } else {
    out = Error::upstream("Stripe refused the request: " + stripe_says);
  }
  out.log = log;
  out.details = stripe_details(status, e, request_id);
  return out;
}

bool should_retry_status(int status, std::string_view should_retry_header) {
  if (should_retry_header == "true") return true;
  if (should_retry_header == "false") return false;
  return status == 409 || status == 429 || status >= 500;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty() || header.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  long long seconds = 0;
  auto [end, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (ec != std::errc{} || end != header.data() + header.size()) return std::nullopt;
  return std::chrono::seconds(seconds);
}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int retry_number,
                                      std::optional<std::chrono::seconds> retry_after, double jitter) {
  using std::chrono::milliseconds;
  const int doublings = std::clamp(retry_number - 1, 0, 20);  // 2^20 x initial is past any sane max_delay
  const long long exponential = policy.initial_delay.count() * (1LL << doublings);
  const long long capped = std::min<long long>(exponential, policy.max_delay.count());
  jitter = std::clamp(jitter, 0.0, 1.0);
  milliseconds delay(capped - static_cast<long long>(static_cast<double>(capped) / 2.0 * jitter));
  if (retry_after && *retry_after <= policy.max_retry_after)
    delay = std::max<milliseconds>(delay, std::chrono::duration_cast<milliseconds>(*retry_after));
  return delay;
}

}  // namespace settle::stripe
