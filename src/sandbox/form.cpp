// Bracket-syntax form decoding and typed parameter readers (see form.hpp).
#include "sandbox/form.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "net/http.hpp"
#include "sandbox/api_error.hpp"

namespace settle::sandbox {
namespace {

bool is_index(std::string_view s) {
  return !s.empty() && s.size() <= 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ApiError malformed(const std::string& key) {
  return ApiError(400, "invalid_request_error", "parameter_invalid_empty", "Invalid parameter: " + key, key);
}

// "a[b][]" -> {"a", "b", ""}; nullopt when brackets do not pair up.
std::optional<std::vector<std::string>> split_key(std::string_view key) {
  std::vector<std::string> parts;
  auto open = key.find('[');
  parts.emplace_back(key.substr(0, open));
  if (parts.front().empty()) return std::nullopt;
  while (open != std::string_view::npos) {
    auto close = key.find(']', open);
    if (close == std::string_view::npos) return std::nullopt;
    parts.emplace_back(key.substr(open + 1, close - open - 1));
    if (close + 1 == key.size()) break;
    if (key[close + 1] != '[') return std::nullopt;
    open = close + 1;
  }
  return parts;
}

// Index-keyed objects become arrays, ordered by index; metadata keys are left alone.
void arrays_from_indices(json& node, bool under_metadata) {
  if (node.is_array()) {
    for (auto& child : node) arrays_from_indices(child, false);
    return;
  }
  if (!node.is_object()) return;
  for (auto& [key, child] : node.items()) arrays_from_indices(child, key == "metadata");
  if (under_metadata || node.empty()) return;
  for (auto& [key, child] : node.items())
    if (!is_index(key)) return;
  std::vector<std::pair<int, json>> indexed;
  for (auto& [key, child] : node.items()) indexed.emplace_back(std::stoi(key), std::move(child));
  std::sort(indexed.begin(), indexed.end(), [](auto& a, auto& b) { return a.first < b.first; });
  json array = json::array();
  for (auto& [i, child] : indexed) array.push_back(std::move(child));
  node = std::move(array);
}

std::string path_or(const std::string& path, const std::string& name) { return path.empty() ? name : path; }

}  // namespace

json decode_form(std::string_view body) {
  json root = json::object();
  for (auto& [key, value] : net::parse_form(body)) {
    auto parts = split_key(key);
    if (!parts) throw malformed(key);
    json* node = &root;
    for (size_t i = 0; i < parts->size(); ++i) {
      const std::string& part = (*parts)[i];
      bool last = i + 1 == parts->size();
      if (part.empty()) {  // "a[]": append to an array
        if (node->is_null()) *node = json::array();
        if (!node->is_array()) throw malformed(key);
        if (last) {
          node->push_back(value);
        } else {
          node->push_back(json::object());
          node = &node->back();
        }
        continue;
      }
      if (node->is_null()) *node = json::object();
      if (!node->is_object()) throw malformed(key);
      if (last) {
        if (node->contains(part) && !(*node)[part].is_string()) throw malformed(key);
        (*node)[part] = value;
      } else {
        json& child = (*node)[part];
        if (child.is_string()) throw malformed(key);
        node = &child;
      }
    }
  }
  arrays_from_indices(root, false);
  return root;
}

std::optional<std::string> get_string(const json& params, const std::string& name) {
  if (!params.is_object()) return std::nullopt;
  auto it = params.find(name);
  if (it == params.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string require_string(const json& params, const std::string& name, const std::string& path) {
  auto v = get_string(params, name);
  if (!v || v->empty()) throw missing_param(path_or(path, name));
  return *v;
}

std::optional<std::int64_t> get_integer(const json& params, const std::string& name, const std::string& path) {
  if (!params.is_object() || !params.contains(name)) return std::nullopt;
  const json& v = params[name];
  if (!v.is_string()) throw invalid_param(path_or(path, name), "Invalid integer: " + v.dump(), "parameter_invalid_integer");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return std::nullopt;
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || end != s.data() + s.size())
    throw invalid_param(path_or(path, name), "Invalid integer: " + s, "parameter_invalid_integer");
  return out;
}

std::int64_t require_integer(const json& params, const std::string& name, const std::string& path) {
  auto v = get_integer(params, name, path);
  if (!v) throw missing_param(path_or(path, name));
  return *v;
}

std::optional<bool> get_bool(const json& params, const std::string& name, const std::string& path) {
  auto v = get_string(params, name);
  if (!v || v->empty()) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  throw invalid_param(path_or(path, name), "Invalid boolean: " + *v);
}

std::optional<std::string> get_enum(const json& params, const std::string& name,
                                    std::initializer_list<std::string_view> allowed, const std::string& path) {
  auto v = get_string(params, name);
  if (!v || v->empty()) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return v;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string("`") + std::string(a) + "`";
  throw invalid_param(path_or(path, name), "Invalid " + path_or(path, name) + ": must be one of " + list);
}

std::optional<std::vector<std::string>> get_string_list(const json& params, const std::string& name) {
  if (!params.is_object() || !params.contains(name)) return std::nullopt;
  const json& v = params[name];
  std::vector<std::string> out;
  if (v.is_string()) {
    if (!v.get_ref<const std::string&>().empty()) out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) throw invalid_param(name, "Invalid array: " + name);
  for (const auto& item : v) {
    if (!item.is_string()) throw invalid_param(name, "Invalid array: " + name);
    out.push_back(item.get<std::string>());
  }
  return out;
}

const json* get_object(const json& params, const std::string& name, const std::string& path) {
  if (!params.is_object() || !params.contains(name)) return nullptr;
  const json& v = params[name];
  if (v.is_string() && v.get_ref<const std::string&>().empty()) return nullptr;
  if (!v.is_object()) throw invalid_param(path_or(path, name), "Invalid object: " + path_or(path, name), "parameter_invalid_empty");
  return &v;
}

const json* get_array(const json& params, const std::string& name, const std::string& path) {
  if (!params.is_object() || !params.contains(name)) return nullptr;
  const json& v = params[name];
  if (!v.is_array()) throw invalid_param(path_or(path, name), "Invalid array: " + path_or(path, name));
  return &v;
}

void apply_metadata(json& target, const json& params) {
  if (!params.is_object() || !params.contains("metadata")) return;
  if (!target.is_object()) target = json::object();
  const json& m = params["metadata"];
  if (m.is_string()) {
    if (!m.get_ref<const std::string&>().empty()) throw invalid_param("metadata", "Invalid object: metadata");
    target = json::object();
    return;
  }
  if (!m.is_object()) throw invalid_param("metadata", "Invalid object: metadata");
  for (auto& [k, v] : m.items()) {
    if (!v.is_string()) throw invalid_param("metadata[" + k + "]", "Invalid string: metadata[" + k + "]");
    if (v.get_ref<const std::string&>().empty())
      target.erase(k);
    else
      target[k] = v;
  }
  if (target.size() > 50)
    throw invalid_param("metadata", "Invalid metadata: metadata can have at most 50 keys");
}

std::string normalize_currency_param(const std::string& value, const std::string& param) {
  std::string out = value;
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.size() != 3 || !std::all_of(out.begin(), out.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    throw invalid_param(param, "Invalid currency: " + value + ". Stripe currently supports these currencies: usd, eur, gbp, ...");
  return out;
}

}  // namespace settle::sandbox
