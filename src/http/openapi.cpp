// /rest/openapi.json, generated from the router's route table and the object catalog, so it
// cannot drift from what the server serves: generic routes (/rest/{object}/...) are
// expanded into one path per object, lifecycle actions into one path per action.
#include <map>

#include "crm/objects.hpp"
#include "common/text.hpp"
#include "http/api.hpp"

namespace settle::http {
namespace {

using nlohmann::json;
using store::FieldType;

const std::map<std::string, std::vector<std::string>>& actions_by_object() {
  static const std::map<std::string, std::vector<std::string>> kActions = {
      {"quotes", {"finalize", "accept", "cancel"}},
      {"orders", {"start", "fulfill", "cancel", "invoice"}},
      {"invoices", {"finalize", "void", "mark-uncollectible"}}};
  return kActions;
}

json field_schema(const crm::FieldDef& f) {
  json s;
  switch (f.spec.type) {
    case FieldType::Integer: s = {{"type", "integer"}, {"format", "int64"}}; break;
    case FieldType::Boolean: s = {{"type", "boolean"}}; break;
    case FieldType::Timestamp: s = {{"type", "string"}, {"format", "date-time"}}; break;
    case FieldType::Date: s = {{"type", "string"}, {"format", "date"}}; break;
    case FieldType::Enum: s = {{"type", "string"}, {"enum", f.spec.enum_values}}; break;
    default: s = {{"type", "string"}};
  }
  if (f.spec.type == FieldType::Text) s["maxLength"] = f.max_length;
  if (f.money) s["description"] = "Amount in minor units of the record's currency (e.g. cents).";
  if (f.access == crm::Access::ReadOnly) s["readOnly"] = true;
  if (!f.required) s["nullable"] = true;
  return s;
}

json object_schema(const crm::ObjectDef& o) {
  json props = json::object();
  json required = json::array();
  for (const auto& f : o.fields) {
    props[f.spec.name] = field_schema(f);
    if (f.required) required.push_back(f.spec.name);
  }
  if (o.has_line_items)
    props["lineItems"] = {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/LineItem"}}}};
  json s = {{"type", "object"}, {"properties", props}};
  if (!required.empty()) s["required"] = required;
  return s;
}

json error_responses() {
  json err = {{"description", "Error"}, {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  return {{"400", err}, {"401", err}, {"403", err}, {"404", err}, {"409", err}, {"422", err}};
}

json one(const std::string& ref) {
  return {{"description", "OK"},
          {"content", {{"application/json", {{"schema", {{"type", "object"}, {"properties", {{"data", {{"$ref", ref}}}}}}}}}}}};
}

json operation(const std::string& method, const std::string& path, const crm::ObjectDef* o, const std::string& tag,
               Access access) {
  json op = {{"tags", {tag}},
             {"responses", error_responses()},
             {"operationId", method + " " + path},
             {"x-settle-access", std::string(to_string(access))}};
  json params = json::array();
  for (size_t i = path.find('{'); i != std::string::npos; i = path.find('{', i + 1)) {
    std::string name = path.substr(i + 1, path.find('}', i) - i - 1);
    params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
  }
  std::string ref = o ? "#/components/schemas/" + o->name : "#/components/schemas/Any";
  bool list = o && path == "/rest/" + o->name && method == "get";
  if (list) {
    for (const char* q : {"filter", "order_by", "starting_after", "ending_before"})
      params.push_back({{"name", q}, {"in", "query"}, {"schema", {{"type", "string"}}}});
    params.push_back({{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 200}}}});
    op["responses"]["200"] = {
        {"description", "A page of records"},
        {"content",
         {{"application/json",
           {{"schema",
             {{"type", "object"},
              {"properties",
               {{"data", {{"type", "array"}, {"items", {{"$ref", ref}}}}},
                {"pageInfo", {{"$ref", "#/components/schemas/PageInfo"}}},
                {"totalCount", {{"type", "integer"}}}}}}}}}}}};
  } else {
    op["responses"][method == "post" && path.find('{') == std::string::npos && o ? "201" : "200"] = one(ref);
  }
  if (!params.empty()) op["parameters"] = params;
  if (method == "post" || method == "patch" || method == "put") {
    // Creating or editing a record takes the record's schema; actions take an optional object.
    bool record_body = o && (path == "/rest/" + o->name || path == "/rest/" + o->name + "/{id}");
    json schema = record_body ? json{{"$ref", ref}} : json{{"type", "object"}};
    op["requestBody"] = {{"content", {{"application/json", {{"schema", schema}}}}}};
  }
  // Public routes take no API key or session (Stripe's webhooks authenticate with the
  // Stripe-Signature header, payment links with their token).
  if (access == Access::Public) op["security"] = json::array();
  if (access == Access::Admin) op["description"] = "ADMIN only.";
  return op;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) s.replace(i, from.size(), to);
}

}  // namespace

json build_openapi(const std::vector<ApiRoute>& routes) {
  json doc = {{"openapi", "3.0.3"},
              {"info",
               {{"title", "Settle REST API"},
                {"version", "1"},
                {"description", "Quote-to-cash CRM. Lists follow Twenty CRM's REST conventions (filter, order_by, "
                                "limit, starting_after, ending_before). Money is integer minor units. Each operation's "
                                "x-settle-access says who may call it: public, member or admin. Requests signed in "
                                "with the session cookie that change something send the X-CSRF-Token header (the "
                                "settle_csrf cookie's value)."}}},
              {"security", {{{"bearerAuth", json::array()}}, {{"sessionCookie", json::array()}}}},
              {"paths", json::object()}};
  auto& schemas = doc["components"]["schemas"];
  doc["components"]["securitySchemes"] = {
      {"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}},
      {"sessionCookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "settle_session"}}}};
  schemas["Any"] = {{"type", "object"}};
  schemas["Error"] = {{"type", "object"},
                      {"properties",
                       {{"error",
                         {{"type", "object"},
                          {"properties",
                           {{"code", {{"type", "string"}}},
                            {"message", {{"type", "string"}}},
                            {"field", {{"type", "string"}, {"nullable", true}}},
                            {"details", {{"type", "object"}}}}}}}}}};
  schemas["PageInfo"] = {{"type", "object"},
                         {"properties",
                          {{"hasNextPage", {{"type", "boolean"}}},
                           {"hasPreviousPage", {{"type", "boolean"}}},
                           {"startCursor", {{"type", "string"}, {"nullable", true}}},
                           {"endCursor", {{"type", "string"}, {"nullable", true}}},
                           {"totalCountExact",
                            {{"type", "boolean"},
                             {"description", "false when more than 10,000 records match: totalCount is then "
                                             "10000, meaning at least that many"}}}}}};
  schemas["LineItem"] = {{"type", "object"},
                         {"properties",
                          {{"description", {{"type", "string"}, {"maxLength", 500}}},
                           {"quantity", {{"type", "integer"}, {"minimum", 1}}},
                           {"unitAmount", {{"type", "integer"}, {"minimum", 0}}},
                           {"amount", {{"type", "integer"}, {"readOnly", true}}},
                           {"productId", {{"type", "string"}, {"nullable", true}}}}}};
  for (const auto& o : crm::all_objects()) schemas[o.name] = object_schema(o);

  for (const auto& route : routes) {
    if (route.pattern == "/*") continue;  // the web UI, not the API
    std::string method = ascii_lower(route.method);
    if (route.pattern.find("{object}") == std::string::npos) {
      std::string tag = route.pattern.rfind("/auth", 0) == 0 ? "auth" : "workspace";
      if (route.pattern.rfind("/rest/workflow", 0) == 0 || route.pattern.rfind("/webhooks/workflows", 0) == 0)
        tag = "workflows";
      doc["paths"][route.pattern][method] = operation(method, route.pattern, nullptr, tag, route.access);
      continue;
    }
    for (const auto& o : crm::all_objects()) {
      std::string base = route.pattern;
      replace_all(base, "{object}", o.name);
      if (base.find("{action}") != std::string::npos) {
        auto it = actions_by_object().find(o.name);
        if (it == actions_by_object().end()) continue;
        for (const auto& action : it->second) {
          std::string p = base;
          replace_all(p, "{action}", action);
          doc["paths"][p][method] = operation(method, p, &o, o.name, route.access);
        }
      } else {
        doc["paths"][base][method] = operation(method, base, &o, o.name, route.access);
      }
    }
  }
  return doc;
}



}  // namespace settle::http
