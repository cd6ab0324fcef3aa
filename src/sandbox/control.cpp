// The control API under /_sandbox/ (not Stripe's): JSON endpoints to read the sandbox's
// state, advance its clock, inject faults into the API and into webhook delivery,
// redeliver webhooks, change sandbox settings and reset everything. Documented in
// docs/stripe-sandbox.md. Unauthenticated: the sandbox listens on loopback.
#include <spdlog/spdlog.h>

#include "sandbox/core.hpp"

namespace settle::sandbox {
namespace {

net::Response ok(const json& body) { return net::Response::json(200, body.dump(2)); }

net::Response bad(const std::string& message) {
  return net::Response::json(400, json{{"error", {{"message", message}}}}.dump(2));
}

// The request body as a JSON object ({} when empty).
json body_of(const net::Request& request) {
  if (request.body.empty()) return json::object();
  json j = json::parse(request.body);  // throws json::parse_error
  if (!j.is_object()) throw std::invalid_argument("the body must be a JSON object");
  return j;
}

template <class F>
net::Response guarded(const net::Request& request, F&& fn) {
  try {
    return fn(body_of(request));
  } catch (const json::exception& e) {
    return bad(std::string("invalid JSON: ") + e.what());
  } catch (const std::invalid_argument& e) {
    return bad(e.what());
  }
}

json faults_json(Core& core) {
  return {{"api", core.api_faults().to_json()}, {"webhooks", core.dispatcher.faults().to_json()}};
}

json settings_json(const Settings& s) {
  return {{"payment_link_lifetime_seconds", s.payment_link_lifetime_seconds},
          {"ach_settlement_seconds", s.ach_settlement_seconds}};
}

std::int64_t seconds_field(const json& body, const char* key, std::int64_t min, std::int64_t max) {
  if (!body[key].is_number_integer() || body[key].get<std::int64_t>() < min || body[key].get<std::int64_t>() > max)
    throw std::invalid_argument(std::string("`") + key + "` must be an integer between " + std::to_string(min) +
                                " and " + std::to_string(max));
  return body[key].get<std::int64_t>();
}

}  // namespace

void add_control_routes(net::Router& router, Core& core) {
  router.add("GET", "/_sandbox/state", [&core](net::Request& request) {
    json accounts = json::array();
    json clock;
    json settings;
    core.with_state(
        [&](State& state, Settings& s) {
          clock = {{"now", state.now()}, {"offset_seconds", state.clock_offset()}};
          settings = settings_json(s);
          for (auto& [key, account] : state.accounts()) {
            json counts = json::object();
            for (auto& [type, ids] : account.order) counts[type] = ids.size();
            accounts.push_back({{"api_key", key}, {"api_version", account.api_version}, {"objects", counts}});
          }
        },
        false);
    json webhooks = core.dispatcher.snapshot(0);
    return ok({{"clock", clock},
               {"accounts", accounts},
               {"settings", settings},
               {"faults", faults_json(core)},
               {"webhooks", webhooks["counts"]}});
  });

  router.add("POST", "/_sandbox/clock/advance", [&core](net::Request& request) {
    return guarded(request, [&](const json& body) {
      std::int64_t seconds = 0;
      if (body.contains("seconds")) {
        seconds = seconds_field(body, "seconds", 0, 10LL * 365 * 86400);
      } else if (body.contains("to")) {
        std::int64_t now = 0;
        core.with_state([&](State& state, Settings&) { now = state.now(); }, false);
        seconds = seconds_field(body, "to", now, now + 10LL * 365 * 86400) - now;
      } else {
        throw std::invalid_argument("give `seconds` (how far to advance) or `to` (a unix time in the future)");
      }
      core.run_clock_everywhere(seconds);
      std::int64_t now = 0, offset = 0;
      core.with_state([&](State& state, Settings&) { now = state.now(); offset = state.clock_offset(); }, false);
      spdlog::info("stripe-sandbox: clock advanced by {} s (offset now {} s)", seconds, offset);
      return ok({{"now", now}, {"offset_seconds", offset}});
    });
  });

  router.add("GET", "/_sandbox/faults", [&core](net::Request&) { return ok(faults_json(core)); });
  router.add("POST", "/_sandbox/faults", [&core](net::Request& request) {
    return guarded(request, [&](const json& body) {
      for (auto& [k, v] : body.items())
        if (k != "api" && k != "webhooks") throw std::invalid_argument("unknown fault group `" + k + "` (use `api` or `webhooks`)");
      // Validate both groups before changing either.
      ApiFaults api = body.contains("api") ? ApiFaults::from_json(body["api"], core.api_faults()) : core.api_faults();
      WebhookFaults hooks = body.contains("webhooks") ? WebhookFaults::from_json(body["webhooks"], core.dispatcher.faults())
                                                      : core.dispatcher.faults();
      core.set_api_faults(api);
      core.dispatcher.set_faults(hooks);
      return ok(faults_json(core));
    });
  });
  router.add("DELETE", "/_sandbox/faults", [&core](net::Request&) {
    core.set_api_faults({});
    core.dispatcher.set_faults({});
    return ok(faults_json(core));
  });

  router.add("POST", "/_sandbox/webhooks/redeliver", [&core](net::Request& request) {
    return guarded(request, [&](const json& body) {
      std::string event;
      if (body.contains("event")) {
        if (!body["event"].is_string()) throw std::invalid_argument("`event` must be an event id");
        event = body["event"];
      }
      return ok({{"redelivered", core.dispatcher.redeliver(event)}});
    });
  });
  router.add("GET", "/_sandbox/webhooks/deliveries", [&core](net::Request& request) {
    std::size_t limit = 100;
    if (auto l = request.query_param("limit")) {
      try {
        limit = std::stoul(*l);
      } catch (const std::exception&) {
        return bad("`limit` must be a number");
      }
    }
    return ok(core.dispatcher.snapshot(limit));
  });

  router.add("GET", "/_sandbox/settings", [&core](net::Request&) {
    json out;
    core.with_state([&](State&, Settings& s) { out = settings_json(s); }, false);
    return ok(out);
  });
  router.add("POST", "/_sandbox/settings", [&core](net::Request& request) {
    return guarded(request, [&](const json& body) {
      Settings next;
      core.with_state([&](State&, Settings& s) { next = s; }, false);
      for (auto& [k, v] : body.items()) {
        if (k == "payment_link_lifetime_seconds")
          next.payment_link_lifetime_seconds = seconds_field(body, "payment_link_lifetime_seconds", 0, 10LL * 365 * 86400);
        else if (k == "ach_settlement_seconds")
          next.ach_settlement_seconds = seconds_field(body, "ach_settlement_seconds", 0, 30LL * 86400);
        else
          throw std::invalid_argument("unknown setting `" + k + "`");
      }
      core.with_state([&](State&, Settings& s) { s = next; }, true);
      return ok(settings_json(next));
    });
  });

  router.add("POST", "/_sandbox/reset", [&core](net::Request&) {
    core.reset();
    spdlog::info("stripe-sandbox: reset");
    return ok({{"reset", true}});
  });
}

}  // namespace settle::sandbox
