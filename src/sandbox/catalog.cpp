// Customers (with search), products and prices (see resources.hpp).
#include <cmath>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "sandbox/resources.hpp"

namespace settle::sandbox {
namespace {

json nullable_string(const json& params, const std::string& name) {
  auto v = get_string(params, name);
  return v && !v->empty() ? json(*v) : json(nullptr);
}

// Copies plain string fields that are set (an empty value unsets them, as at Stripe).
void set_strings(json& object, const json& params, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (params.contains(name)) object[name] = nullable_string(params, name);
}

// ---- Customer search: Stripe's query language, for the clauses Settle needs ------------
// clause  := field ':' quoted | field '~' quoted | 'metadata[' quoted ']' ':' quoted
// query   := clause { ('AND' | 'OR') clause }   (AND and OR may not be mixed)
struct Clause {
  std::string field;     // "email", "name", "phone", "description" or "metadata"
  std::string key;       // metadata key
  std::string value;
  bool substring = false;  // '~'
  bool negated = false;    // leading '-'
};

ApiError bad_query(const std::string& detail) {
  return invalid_param("query", "Invalid search query: " + detail, "parameter_invalid_string");
}

std::string read_quoted(std::string_view q, size_t& i) {
  if (i >= q.size() || (q[i] != '\'' && q[i] != '"')) throw bad_query("expected a quoted value at position " + std::to_string(i));
  char quote = q[i++];
  std::string out;
  while (i < q.size() && q[i] != quote) {
    if (q[i] == '\\' && i + 1 < q.size()) ++i;
    out.push_back(q[i++]);
  }
  if (i >= q.size()) throw bad_query("unterminated string");
  ++i;
  return out;
}

void skip_spaces(std::string_view q, size_t& i) {
  while (i < q.size() && q[i] == ' ') ++i;
}

std::pair<std::vector<Clause>, bool> parse_query(std::string_view q) {
  std::vector<Clause> clauses;
  std::optional<bool> use_or;
  size_t i = 0;
  for (;;) {
    skip_spaces(q, i);
    Clause c;
    if (i < q.size() && q[i] == '-') {
      c.negated = true;
      ++i;
    }
    size_t start = i;
    while (i < q.size() && (std::isalnum(static_cast<unsigned char>(q[i])) || q[i] == '_')) ++i;
    c.field = std::string(q.substr(start, i - start));
    if (c.field == "metadata") {
      if (i >= q.size() || q[i] != '[') throw bad_query("metadata needs a key, e.g. metadata['key']");
      ++i;
      c.key = read_quoted(q, i);
      if (i >= q.size() || q[i] != ']') throw bad_query("expected ']'");
      ++i;
    } else if (c.field != "email" && c.field != "name" && c.field != "phone" && c.field != "description") {
      throw bad_query("unsupported field '" + c.field + "'");
    }
    if (i < q.size() && (q[i] == ':' || q[i] == '~')) {
      c.substring = q[i] == '~';
      ++i;
    } else {
      throw bad_query("expected ':' or '~' after " + c.field);
    }
    c.value = read_quoted(q, i);
    clauses.push_back(std::move(c));
    skip_spaces(q, i);
    if (i >= q.size()) break;
    bool is_or;
    if (q.substr(i, 3) == "AND") is_or = false;
    else if (q.substr(i, 2) == "OR") is_or = true;
    else throw bad_query("expected AND or OR at position " + std::to_string(i));
    if (use_or && *use_or != is_or) throw bad_query("AND and OR may not be combined");
    use_or = is_or;
    i += is_or ? 2 : 3;
  }
  return {clauses, use_or.value_or(false)};
}

bool clause_matches(const Clause& c, const json& customer) {
  const json* field = nullptr;
  if (c.field == "metadata") {
    auto it = customer["metadata"].find(c.key);
    if (it != customer["metadata"].end()) field = &*it;
  } else {
    field = &customer[c.field];
  }
  bool match = false;
  if (field && field->is_string()) {
    const std::string& v = field->get_ref<const std::string&>();
    match = c.substring ? v.find(c.value) != std::string::npos : v == c.value;
  }
  return match != c.negated;
}

void apply_customer_params(Ctx& ctx, json& customer, const json& p) {
  set_strings(customer, p, {"email", "name", "phone", "description"});
  if (p.contains("address")) customer["address"] = address_from(get_object(p, "address"));
  if (auto locales = get_string_list(p, "preferred_locales")) customer["preferred_locales"] = *locales;
  if (auto exempt = get_enum(p, "tax_exempt", {"none", "exempt", "reverse"})) customer["tax_exempt"] = *exempt;
  if (const json* settings = get_object(p, "invoice_settings")) {
    for (auto& [k, v] : settings->items())
      if (k != "default_payment_method" && k != "footer") throw unknown_param("invoice_settings[" + k + "]");
    if (auto pm = get_string(*settings, "default_payment_method")) {
      if (pm->empty()) {
        customer["invoice_settings"]["default_payment_method"] = nullptr;
      } else {
        json& method = resolve_payment_method(ctx, *pm, "invoice_settings[default_payment_method]");
        method["customer"] = customer["id"];
        customer["invoice_settings"]["default_payment_method"] = method["id"];
      }
    }
    if (settings->contains("footer")) customer["invoice_settings"]["footer"] = nullable_string(*settings, "footer");
  }
  apply_metadata(customer["metadata"], p);
}

}  // namespace

// ---- Customers --------------------------------------------------------------------------

json create_customer(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  json customer = {
      {"id", new_id("cus", 14)},
      {"object", "customer"},
      {"address", nullptr},
      {"balance", 0},
      {"created", ctx.now},
      {"currency", nullptr},
      {"default_source", nullptr},
      {"delinquent", false},
      {"description", nullptr},
      {"discount", nullptr},
      {"email", nullptr},
      {"invoice_prefix", random_token(8, "0123456789ABCDEF")},
      {"invoice_settings",
       {{"custom_fields", nullptr}, {"default_payment_method", nullptr}, {"footer", nullptr}, {"rendering_options", nullptr}}},
      {"livemode", false},
      {"metadata", json::object()},
      {"name", nullptr},
      {"next_invoice_sequence", 1},
      {"phone", nullptr},
      {"preferred_locales", json::array()},
      {"shipping", nullptr},
      {"tax_exempt", "none"},
      {"test_clock", nullptr},
      {"customer_account", nullptr},
  };
  if (auto prefix = get_string(p, "invoice_prefix")) customer["invoice_prefix"] = *prefix;
  apply_customer_params(ctx, customer, p);
  if (auto pm = get_string(p, "payment_method")) {
    json& method = resolve_payment_method(ctx, *pm, "payment_method");
    method["customer"] = customer["id"];
  }
  json& stored = ctx.account.insert(std::move(customer));
  emit(ctx, "customer.created", stored);
  return stored;
}

json retrieve_customer(Ctx& ctx, const Call& call) {
  json* customer = ctx.account.find(call.id(), "customer");
  if (!customer) throw no_such("customer", call.id());
  return *customer;  // a deleted customer answers {"id", "object", "deleted": true}, as at Stripe
}

json update_customer(Ctx& ctx, const Call& call) {
  json& customer = ctx.account.get(call.id(), "customer", "customer");
  json before = customer;
  apply_customer_params(ctx, customer, call.params);
  json previous = json::object();
  for (auto& [k, v] : customer.items())
    if (before[k] != v) previous[k] = before[k];
  if (!previous.empty()) emit(ctx, "customer.updated", customer, previous);
  return customer;
}

json delete_customer(Ctx& ctx, const Call& call) {
  json& customer = ctx.account.get(call.id(), "customer", "customer");
  json last = customer;
  customer = deleted_object(call.id(), "customer");
  emit(ctx, "customer.deleted", last);
  return customer;
}

json list_customers(Ctx& ctx, const Call& call) {
  auto email = get_string(call.params, "email");
  return list_of(ctx, call, "customer", [&](const json& c) { return !email || c["email"] == *email; });
}

json search_customers(Ctx& ctx, const Call& call) {
  std::string query = require_string(call.params, "query");
  auto [clauses, use_or] = parse_query(query);
  std::int64_t limit = get_integer(call.params, "limit").value_or(10);
  if (limit < 1 || limit > 100)
    throw invalid_param("limit", "This value must be greater than or equal to 1 and less than or equal to 100.");
  std::int64_t offset = 0;
  if (auto page = get_string(call.params, "page"); page && !page->empty()) {
    if (page->rfind("page_", 0) != 0) throw invalid_param("page", "Invalid page: " + *page);
    try {
      offset = std::stoll(page->substr(5));
    } catch (const std::exception&) {
      throw invalid_param("page", "Invalid page: " + *page);
    }
  }
  json data = json::array();
  std::int64_t matched = 0;
  bool has_more = false;
  for (const auto& id : ctx.account.newest_first("customer")) {
    const json& c = ctx.account.objects.at(id);
    if (c.value("deleted", false)) continue;
    bool match = use_or ? std::any_of(clauses.begin(), clauses.end(), [&](auto& cl) { return clause_matches(cl, c); })
                        : std::all_of(clauses.begin(), clauses.end(), [&](auto& cl) { return clause_matches(cl, c); });
    if (!match) continue;
    if (matched++ < offset) continue;
    if (static_cast<std::int64_t>(data.size()) == limit) {
      has_more = true;
      break;
    }
    data.push_back(c);
  }
  return {{"object", "search_result"},
          {"data", data},
          {"has_more", has_more},
          {"next_page", has_more ? json("page_" + std::to_string(offset + limit)) : json(nullptr)},
          {"url", "/v1/customers/search"}};
}

// ---- Products ------------------------------------------------------------------------------

json create_product(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  std::string name = require_string(p, "name");
  json product = {
      {"id", get_string(p, "id").value_or(new_id("prod", 14))},
      {"object", "product"},
      {"active", get_bool(p, "active").value_or(true)},
      {"created", ctx.now},
      {"default_price", nullptr},
      {"description", nullable_string(p, "description")},
      {"images", get_string_list(p, "images").value_or(std::vector<std::string>{})},
      {"livemode", false},
      {"marketing_features", json::array()},
      {"metadata", json::object()},
      {"name", name},
      {"package_dimensions", nullptr},
      {"shippable", nullptr},
      {"statement_descriptor", nullable_string(p, "statement_descriptor")},
      {"tax_code", nullable_string(p, "tax_code")},
      {"tax_details", nullptr},
      {"unit_label", nullable_string(p, "unit_label")},
      {"updated", ctx.now},
      {"url", nullable_string(p, "url")},
      {"type", "service"},
  };
  if (ctx.account.find(product["id"])) throw invalid_param("id", "Product already exists.", "resource_already_exists");
  apply_metadata(product["metadata"], p);
  json& stored = ctx.account.insert(std::move(product));
  emit(ctx, "product.created", stored);
  if (const json* price_data = get_object(p, "default_price_data")) {
    json data = *price_data;
    data["product"] = stored["id"];
    json& price = price_from_data(ctx, data, "default_price_data", true);
    price["active"] = true;
    stored["default_price"] = price["id"];
  }
  return stored;
}

json retrieve_product(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "product", "product"); }

json update_product(Ctx& ctx, const Call& call) {
  json& product = ctx.account.get(call.id(), "product", "product");
  const json& p = call.params;
  json before = product;
  if (p.contains("name")) product["name"] = require_string(p, "name");
  if (auto active = get_bool(p, "active")) product["active"] = *active;
  set_strings(product, p, {"description", "statement_descriptor", "tax_code", "unit_label", "url"});
  if (auto images = get_string_list(p, "images")) product["images"] = *images;
  if (auto price = get_string(p, "default_price")) {
    json& found = ctx.account.get(*price, "price", "price", "default_price");
    if (found["product"] != product["id"]) throw invalid_param("default_price", "The price must belong to this product.");
    product["default_price"] = *price;
  }
  apply_metadata(product["metadata"], p);
  product["updated"] = ctx.now;
  json previous = json::object();
  for (auto& [k, v] : product.items())
    if (before[k] != v && k != "updated") previous[k] = before[k];
  emit(ctx, "product.updated", product, previous);
  return product;
}

json list_products(Ctx& ctx, const Call& call) {
  auto active = get_bool(call.params, "active");
  auto ids = get_string_list(call.params, "ids");
  return list_of(ctx, call, "product", [&](const json& product) {
    if (active && product["active"] != *active) return false;
    return !ids || std::find(ids->begin(), ids->end(), product["id"].get<std::string>()) != ids->end();
  });
}

// ---- Prices ----------------------------------------------------------------------------------

json& price_from_data(Ctx& ctx, const json& data, const std::string& path, bool allow_recurring) {
  auto sub = [&](const std::string& name) { return path.empty() ? name : path + "[" + name + "]"; };
  std::string currency = normalize_currency_param(require_string(data, "currency", sub("currency")), sub("currency"));
  std::string product_id;
  if (auto product = get_string(data, "product"); product && !product->empty()) {
    product_id = ctx.account.get(*product, "product", "product", sub("product"))["id"];
  } else if (const json* product_data = get_object(data, "product_data", sub("product_data"))) {
    Call inner{*product_data, {}, "/v1/products"};
    product_id = create_product(ctx, inner)["id"];
  } else {
    throw missing_param(path.empty() ? "product" : sub("product"));
  }
  auto unit_amount = get_integer(data, "unit_amount", sub("unit_amount"));
  auto unit_amount_decimal = get_string(data, "unit_amount_decimal");
  if (!unit_amount && (!unit_amount_decimal || unit_amount_decimal->empty()))
    throw missing_param(sub("unit_amount"));
  if (unit_amount && *unit_amount < 0) throw invalid_param(sub("unit_amount"), "This value must be greater than or equal to 0.");
  std::string decimal = unit_amount ? std::to_string(*unit_amount) : *unit_amount_decimal;
  json unit_amount_json = nullptr;
  if (unit_amount) {
    unit_amount_json = *unit_amount;
  } else {
    char* end = nullptr;
    double value = std::strtod(decimal.c_str(), &end);
    if (end != decimal.c_str() + decimal.size() || value < 0)
      throw invalid_param(sub("unit_amount_decimal"), "Invalid decimal: " + decimal, "parameter_invalid_decimal");
    if (value == std::floor(value)) unit_amount_json = static_cast<std::int64_t>(value);
  }
  json recurring = nullptr;
  if (const json* r = get_object(data, "recurring", sub("recurring"))) {
    if (!allow_recurring)
      throw invalid_param(sub("recurring"), "The Stripe sandbox supports one-time prices here; recurring prices are not supported.");
    std::string interval = get_enum(*r, "interval", {"day", "week", "month", "year"}, sub("recurring") + "[interval]")
                               .value_or("");
    if (interval.empty()) throw missing_param(sub("recurring") + "[interval]");
    recurring = {{"interval", interval},
                 {"interval_count", get_integer(*r, "interval_count", sub("recurring") + "[interval_count]").value_or(1)},
                 {"meter", nullptr},
                 {"trial_period_days", nullptr},
                 {"usage_type", "licensed"}};
  }
  json price = {
      {"id", new_id("price")},
      {"object", "price"},
      {"active", get_bool(data, "active").value_or(true)},
      {"billing_scheme", "per_unit"},
      {"created", ctx.now},
      {"currency", currency},
      {"custom_unit_amount", nullptr},
      {"livemode", false},
      {"lookup_key", nullable_string(data, "lookup_key")},
      {"metadata", json::object()},
      {"nickname", nullable_string(data, "nickname")},
      {"product", product_id},
      {"recurring", recurring},
      {"tax_behavior", get_enum(data, "tax_behavior", {"inclusive", "exclusive", "unspecified"}).value_or("unspecified")},
      {"tiers_mode", nullptr},
      {"transform_quantity", nullptr},
      {"type", recurring.is_null() ? "one_time" : "recurring"},
      {"unit_amount", unit_amount_json},
      {"unit_amount_decimal", decimal},
  };
  apply_metadata(price["metadata"], data);
  json& stored = ctx.account.insert(std::move(price));
  emit(ctx, "price.created", stored);
  return stored;
}

json& active_price(Ctx& ctx, const std::string& price_id, const std::string& param) {
  json& price = ctx.account.get(price_id, "price", "price", param);
  if (price["active"] != true)
    throw invalid_param(param, "The price specified is inactive. This field only accepts active prices.");
  return price;
}

std::int64_t price_amount(const json& price, std::int64_t quantity) {
  if (price["unit_amount"].is_number()) return price["unit_amount"].get<std::int64_t>() * quantity;
  return std::llround(std::strtod(price["unit_amount_decimal"].get<std::string>().c_str(), nullptr) *
                      static_cast<double>(quantity));
}

json create_price(Ctx& ctx, const Call& call) {
  json& price = price_from_data(ctx, call.params, "", true);
  return price;
}

json retrieve_price(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "price", "price"); }

json update_price(Ctx& ctx, const Call& call) {
  json& price = ctx.account.get(call.id(), "price", "price");
  const json& p = call.params;
  json before = price;
  if (auto active = get_bool(p, "active")) price["active"] = *active;
  set_strings(price, p, {"nickname", "lookup_key"});
  if (auto tax = get_enum(p, "tax_behavior", {"inclusive", "exclusive", "unspecified"})) price["tax_behavior"] = *tax;
  apply_metadata(price["metadata"], p);
  json previous = json::object();
  for (auto& [k, v] : price.items())
    if (before[k] != v) previous[k] = before[k];
  emit(ctx, "price.updated", price, previous);
  return price;
}

json list_prices(Ctx& ctx, const Call& call) {
  auto product = get_string(call.params, "product");
  auto active = get_bool(call.params, "active");
  auto currency = get_string(call.params, "currency");
  auto type = get_enum(call.params, "type", {"one_time", "recurring"});
  auto lookup_keys = get_string_list(call.params, "lookup_keys");
  return list_of(ctx, call, "price", [&](const json& price) {
    if (product && price["product"] != *product) return false;
    if (active && price["active"] != *active) return false;
    if (currency && price["currency"] != *currency) return false;
    if (type && price["type"] != *type) return false;
    if (lookup_keys && (!price["lookup_key"].is_string() ||
                        std::find(lookup_keys->begin(), lookup_keys->end(), price["lookup_key"].get<std::string>()) ==
                            lookup_keys->end()))
      return false;
    return true;
  });
}

}  // namespace settle::sandbox
