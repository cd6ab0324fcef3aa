// Stripe's form encoding: Settle's encoder (stripe/form.hpp encode_form) and the sandbox's
// decoder (sandbox/form.hpp decode_form), which must agree as Stripe's server and SDKs do.
//
// Input: any bytes. They are decoded as a form body, and — when they parse as JSON — used
// as the FormParams of a request.
//
// Beyond "does not crash", it checks that
//  * decode_form refuses only with a 400 ApiError, never with another exception;
//  * encode_form refuses exactly what its contract lists: a non-object root, a
//    floating-point number, or a key that is empty or holds '[' or ']';
//  * decode_form(encode_form(x)) gives back x's values: scalars as their text, empty arrays
//    and null as "", empty objects left out, index-keyed objects as arrays (except directly
//    under `metadata`), as form.hpp of both sides describes;
//  * a decoded body re-encodes into one that decodes to the same tree (but for an array of
//    hashes right under `metadata`, which the wire format cannot carry back).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "stripe/form.hpp"

namespace {

using namespace settle;
using nlohmann::json;
using stripe::FormParams;

[[noreturn]] void violation(const char* what, const json& a, const json& b = nullptr) {
  const auto text = [](const json& j) { return j.dump(-1, ' ', true, json::error_handler_t::replace); };
  std::fprintf(stderr, "fuzz_stripe_form: %s\n  %s\n  %s\n", what, text(a).c_str(), text(b).c_str());
  __builtin_trap();
}

bool valid_key(const std::string& key) { return !key.empty() && key.find_first_of("[]") == std::string::npos; }

// What encode_form must refuse below the root.
bool refusable(const FormParams& value) {
  if (value.is_number_float()) return true;
  if (value.is_object())
    for (const auto& [key, child] : value.items())
      if (!valid_key(key) || refusable(child)) return true;
  if (value.is_array())
    return std::any_of(value.begin(), value.end(), [](const FormParams& child) { return refusable(child); });
  return false;
}

template <class Json>
bool is_scalar(const Json& value) {
  return !value.is_structured();
}

std::string scalar_text(const FormParams& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_null()) return "";
  return value.dump();  // an integer
}

// The tree the wire format carries for `value`, before index-keyed objects turn into
// arrays: nullopt when it sends nothing (an empty object, or only such).
std::optional<json> wire_tree(const FormParams& value) {
  if (is_scalar(value)) return json(scalar_text(value));
  if (value.is_array() && value.empty()) return json("");
  if (value.is_array() && std::all_of(value.begin(), value.end(), [](const auto& e) { return is_scalar(e); })) {
    json out = json::array();
    for (const auto& element : value) out.push_back(scalar_text(element));
    return out;
  }
  json out = json::object();
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i)
      if (auto child = wire_tree(value[i])) out[std::to_string(i)] = std::move(*child);
  } else {
    for (const auto& [key, child] : value.items())
      if (auto tree = wire_tree(child)) out[key] = std::move(*tree);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool is_index(const std::string& key) {
  return !key.empty() && key.size() <= 6 && key.find_first_not_of("0123456789") == std::string::npos;
}

// Objects whose keys are all indices read as arrays ordered by index, except the object
// directly under a `metadata` key. nullopt when two keys name the same index ("1", "01"):
// their order is not defined.
std::optional<json> indices_as_arrays(const json& node, bool under_metadata) {
  if (node.is_array()) {
    json out = json::array();
    for (const auto& child : node) {
      auto converted = indices_as_arrays(child, false);
      if (!converted) return std::nullopt;
      out.push_back(std::move(*converted));
    }
    return out;
  }
  if (!node.is_object()) return node;
  json out = json::object();
  bool all_indices = !node.empty();
  for (const auto& [key, child] : node.items()) {
    auto converted = indices_as_arrays(child, key == "metadata");
    if (!converted) return std::nullopt;
    out[key] = std::move(*converted);
    all_indices = all_indices && is_index(key);
  }
  if (under_metadata || !all_indices) return out;
  std::vector<std::pair<long, json>> indexed;
  for (auto& [key, child] : out.items()) indexed.emplace_back(std::stol(key), std::move(child));
  std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json array = json::array();
  for (std::size_t i = 0; i < indexed.size(); ++i) {
    if (i > 0 && indexed[i].first == indexed[i - 1].first) return std::nullopt;
    array.push_back(std::move(indexed[i].second));
  }
  return array;
}

// decode_form, which may refuse only with Stripe's 400.
std::optional<json> decode(std::string_view body) {
  try {
    return sandbox::decode_form(body);
  } catch (const sandbox::ApiError& e) {
    if (e.status != 400) violation("decode_form refused with a status other than 400", body, e.status);
    return std::nullopt;
  }
}

void check_encoding_round_trip(const FormParams& params) {
  auto encoded = stripe::encode_form(params);
  const bool must_refuse = !params.is_null() && (!params.is_object() || refusable(params));
  if (!encoded) {
    if (!must_refuse) violation("encode_form refused parameters its contract accepts", params, encoded.error().log);
    if (encoded.error().code != ErrorCode::Internal) violation("encode_form refusal is not Internal", params);
    return;
  }
  if (must_refuse) violation("encode_form accepted parameters its contract refuses", params, *encoded);
  auto decoded = decode(*encoded);
  if (!decoded) violation("decode_form refused what encode_form wrote", params, *encoded);
  // null is "no parameters": an empty body.
  const json sent = params.is_null() ? json::object() : wire_tree(params).value_or(json::object());
  auto expected = indices_as_arrays(sent, false);
  if (expected && *decoded != *expected) violation("decode_form(encode_form(x)) differs from x", *expected, *decoded);
}

// An array of hashes right under `metadata` ("metadata[][k]=v") is written back with
// indices, which under metadata are plain keys: the one tree the wire format cannot carry
// back. Stripe's metadata holds only strings, and both forms are refused there.
bool holds_hashes_under_metadata(const json& node) {
  if (!node.is_structured()) return false;
  if (node.is_object()) {
    auto it = node.find("metadata");
    if (it != node.end() && it->is_array() && !std::all_of(it->begin(), it->end(), [](const json& e) { return is_scalar(e); }))
      return true;
  }
  return std::any_of(node.begin(), node.end(), [](const json& child) { return holds_hashes_under_metadata(child); });
}

void check_decoded_re_encodes(std::string_view body) {
  auto decoded = decode(body);
  if (!decoded || !decoded->is_object() || holds_hashes_under_metadata(*decoded)) return;
  const FormParams params = *decoded;
  auto encoded = stripe::encode_form(params);
  if (!encoded) {
    if (!refusable(params)) violation("a decoded body does not re-encode", *decoded, encoded.error().log);
    return;
  }
  auto again = decode(*encoded);
  if (!again || *again != *decoded) violation("a decoded body does not decode back", *decoded, *encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_decoded_re_encodes(input);
  const FormParams params = FormParams::parse(input, nullptr, /*allow_exceptions=*/false);
  if (!params.is_discarded()) check_encoding_round_trip(params);
  return 0;
}
