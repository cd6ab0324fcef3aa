// Bracket-syntax form encoding for Stripe requests (see form.hpp).
#include "stripe/form.hpp"

#include "net/http.hpp"

namespace settle::stripe {
namespace {

bool is_scalar(const FormParams& value) { return !value.is_object() && !value.is_array(); }

Status append_scalar(std::string& out, const std::string& name, const FormParams& value) {
  std::string text;
  if (value.is_null()) {
    text = "";
  } else if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_boolean()) {
    text = value.get<bool>() ? "true" : "false";
  } else if (value.is_number_integer()) {
    text = value.dump();  // exact for both signed and unsigned integers
  } else {
    return fail(Error::internal("stripe form encoding: parameter " + name +
                                " is a floating-point number; send amounts as integers and decimals as strings"));
  }
  if (!out.empty()) out += '&';
  out += name;
  out += '=';
  out += net::url_encode(text);
  return {};
}

Status append(std::string& out, const std::string& name, const FormParams& value) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (key.empty() || key.find_first_of("[]") != std::string::npos)
        return fail(Error::internal("stripe form encoding: invalid parameter name '" + key + "' under " + name));
      if (auto st = append(out, name + "[" + net::url_encode(key) + "]", child); !st) return st;
    }
    return {};
  }
  if (value.is_array()) {
    if (value.empty()) return append_scalar(out, name, nullptr);
    bool all_scalars = true;
    for (const auto& element : value) all_scalars = all_scalars && is_scalar(element);
    std::size_t index = 0;
    for (const auto& element : value) {
      std::string element_name = name + (all_scalars ? std::string("[]") : "[" + std::to_string(index) + "]");
      if (auto st = append(out, element_name, element); !st) return st;
      ++index;
    }
    return {};
  }
  return append_scalar(out, name, value);
}

}  // namespace

Result<std::string> encode_form(const FormParams& params) {
  if (params.is_null()) return std::string();
  if (!params.is_object()) return fail(Error::internal("stripe form encoding: parameters must be an object"));
  std::string out;
  for (const auto& [key, value] : params.items()) {
    if (key.empty() || key.find_first_of("[]") != std::string::npos)
      return fail(Error::internal("stripe form encoding: invalid parameter name '" + key + "'"));
    if (auto st = append(out, net::url_encode(key), value); !st) return fail(st.error());
  }
  return out;
}

}  // namespace settle::stripe
