// Stripe's error object, as the sandbox answers it. Deep inside the billing logic a
// refused request is thrown as an ApiError and turned into Stripe's JSON shape
// ({"error":{"type","code","message","param","decline_code",...}}) with Stripe's HTTP
// status by the API layer; state changes made before the throw (a declined charge, the
// events it emitted) stay, exactly as at Stripe.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace settle::sandbox {

struct ApiError : std::runtime_error {
  int status;
  std::string type;          // invalid_request_error, card_error, idempotency_error, api_error, ...
  std::string code;          // e.g. resource_missing, parameter_missing, card_declined; empty = none
  std::string param;         // the offending parameter, empty = none
  std::string decline_code;  // card declines only
  nlohmann::json extra = nlohmann::json::object();  // more members of the error object (charge, payment_intent, ...)

  ApiError(int status, std::string type, std::string code, std::string message, std::string param = {})
      : std::runtime_error(std::move(message)),
        status(status),
        type(std::move(type)),
        code(std::move(code)),
        param(std::move(param)) {}

  // {"error": {...}} with only the members that apply, as Stripe omits the others.
  nlohmann::json to_json() const {
    nlohmann::json e = {{"type", type}, {"message", what()}};
    if (!code.empty()) {
      e["code"] = code;
      e["doc_url"] = "https://stripe.com/docs/error-codes/" + replace_underscores(code);
    }
    if (!param.empty()) e["param"] = param;
    if (!decline_code.empty()) e["decline_code"] = decline_code;
    for (auto& [k, v] : extra.items()) e[k] = v;
    return {{"error", e}};
  }

 private:
  static std::string replace_underscores(std::string s) {
    for (auto& c : s)
      if (c == '_') c = '-';
    return s;
  }
};

// The refusals every resource needs, with Stripe's wording.
inline ApiError missing_param(const std::string& param) {
  return ApiError(400, "invalid_request_error", "parameter_missing", "Missing required param: " + param + ".", param);
}
inline ApiError invalid_param(const std::string& param, const std::string& message, const std::string& code = {}) {
  return ApiError(400, "invalid_request_error", code, message, param);
}
inline ApiError unknown_param(const std::string& param) {
  return ApiError(400, "invalid_request_error", "parameter_unknown", "Received unknown parameter: " + param, param);
}
// "No such customer: 'cus_123'" — `kind` is the object name as Stripe words it.
inline ApiError no_such(const std::string& kind, const std::string& id, const std::string& param = "id") {
  return ApiError(404, "invalid_request_error", "resource_missing", "No such " + kind + ": '" + id + "'", param);
}
// A request the object's current state does not allow (paying a draft, editing a finalized invoice).
inline ApiError wrong_state(const std::string& message, const std::string& code = {}) {
  return ApiError(400, "invalid_request_error", code, message);
}

}  // namespace settle::sandbox
