// Events, webhook endpoints, list objects and the clock's transitions (see resources.hpp).
#include <algorithm>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "sandbox/pagination.hpp"
#include "sandbox/resources.hpp"

namespace settle::sandbox {
namespace {

constexpr std::int64_t kEventRetentionSeconds = 30 * 86400;
constexpr std::int64_t kIdempotencyKeyLifetimeSeconds = 86400;

bool endpoint_wants(const json& endpoint, const std::string& type) {
  if (endpoint.value("status", "") != "enabled") return false;
  for (const auto& e : endpoint["enabled_events"])
    if (e == "*" || e == type) return true;
  return false;
}

// "invoice.*" matches every invoice event; anything else matches exactly.
bool type_matches(const std::string& pattern, const std::string& type) {
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
    return type.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == "*" || pattern == type;
}

bool valid_event_name(const std::string& name) {
  if (name == "*") return true;
  if (name.empty() || name.find('.') == std::string::npos || name.front() == '.' || name.back() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == '*'; });
}

std::vector<std::string> enabled_events_param(const json& params) {
  auto events = get_string_list(params, "enabled_events");
  if (!events || events->empty()) throw missing_param("enabled_events");
  for (size_t i = 0; i < events->size(); ++i)
    if (!valid_event_name((*events)[i]))
      throw invalid_param("enabled_events[" + std::to_string(i) + "]",
                          "Invalid enabled_events[" + std::to_string(i) + "]: " + (*events)[i] + " is not a valid event type");
  return *events;
}

std::string url_param(const json& params, bool required) {
  auto url = get_string(params, "url");
  if (!url || url->empty()) {
    if (required) throw missing_param("url");
    return {};
  }
  if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
    throw invalid_param("url", "Invalid URL: " + *url + ". URLs must begin with http:// or https://", "url_invalid");
  return *url;
}

}  // namespace

void emit(Ctx& ctx, const std::string& type, const json& object, const json& previous_attributes) {
  json event = {
      {"id", new_id("evt")},
      {"object", "event"},
      {"api_version", ctx.api_version.empty() ? kDefaultApiVersion : ctx.api_version},
      {"created", ctx.now},
      {"data", {{"object", object}}},
      {"livemode", false},
      {"pending_webhooks", 0},
      {"request", {{"id", ctx.request_id.empty() ? json(nullptr) : json(ctx.request_id)},
                   {"idempotency_key", ctx.idempotency_key.empty() ? json(nullptr) : json(ctx.idempotency_key)}}},
      {"type", type},
  };
  if (!previous_attributes.is_null()) event["data"]["previous_attributes"] = previous_attributes;
  std::vector<const json*> endpoints;
  for (const auto& id : ctx.account.order["webhook_endpoint"]) {
    const json& endpoint = ctx.account.objects.at(id);
    if (endpoint_wants(endpoint, type)) endpoints.push_back(&endpoint);
  }
  event["pending_webhooks"] = endpoints.size();
  std::string payload = event.dump(2);
  for (const json* endpoint : endpoints) {
    const std::string& endpoint_id = (*endpoint)["id"].get_ref<const std::string&>();
    ctx.outbox.push_back({ctx.account.key, event["id"], type, endpoint_id, (*endpoint)["url"],
                          ctx.account.facts(endpoint_id).value("secret", ""), payload});
  }
  ctx.account.insert(std::move(event));
}

json list_of(Ctx& ctx, const Call& call, const std::string& type, const std::function<bool(const json&)>& include) {
  ListParams params = parse_list_params(call.params);
  auto ids = ctx.account.newest_first(type);
  auto page = paginate(
      ids,
      [&](const std::string& id) {
        const json& o = ctx.account.objects.at(id);
        if (o.value("deleted", false)) return false;
        if (params.created && !params.created->contains(o.value("created", std::int64_t{0}))) return false;
        return include(o);
      },
      params);
  if (!page)
    throw no_such(type, params.starting_after.empty() ? params.ending_before : params.starting_after,
                  params.starting_after.empty() ? "ending_before" : "starting_after");
  json data = json::array();
  for (const auto& id : page->ids) data.push_back(ctx.account.objects.at(id));
  return {{"object", "list"}, {"data", data}, {"has_more", page->has_more}, {"url", call.url}};
}

json list_over(Ctx& ctx, const Call& call, const std::vector<std::string>& ids, const std::string& url,
               const std::function<json(const std::string&)>& render) {
  ListParams params = parse_list_params(call.params);
  auto page = paginate(ids, [](const std::string&) { return true; }, params);
  if (!page) throw no_such("object", params.starting_after.empty() ? params.ending_before : params.starting_after);
  json data = json::array();
  for (const auto& id : page->ids) data.push_back(render(id));
  return {{"object", "list"}, {"data", data}, {"has_more", page->has_more}, {"url", url}};
}

json deleted_object(const std::string& id, const std::string& object) {
  return {{"id", id}, {"object", object}, {"deleted", true}};
}

json empty_address() {
  return {{"city", nullptr}, {"country", nullptr}, {"line1", nullptr},
          {"line2", nullptr}, {"postal_code", nullptr}, {"state", nullptr}};
}

json address_from(const json* params) {
  json address = empty_address();
  if (!params) return address;
  for (auto& [k, v] : params->items()) {
    if (!address.contains(k)) throw unknown_param("address[" + k + "]");
    if (v.is_string() && !v.get_ref<const std::string&>().empty()) address[k] = v;
  }
  return address;
}

// ---- Events ---------------------------------------------------------------------------

json retrieve_event(Ctx& ctx, const Call& call) { return ctx.account.get(call.id(), "event", "event"); }

json list_events(Ctx& ctx, const Call& call) {
  auto type = get_string(call.params, "type");
  auto types = get_string_list(call.params, "types");
  if (type && types) throw invalid_param("types", "You may only specify one of these parameters: type, types.");
  if (types && types->size() > 20) throw invalid_param("types", "You may specify at most 20 event types.");
  return list_of(ctx, call, "event", [&](const json& event) {
    const std::string& t = event["type"].get_ref<const std::string&>();
    if (type && !type->empty()) return type_matches(*type, t);
    if (types) return std::any_of(types->begin(), types->end(), [&](const std::string& p) { return type_matches(p, t); });
    return true;
  });
}

// ---- Webhook endpoints -----------------------------------------------------------------

json create_webhook_endpoint(Ctx& ctx, const Call& call) {
  const json& p = call.params;
  std::string url = url_param(p, true);
  auto events = enabled_events_param(p);
  std::string id = new_id("we");
  std::string secret = "whsec_" + random_token(32);
  json endpoint = {
      {"id", id},
      {"object", "webhook_endpoint"},
      {"api_version", get_string(p, "api_version") ? json(*get_string(p, "api_version")) : json(nullptr)},
      {"application", nullptr},
      {"created", ctx.now},
      {"description", get_string(p, "description") ? json(*get_string(p, "description")) : json(nullptr)},
      {"enabled_events", events},
      {"livemode", false},
      {"metadata", json::object()},
      {"status", "enabled"},
      {"url", url},
  };
  apply_metadata(endpoint["metadata"], p);
  ctx.account.facts(id)["secret"] = secret;
  json answer = ctx.account.insert(std::move(endpoint));
  answer["secret"] = secret;  // shown once, at creation, as at Stripe
  return answer;
}

json retrieve_webhook_endpoint(Ctx& ctx, const Call& call) {
  return ctx.account.get(call.id(), "webhook_endpoint", "webhook_endpoint");
}

json update_webhook_endpoint(Ctx& ctx, const Call& call) {
  json& endpoint = ctx.account.get(call.id(), "webhook_endpoint", "webhook_endpoint");
  const json& p = call.params;
  if (p.contains("url")) endpoint["url"] = url_param(p, true);
  if (p.contains("enabled_events")) endpoint["enabled_events"] = enabled_events_param(p);
  if (auto d = get_string(p, "description")) endpoint["description"] = d->empty() ? json(nullptr) : json(*d);
  if (auto disabled = get_bool(p, "disabled")) endpoint["status"] = *disabled ? "disabled" : "enabled";
  apply_metadata(endpoint["metadata"], p);
  return endpoint;
}

json delete_webhook_endpoint(Ctx& ctx, const Call& call) {
  ctx.account.get(call.id(), "webhook_endpoint", "webhook_endpoint");
  ctx.account.erase(call.id());
  return deleted_object(call.id(), "webhook_endpoint");
}

json list_webhook_endpoints(Ctx& ctx, const Call& call) {
  return list_of(ctx, call, "webhook_endpoint", [](const json&) { return true; });
}

// ---- The clock ---------------------------------------------------------------------------

void run_clock(Ctx& ctx) {
  Account& account = ctx.account;
  // Copies of the id lists: transitions below create objects (events, invoices).
  for (const auto& id : std::vector<std::string>(account.order["quote"])) {
    json& quote = account.objects.at(id);
    if (quote["status"] == "open" && quote["expires_at"].get<std::int64_t>() <= ctx.now)
      cancel_quote_now(ctx, quote, "expired");
  }
  for (const auto& id : std::vector<std::string>(account.order["payment_link"])) {
    json& link = account.objects.at(id);
    json& facts = account.facts(id);
    if (link["active"] == true && facts.contains("expires_at") && facts["expires_at"].get<std::int64_t>() <= ctx.now) {
      link["active"] = false;
      link["inactive_message"] = "This payment link has expired.";
      emit(ctx, "payment_link.updated", link, {{"active", true}, {"inactive_message", nullptr}});
    }
  }
  for (const auto& id : std::vector<std::string>(account.order["invoice"])) {
    json& invoice = account.objects.at(id);
    if (invoice.value("deleted", false)) continue;
    const std::string status = invoice["status"];
    if (status == "draft" && invoice["automatically_finalizes_at"].is_number() &&
        invoice["automatically_finalizes_at"].get<std::int64_t>() <= ctx.now) {
      finalize_invoice_now(ctx, invoice);
      continue;
    }
    if (status != "open") continue;
    if (invoice["next_payment_attempt"].is_number() && invoice["next_payment_attempt"].get<std::int64_t>() <= ctx.now)
      collect_automatically(ctx, invoice);
    json& facts = account.facts(id);
    if (invoice["status"] == "open" && invoice["due_date"].is_number() &&
        invoice["due_date"].get<std::int64_t>() < ctx.now && !facts.value("overdue_notified", false)) {
      facts["overdue_notified"] = true;
      emit(ctx, "invoice.overdue", invoice);
    }
  }
  settle_processing_payments(ctx);

  auto& events = account.order["event"];
  while (!events.empty() && account.objects.at(events.front())["created"].get<std::int64_t>() < ctx.now - kEventRetentionSeconds)
    account.erase(events.front());
  for (auto it = account.idempotency.begin(); it != account.idempotency.end();)
    it = it->second.created < ctx.now - kIdempotencyKeyLifetimeSeconds ? account.idempotency.erase(it) : std::next(it);
}

}  // namespace settle::sandbox
