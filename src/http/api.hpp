// Settle's HTTP API: the REST resources under /rest (Twenty CRM's conventions), sign-in
// under /auth, and the OpenAPI document. Handlers are thin: they authenticate, parse, call
// a domain function (crm::Records, crm::Accounts, crm::StripeSettings, crm::WebhookInbox,
// workflow::Engine) and render its result or its error.
// The route table is the single source for the router and /rest/openapi.json.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rate_limit.hpp"
#include "crm/accounts.hpp"
#include "crm/records.hpp"
#include "crm/stripe_events.hpp"
#include "crm/stripe_settings.hpp"
#include "crm/stripe_sync.hpp"
#include "crm/webhook_inbox.hpp"
#include "crm/workspace_profile.hpp"
#include "mail/mail.hpp"
#include "net/router.hpp"
#include "workflow/workflow.hpp"

namespace settle::http {

// Who may call a route; shown in the OpenAPI document as x-settle-access.
enum class Access {
  Public,  // no credentials: sign-in, Stripe's webhooks, payment links, health
  Member,  // any member of the workspace (API key or session)
  Admin,   // an ADMIN of the workspace only
};
std::string_view to_string(Access access);

struct ApiRoute {
  std::string method;
  std::string pattern;
  Access access = Access::Member;
};

struct RateLimit {
  int limit;
  std::chrono::seconds window;
};

// Budgets of the public endpoints that create work, per client address and per target.
struct RateLimits {
  RateLimit sign_in_per_address{30, std::chrono::seconds(60)};
  RateLimit sign_in_per_email{10, std::chrono::seconds(60)};
  RateLimit sign_up_per_address{20, std::chrono::seconds(3600)};
  RateLimit token_check_per_address{30, std::chrono::seconds(600)};  // verify-email, validate-domain, invitations
  RateLimit renew_per_token{3, std::chrono::seconds(3600)};
  RateLimit renew_per_address{20, std::chrono::seconds(3600)};
};

struct ApiOptions {
  std::string web_root;    // built web UI to serve at / (empty: none)
  // SETTLE_PUBLIC_URL: the only base of the links Settle hands out (payment links); when it
  // is https, session cookies carry Secure. Never taken from a request's Host header.
  std::string public_url;
  // Behind a reverse proxy: the client's address is the last X-Forwarded-For hop and
  // X-Forwarded-Proto: https counts as TLS. Off by default, since anyone can send them.
  bool trust_proxy = false;
  RateLimits limits;
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
  // `workflows` serves /rest/workflows* and /webhooks/workflows/{id} (none without it);
  // `mail` the PDFs, mail settings and templates, sending documents and the outbox.
  Api(std::shared_ptr<crm::Records> records, std::shared_ptr<crm::Accounts> accounts, StripeServices stripe,
      ApiOptions options, std::shared_ptr<workflow::Engine> workflows, std::shared_ptr<mail::Mail> mail);

  net::Response handle(net::Request& request);
  // The routes served, as "METHOD pattern" (for the OpenAPI completeness test).
  std::vector<net::Router::Route> routes() const { return router_.routes(); }
  const std::vector<ApiRoute>& api_routes() const { return api_routes_; }
  const nlohmann::json& openapi() const { return openapi_; }

 private:
  void add_routes();
  void add_route(Access access, std::string method, std::string pattern, net::Handler handler);
  // The client's address, for rate limits and the sign-in failure count.
  std::string client_address(const net::Request& r) const;
  bool over_tls(const net::Request& r) const;
  // The session cookie (and the readable CSRF cookie beside it) for `s`.
  net::Response with_session_cookies(net::Response r, const net::Request& request, const crm::Session& s) const;

  std::shared_ptr<crm::Records> records_;
  std::shared_ptr<crm::Accounts> accounts_;
  StripeServices stripe_;
  ApiOptions options_;
  std::shared_ptr<workflow::Engine> workflows_;
  std::shared_ptr<mail::Mail> mail_;
  crm::WorkspaceProfile profile_;
  net::Router router_;
  std::vector<ApiRoute> api_routes_;
  nlohmann::json openapi_;

  // Budgets of the public endpoints; each RateLimiter has its own lock.
  RateLimiter sign_in_by_address_, sign_in_by_email_, sign_up_by_address_, token_check_by_address_;
  RateLimiter renew_by_token_, renew_by_address_;
};

// The OpenAPI 3 document for the given routes (paths use {param} as the router does).
nlohmann::json build_openapi(const std::vector<ApiRoute>& routes);

}  // namespace settle::http
