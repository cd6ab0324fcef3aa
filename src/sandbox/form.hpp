// Stripe's request parameters: application/x-www-form-urlencoded bodies (and query
// strings) with bracket syntax, decoded into a JSON tree whose leaves are strings:
//   metadata[crmId]=42                          -> {"metadata":{"crmId":"42"}}
//   lines[0][price_data][unit_amount]=500       -> {"lines":[{"price_data":{"unit_amount":"500"}}]}
//   payment_settings[payment_method_types][]=card -> {"payment_settings":{"payment_method_types":["card"]}}
// Objects whose keys are all indices become arrays (ordered by index), except under
// `metadata`, where "0" is an ordinary key. Typed readers below turn the string leaves
// into values and refuse bad ones with Stripe's errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace settle::sandbox {

using nlohmann::json;

// Throws ApiError (400) when a key is malformed or used both as a value and as a
// container ("a=1&a[b]=2").
json decode_form(std::string_view body);

// Typed access to one decoded parameter. `name` is the key inside `params`; `path` is the
// full parameter name for error messages ("lines[0][quantity]"), defaulting to `name`.
// A key that is absent yields nullopt; an empty string counts as absent for numbers and
// booleans, and as "unset" (nullopt) for strings where the caller says so.
std::optional<std::string> get_string(const json& params, const std::string& name);
std::string require_string(const json& params, const std::string& name, const std::string& path = {});
std::optional<std::int64_t> get_integer(const json& params, const std::string& name, const std::string& path = {});
std::int64_t require_integer(const json& params, const std::string& name, const std::string& path = {});
std::optional<bool> get_bool(const json& params, const std::string& name, const std::string& path = {});
// One of `allowed`; refuses anything else with Stripe's "Invalid <name>" error.
std::optional<std::string> get_enum(const json& params, const std::string& name,
                                    std::initializer_list<std::string_view> allowed, const std::string& path = {});
// The value as an array of strings (from a[]=x or a[0]=x); a single string is one element.
std::optional<std::vector<std::string>> get_string_list(const json& params, const std::string& name);
// A nested hash parameter (e.g. `price_data`), or nullptr when absent.
const json* get_object(const json& params, const std::string& name, const std::string& path = {});
// A nested array of hashes (e.g. `line_items`), or nullptr when absent.
const json* get_array(const json& params, const std::string& name, const std::string& path = {});

// Applies a `metadata` parameter to existing metadata as Stripe does: each key is set,
// an empty value deletes the key, and `metadata=` (empty string) clears everything.
void apply_metadata(json& target_metadata, const json& params);

// Three-letter lower-case currency code, refused with Stripe's error otherwise.
std::string normalize_currency_param(const std::string& value, const std::string& param);

}  // namespace settle::sandbox
