// Settle's HTTP API: the REST resources under /rest (Twenty CRM's conventions), sign-in
// under /auth, and the OpenAPI document. Handlers are thin: they authenticate, parse, call
// a domain function (crm::Records, crm::Accounts, crm::StripeSettings, crm::WebhookInbox) and render its result or its error.
// The route table is the single source for the router and /rest/openapi.json.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crm/accounts.hpp"
#include "crm/records.hpp"
#include "crm/stripe_events.hpp"
#include "crm/stripe_settings.hpp"
#include "crm/stripe_sync.hpp"
#include "crm/webhook_inbox.hpp"
#include "net/router.hpp"

namespace settle::http {

struct ApiOptions {
  std::string web_root;          // built web UI to serve at / (empty: none)
  bool secure_cookies = false;   // add "Secure" to the session cookie (behind HTTPS)
};

// The Stripe side of every workspace (all required).
struct StripeServices {
  std::shared_ptr<crm::StripeSettings> settings;
  std::shared_ptr<crm::WebhookInbox> inbox;
  std::shared_ptr<crm::StripeSync> sync;
  std::shared_ptr<crm::StripeEvents> events;
};

class Api {
 public:
  Api(std::shared_ptr<crm::Records> records, std::shared_ptr<crm::Accounts> accounts, StripeServices stripe,
      ApiOptions options = {});

  net::Response handle(net::Request& request);
  // The routes served, as "METHOD pattern" (for the OpenAPI completeness test).
  std::vector<net::Router::Route> routes() const { return router_.routes(); }
  const nlohmann::json& openapi() const { return openapi_; }

 private:
  void add_routes();

  std::shared_ptr<crm::Records> records_;
  std::shared_ptr<crm::Accounts> accounts_;
  StripeServices stripe_;
  ApiOptions options_;
  net::Router router_;
  nlohmann::json openapi_;
};

// The OpenAPI 3 document for the given routes (paths use {param} as the router does).
nlohmann::json build_openapi(const std::vector<net::Router::Route>& routes);

}  // namespace settle::http
