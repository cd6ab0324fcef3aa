#include "http/api.hpp"
#include "common/text.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crm/dashboard.hpp"
#include "crm/objects.hpp"
#include "http/csrf.hpp"
#include "http/errors.hpp"
#include "store/query.hpp"

namespace settle::http {

using crm::Actor;
using nlohmann::json;
using net::Request;
using net::Response;

namespace {

constexpr const char* kSessionCookie = "settle_session";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
Response data(int status, const json& payload) { return Response::json(status, dump(json{{"data", payload}})); }

Result<json> parse_body(const Request& r) {
  if (r.body.empty()) return json::object();
  auto ct = r.header("content-type");
  if (!ct.empty() && ct.find("json") == std::string_view::npos)
    return fail(Error::bad_request("the request body must be JSON (Content-Type: application/json)"));
  try {
    return json::parse(r.body);
  } catch (const json::parse_error& e) {
    // Only the position: nlohmann's message quotes the text it read, which may be a secret
    // the client sent (and this answer may be logged by a proxy).
    return fail(Error::bad_request("malformed JSON at byte " + std::to_string(e.byte)));
  } catch (const json::exception&) {
    // Well-formed but beyond what JSON values hold here, e.g. a number past a double's range
    // (found by fuzz/fuzz_json_bodies).
    return fail(Error::bad_request("the request body holds a number too large to represent"));
  }
}

std::string cookie_value(const Request& r, std::string_view name) {
  std::string_view c = r.header("cookie");
  while (!c.empty()) {
    auto semi = c.find(';');
    auto part = c.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    c.remove_prefix(semi + 1);
  }
  return {};
}

std::string bearer(const Request& r) {
  std::string_view h = r.header("authorization");
  if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) return std::string(h.substr(7));
  return {};
}

using net::html_escape;

// A cookie-authenticated request that may change something must carry its session's CSRF
// token; a page on another site can make the browser send the cookie, never the header.
Status check_csrf(const Request& r, std::string_view session_token) {
  if (is_safe_method(r.method) || csrf_token_matches(session_token, r.header(kCsrfHeader))) return {};
  return fail(Error{ErrorCode::Forbidden,
                    "this request needs the X-CSRF-Token header of your session (the settle_csrf cookie's value)",
                    "X-CSRF-Token", "refused a cookie-authenticated " + r.method + " without its CSRF token", nullptr});
}

Error rate_limited(std::chrono::seconds wait) {
  return Error{ErrorCode::RateLimited, "too many requests; try again in " + std::to_string(wait.count()) + " seconds",
               {}, {}, json{{"retryAfterSeconds", wait.count()}}};
}

// Counts one request against each budget given; the first exhausted one refuses it.
Status within_limits(std::initializer_list<std::pair<RateLimiter*, std::string_view>> budgets) {
  for (auto [limiter, key] : budgets)
    if (auto wait = limiter->hit(key)) return fail(rate_limited(*wait));
  return {};
}

// A small page for the customer who opens a payment link; `extra_html` is trusted markup.
Response pay_message(int status, std::string_view title, std::string_view text, std::string_view extra_html = {}) {
  std::string body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>" +
      html_escape(title) +
      "</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;"
      "color:#1f2328}h1{font-size:1.4rem}button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px "
      "solid #1f6feb;background:#1f6feb;color:#fff;cursor:pointer}button:focus-visible{outline:3px solid "
      "#0969da;outline-offset:2px}</style></head><body><main><h1>" +
      html_escape(title) + "</h1><p id=\"message\">" + html_escape(text) + "</p>" + std::string(extra_html) +
      "</main></body></html>";
  Response r = Response::text(status, std::move(body), "text/html; charset=utf-8");
  r.set_header("Cache-Control", "no-store");
  r.set_header("Referrer-Policy", "no-referrer");
  return r;
}

json page_json(const crm::Page& p) {
  return {{"data", p.records},
          {"pageInfo",
           {{"hasNextPage", p.has_next_page},
            {"hasPreviousPage", p.has_previous_page},
            {"startCursor", p.start_cursor ? json(*p.start_cursor) : json(nullptr)},
            {"endCursor", p.end_cursor ? json(*p.end_cursor) : json(nullptr)},
            {"totalCountExact", p.total_count_exact}}},
          {"totalCount", p.total_count}};
}

std::string content_type_for(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".ico", "image/x-icon"},              {".woff2", "font/woff2"},
      {".map", "application/json"},          {".txt", "text/plain; charset=utf-8"}};
  auto it = kTypes.find(p.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace

Api::Api(std::shared_ptr<crm::Records> records, std::shared_ptr<crm::Accounts> accounts, StripeServices stripe,
         ApiOptions options, std::shared_ptr<workflow::Engine> workflows, std::shared_ptr<mail::Mail> mail)
    : records_(std::move(records)),
      accounts_(std::move(accounts)),
      stripe_(std::move(stripe)),
      options_(std::move(options)),
      workflows_(std::move(workflows)),
      mail_(std::move(mail)),
      profile_(records_->database()),
      sign_in_by_address_(options_.limits.sign_in_per_address.limit, options_.limits.sign_in_per_address.window),
      sign_in_by_email_(options_.limits.sign_in_per_email.limit, options_.limits.sign_in_per_email.window),
      sign_up_by_address_(options_.limits.sign_up_per_address.limit, options_.limits.sign_up_per_address.window),
      token_check_by_address_(options_.limits.token_check_per_address.limit,
                              options_.limits.token_check_per_address.window),
      renew_by_token_(options_.limits.renew_per_token.limit, options_.limits.renew_per_token.window),
      renew_by_address_(options_.limits.renew_per_address.limit, options_.limits.renew_per_address.window) {
  add_routes();
  openapi_ = build_openapi(api_routes_);
}

std::string_view to_string(Access access) {
  switch (access) {
    case Access::Public: return "public";
    case Access::Member: return "member";
    case Access::Admin: return "admin";
  }
  return "member";
}

void Api::add_route(Access access, std::string method, std::string pattern, net::Handler handler) {
  api_routes_.push_back({method, pattern, access});
  router_.add(std::move(method), std::move(pattern), std::move(handler));
}

std::string Api::client_address(const Request& r) const {
  if (options_.trust_proxy) {
    std::string_view forwarded = r.header("x-forwarded-for");
    auto comma = forwarded.rfind(',');
    std::string_view last = comma == std::string_view::npos ? forwarded : forwarded.substr(comma + 1);
    while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
    while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
    if (!last.empty()) return std::string(last);
  }
  return r.remote_address;
}

bool Api::over_tls(const Request& r) const {
  return options_.public_url.rfind("https://", 0) == 0 || (options_.trust_proxy && r.header("x-forwarded-proto") == "https");
}

Response Api::with_session_cookies(Response r, const Request& request, const crm::Session& s) const {
  std::string attributes = "; Path=/; SameSite=Strict; Max-Age=" + std::to_string(crm::kSessionDays * 86400) +
                           (over_tls(request) ? "; Secure" : "");
  r.add_header("Set-Cookie", std::string(kSessionCookie) + "=" + s.token + "; HttpOnly" + attributes);
  // Readable by the web UI's script, which echoes it in X-CSRF-Token.
  r.add_header("Set-Cookie", std::string(kCsrfCookie) + "=" + csrf_token_for(s.token) + attributes);
  return r;
}

Response Api::handle(Request& request) {
  auto m = router_.match(request);
  if (m.outcome == net::Router::Outcome::Found) {
    try {
      return (*m.handler)(request);
    } catch (const std::exception& e) {
      return error_response(Error::internal(std::string("unhandled exception: ") + e.what()));
    }
  }
  if (m.outcome == net::Router::Outcome::MethodNotAllowed) {
    std::string allow;
    for (const auto& a : m.allowed_methods) allow += (allow.empty() ? "" : ", ") + a;
    auto r = error_response(Error{ErrorCode::BadRequest, "method not allowed; use " + allow, {}, {}, nullptr});
    r.status = 405;
    r.set_header("Allow", allow);
    return r;
  }
  return error_response(Error::not_found("route " + request.path));
}

void Api::add_routes() {
  // Wraps a handler that needs a caller: API key (Bearer) or session cookie; a cookie's
  // mutations also need the CSRF token.
  auto authed = [this](auto fn) {
    return [this, fn](Request& r) -> Response {
      std::string key = bearer(r);
      if (!key.empty()) {
        Result<Actor> actor = accounts_->authenticate_api_key(key);
        return actor ? fn(r, *actor) : error_response(actor.error());
      }
      std::string session = cookie_value(r, kSessionCookie);
      if (session.empty())
        return error_response(Error::unauthenticated("send 'Authorization: Bearer <api key>' or sign in"));
      Result<Actor> actor = accounts_->authenticate_session(session);
      if (!actor) return error_response(actor.error());
      if (auto st = check_csrf(r, session); !st) return error_response(st.error());
      return fn(r, *actor);
    };
  };
  // authed, for ADMIN only; the domain functions check the role again themselves.
  auto admin = [authed](auto fn) {
    return authed([fn](Request& r, const Actor& a) -> Response {
      if (a.role != crm::Role::Admin) return error_response(Error::forbidden("only an ADMIN of this workspace can do this"));
      return fn(r, a);
    });
  };
  // Resolves {object} against the catalog (404 for unknown objects).
  auto with_object = [](auto fn) {
    return [fn](Request& r, const Actor& a) -> Response {
      const crm::ObjectDef* o = crm::find_object(r.param("object"));
      if (!o) return error_response(Error::not_found("object '" + std::string(r.param("object")) + "'"));
      return fn(r, a, *o);
    };
  };
  auto render = [](int status, const Result<json>& result) {
    return result ? data(status, *result) : error_response(result.error());
  };
  add_route(Access::Public, "GET", "/healthz", [](Request&) { return Response::json(200, R"({"status":"ok"})"); });
  add_route(Access::Public, "GET", "/rest/openapi.json",
            [this](Request&) { return Response::json(200, openapi_.dump()); });

  // --- sign-in ---------------------------------------------------------------------------
  // The answer of every route that signs in: the session's cookies and where it may go.
  auto signed_in = [this](Request& r, const crm::Session& s) {
    auto workspaces = accounts_->workspaces_of(s.user_id);
    json out = {{"userId", s.user_id},
                {"workspaceId", s.workspace_id ? json(*s.workspace_id) : json(nullptr)},
                {"expiresAt", s.expires_at},
                {"csrfToken", csrf_token_for(s.token)},
                {"workspaces", workspaces ? *workspaces : json(nullptr)}};
    return with_session_cookies(data(200, out), r, s);
  };
  add_route(Access::Public, "POST", "/auth/login", [this, signed_in](Request& r) {
    auto body = parse_body(r);
    if (!body) return error_response(body.error());
    if (!body->is_object() || !(*body)["email"].is_string() || !(*body)["password"].is_string())
      return error_response(Error::validation("email", "email and password are required"));
    std::string address = client_address(r);
    std::string email = ascii_lower((*body)["email"].get<std::string>());
    if (auto st = within_limits({{&sign_in_by_address_, address}, {&sign_in_by_email_, email}}); !st)
      return error_response(st.error());
    std::optional<std::string> ws;
    if (body->contains("workspace") && (*body)["workspace"].is_string()) ws = (*body)["workspace"].get<std::string>();
    auto s = accounts_->login(email, (*body)["password"], address, ws);
    return s ? signed_in(r, *s) : error_response(s.error());
  });
  add_route(Access::Public, "POST", "/auth/logout", [this](Request& r) {
    std::string token = cookie_value(r, kSessionCookie);
    if (!token.empty()) {
      if (auto st = check_csrf(r, token); !st) return error_response(st.error());
      accounts_->logout(token);
    }
    auto resp = data(200, json{{"signedOut", true}});
    resp.add_header("Set-Cookie", std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    resp.add_header("Set-Cookie", std::string(kCsrfCookie) + "=; Path=/; SameSite=Strict; Max-Age=0");
    return resp;
  });
  add_route(Access::Public, "POST", "/auth/signup", [this, render](Request& r) {
    if (auto st = within_limits({{&sign_up_by_address_, client_address(r)}}); !st) return error_response(st.error());
    auto body = parse_body(r);
    if (!body) return error_response(body.error());
    auto str = [&](const char* k) { return body->is_object() && (*body)[k].is_string() ? (*body)[k].get<std::string>() : ""; };
    return render(201, accounts_->signup(str("email"), str("password"), str("firstName"), str("lastName")));
  });
  add_route(Access::Public, "POST", "/auth/verify-email", [this](Request& r) {
    if (auto st = within_limits({{&token_check_by_address_, client_address(r)}}); !st) return error_response(st.error());
    auto body = parse_body(r);
    if (!body) return error_response(body.error());
    if (!body->is_object() || !(*body)["token"].is_string()) return error_response(Error::validation("token", "token is required"));
    auto st = accounts_->verify_email((*body)["token"]);
    return st ? data(200, json{{"emailVerified", true}}) : error_response(st.error());
  });
  add_route(Access::Public, "POST", "/auth/validate-domain", [this, render](Request& r) {
    if (auto st = within_limits({{&token_check_by_address_, client_address(r)}}); !st) return error_response(st.error());
    auto body = parse_body(r);
    if (!body) return error_response(body.error());
    if (!body->is_object() || !(*body)["token"].is_string()) return error_response(Error::validation("token", "token is required"));
    return render(200, accounts_->validate_domain((*body)["token"]));
  });
  add_route(Access::Public, "POST", "/auth/accept-invitation", [this, signed_in](Request& r) {
    if (auto st = within_limits({{&token_check_by_address_, client_address(r)}}); !st) return error_response(st.error());
    auto body = parse_body(r);
    if (!body) return error_response(body.error());
    if (!body->is_object() || !(*body)["token"].is_string()) return error_response(Error::validation("token", "token is required"));
    if (!(*body)["password"].is_string()) return error_response(Error::validation("password", "password is required"));
    auto str = [&](const char* k) { return (*body)[k].is_string() ? (*body)[k].get<std::string>() : std::string(); };
    auto s = accounts_->accept_invitation(str("token"), str("password"), str("firstName"), str("lastName"));
    return s ? signed_in(r, *s) : error_response(s.error());
  });
  // A signed-in person's own password; the other sessions of the account end.
  add_route(Access::Public, "POST", "/auth/change-password", [this](Request& r) {
    if (!bearer(r).empty()) return error_response(Error::forbidden("an API key has no password; sign in to change yours"));
    std::string token = cookie_value(r, kSessionCookie);
    if (token.empty()) return error_response(Error::unauthenticated("sign in first"));
    if (auto st = check_csrf(r, token); !st) return error_response(st.error());
    std::string address = client_address(r);
    if (auto st = within_limits({{&sign_in_by_address_, address}}); !st) return error_response(st.error());
    auto body = parse_body(r);
    if (!body) return error_response(body.error());
    if (!body->is_object() || !(*body)["currentPassword"].is_string())
      return error_response(Error::validation("currentPassword", "currentPassword is required"));
    if (!(*body)["newPassword"].is_string()) return error_response(Error::validation("newPassword", "newPassword is required"));
    auto st = accounts_->change_password(token, (*body)["currentPassword"], (*body)["newPassword"], address);
    return st ? data(200, json{{"passwordChanged", true}}) : error_response(st.error());
  });
  // A session without a workspace may still list, switch to and join workspaces.
  auto with_session = [this](auto fn) {
    return [this, fn](Request& r) -> Response {
      std::string token = cookie_value(r, kSessionCookie);
      if (token.empty()) return error_response(Error::unauthenticated("sign in first"));
      if (auto st = check_csrf(r, token); !st) return error_response(st.error());
      auto body = parse_body(r);
      if (!body) return error_response(body.error());
      if (!body->is_object() || !(*body)["workspaceId"].is_string())
        return error_response(Error::validation("workspaceId", "workspaceId is required"));
      Result<crm::Session> s = fn(token, (*body)["workspaceId"].get<std::string>());
      if (!s) return error_response(s.error());
      return with_session_cookies(data(200, json{{"workspaceId", *s->workspace_id}}), r, *s);
    };
  };
  add_route(Access::Public, "POST", "/auth/switch-workspace", with_session([this](const std::string& t, const std::string& w) {
              return accounts_->switch_workspace(t, w);
            }));
  add_route(Access::Public, "POST", "/auth/join", with_session([this](const std::string& t, const std::string& w) {
              return accounts_->join(t, w);
            }));
  add_route(Access::Public, "GET", "/auth/workspaces", [this, render](Request& r) {
    auto user = accounts_->session_user(cookie_value(r, kSessionCookie));
    return user ? render(200, accounts_->workspaces_of(*user)) : error_response(user.error());
  });

  // --- members, API keys, approved domains ----------------------------------------------------
  add_route(Access::Member, "GET", "/rest/workspace-members/me",
              authed([this, render](Request&, const Actor& a) { return render(200, accounts_->me(a)); }));
  add_route(Access::Member, "GET", "/rest/workspace-members",
              authed([this, render](Request&, const Actor& a) { return render(200, accounts_->list_members(a)); }));
  add_route(Access::Admin, "POST", "/rest/workspace-members", admin([this, render](Request& r, const Actor& a) {
                auto body = parse_body(r);
                return body ? render(201, accounts_->add_member(a, *body)) : error_response(body.error());
              }));
  add_route(Access::Admin, "PATCH", "/rest/workspace-members/{userId}", admin([this, render](Request& r, const Actor& a) {
                auto body = parse_body(r);
                return body ? render(200, accounts_->set_member_role(a, std::string(r.param("userId")), *body))
                            : error_response(body.error());
              }));
  add_route(Access::Admin, "DELETE", "/rest/workspace-members/{userId}", admin([this](Request& r, const Actor& a) {
                auto st = accounts_->remove_member(a, std::string(r.param("userId")));
                return st ? data(200, json{{"userId", r.param("userId")}, {"removed", true}}) : error_response(st.error());
              }));
  add_route(Access::Admin, "GET", "/rest/api-keys",
              admin([this, render](Request&, const Actor& a) { return render(200, accounts_->list_api_keys(a)); }));
  add_route(Access::Admin, "POST", "/rest/api-keys", admin([this, render](Request& r, const Actor& a) {
                auto body = parse_body(r);
                return body ? render(201, accounts_->create_api_key(a, *body)) : error_response(body.error());
              }));
  add_route(Access::Admin, "DELETE", "/rest/api-keys/{id}", admin([this](Request& r, const Actor& a) {
                auto st = accounts_->revoke_api_key(a, std::string(r.param("id")));
                return st ? data(200, json{{"id", r.param("id")}, {"revoked", true}}) : error_response(st.error());
              }));
  add_route(Access::Admin, "GET", "/rest/approved-domains",
              admin([this, render](Request&, const Actor& a) { return render(200, accounts_->list_domains(a)); }));
  add_route(Access::Admin, "POST", "/rest/approved-domains", admin([this, render](Request& r, const Actor& a) {
                auto body = parse_body(r);
                return body ? render(201, accounts_->add_domain(a, *body)) : error_response(body.error());
              }));
  add_route(Access::Admin, "DELETE", "/rest/approved-domains/{id}", admin([this](Request& r, const Actor& a) {
                auto st = accounts_->delete_domain(a, std::string(r.param("id")));
                return st ? data(200, json{{"id", r.param("id")}, {"deleted", true}}) : error_response(st.error());
              }));

  // --- Stripe settings (ADMIN) and the webhook inbox ------------------------------------------------
  add_route(Access::Admin, "GET", "/rest/settings/stripe",
              admin([this, render](Request&, const Actor& a) { return render(200, stripe_.settings->get(a)); }));
  add_route(Access::Admin, "PUT", "/rest/settings/stripe", admin([this, render](Request& r, const Actor& a) {
                auto body = parse_body(r);
                return body ? render(200, stripe_.settings->put(a, *body)) : error_response(body.error());
              }));
  add_route(Access::Admin, "POST", "/rest/stripe/webhook-endpoint", admin([this, render](Request& r, const Actor& a) {
                auto body = parse_body(r);
                return body ? render(201, stripe_.settings->register_webhook_endpoint(a, *body))
                            : error_response(body.error());
              }));
  add_route(Access::Admin, "GET", "/rest/stripe/events", admin([this, render](Request& r, const Actor& a) {
                auto q = r.query_params();
                std::optional<std::string_view> limit;
                for (const auto& [k, v] : q)
                  if (k == "limit") limit = v;
                return render(200, stripe_.inbox->list(a, limit));
              }));
  // Stripe calls these: no caller credentials, the Stripe-Signature header authenticates.
  // The answer is Stripe's usual {"received":true}, not wrapped in "data".
  auto webhook = [this](Request& r, const std::optional<std::string>& subdomain) {
    auto result = stripe_.inbox->receive(subdomain, r.body, r.header("stripe-signature"));
    return result ? Response::json(200, dump(*result)) : error_response(result.error());
  };
  add_route(Access::Public, "POST", "/api/webhooks/stripe/{subdomain}",
              [webhook](Request& r) { return webhook(r, std::string(r.param("subdomain"))); });
  add_route(Access::Public, "POST", "/api/webhooks/stripe", [webhook](Request& r) { return webhook(r, std::nullopt); });
  add_route(Access::Admin, "POST", "/rest/stripe/reconcile", admin([this, render](Request&, const Actor& a) {
                return render(200, stripe_.events->reconcile(a));
              }));
  add_route(Access::Admin, "POST", "/rest/stripe/events/{id}/retry", admin([this, render](Request& r, const Actor& a) {
                return render(200, stripe_.events->retry(a, r.param("id")));
              }));

  // --- Stripe documents and payment links ---------------------------------------------------------
  // Links are built from SETTLE_PUBLIC_URL only: a Host header is the caller's to choose,
  // and a link sent to a customer must not point wherever the caller said.
  add_route(Access::Member, "POST", "/rest/invoices/{id}/payment-link", authed([this, render](Request& r, const Actor& a) {
                if (options_.public_url.empty())
                  return error_response(Error{ErrorCode::Unavailable,
                                              "payment links need the server's public address: set SETTLE_PUBLIC_URL",
                                              {}, "payment link refused: SETTLE_PUBLIC_URL is not set", nullptr});
                auto body = parse_body(r);
                if (!body) return error_response(body.error());
                bool renew = body->is_object() && (*body)["renew"].is_boolean() && (*body)["renew"].get<bool>();
                return render(200, stripe_.sync->payment_link(a, r.param("id"), options_.public_url, renew));
              }));
  add_route(Access::Member, "POST", "/rest/invoices/{id}/refresh", authed([this, render](Request& r, const Actor& a) {
                return render(200, stripe_.sync->refresh_invoice(a, r.param("id")));
              }));
  add_route(Access::Member, "GET", "/rest/quotes/{id}/stripe-pdf", authed([this](Request& r, const Actor& a) {
                auto pdf = stripe_.sync->quote_pdf(a, r.param("id"));
                if (!pdf) return error_response(pdf.error());
                Response resp = Response::text(200, *pdf, "application/pdf");
                resp.set_header("Content-Disposition", "inline; filename=\"stripe-quote.pdf\"");
                return resp;
              }));
  // Settle's own PDFs (src/docs); Stripe's stay available (stripe-pdf above, an
  // invoice's stripePdfUrl).
  for (const char* object : {"quotes", "invoices", "payments"}) {
    add_route(Access::Member, "GET", std::string("/rest/") + object + "/{id}/pdf",
              authed([this, object](Request& r, const Actor& a) {
                auto pdf = mail_->document_pdf(a, object, r.param("id"));
                if (!pdf) return error_response(pdf.error());
                Response resp = Response::text(200, std::move(pdf->bytes), "application/pdf");
                resp.set_header("Content-Disposition", "inline; filename=\"" + pdf->file_name + "\"");
                resp.set_header("Cache-Control", "private, no-cache");
                // A finalized document's PDF never changes: its hash is its version.
                if (!pdf->sha256.empty()) resp.set_header("ETag", "\"" + pdf->sha256 + "\"");
                return resp;
              }));
  }
  // --- the workspace as its documents show it ----------------------------------------------
  add_route(Access::Member, "GET", "/rest/settings/workspace",
            authed([this, render](Request&, const Actor& a) { return render(200, profile_.get(a)); }));
  add_route(Access::Admin, "PATCH", "/rest/settings/workspace", admin([this, render](Request& r, const Actor& a) {
              auto body = parse_body(r);
              if (!body) return error_response(body.error());
              return render(200, profile_.update(a, *body));
            }));
  add_route(Access::Member, "GET", "/rest/settings/workspace/logo", authed([this](Request&, const Actor& a) {
              auto png = profile_.logo(a);
              if (!png) return error_response(png.error());
              if (!*png) return error_response(Error::not_found("logo"));
              Response resp = Response::text(200, std::move(**png), "image/png");
              resp.set_header("Cache-Control", "private, no-cache");
              return resp;
            }));
  add_route(Access::Admin, "PUT", "/rest/settings/workspace/logo", admin([this, render](Request& r, const Actor& a) {
              auto body = parse_body(r);
              if (!body) return error_response(body.error());
              return render(200, profile_.put_logo(a, *body));
            }));
  add_route(Access::Admin, "DELETE", "/rest/settings/workspace/logo", admin([this](Request&, const Actor& a) {
              auto st = profile_.delete_logo(a);
              return st ? data(200, json{{"logo", nullptr}}) : error_response(st.error());
            }));
  // --- mail (src/mail): settings, templates, sending documents, the outbox ---------------------
  auto body_or_empty = [](auto fn) {
    return [fn](Request& r, const Actor& a) -> Response {
      auto body = parse_body(r);
      if (!body) return error_response(body.error());
      return fn(r, a, body->is_null() ? json::object() : *body);
    };
  };
  auto status_only = [](const Status& st, json answer) {
    return st ? data(200, std::move(answer)) : error_response(st.error());
  };
  add_route(Access::Admin, "GET", "/rest/settings/mail",
            admin([this, render](Request&, const Actor& a) { return render(200, mail_->get_settings(a)); }));
  add_route(Access::Admin, "PUT", "/rest/settings/mail", admin(body_or_empty([this, render](Request&, const Actor& a, const json& b) {
              return render(200, mail_->put_settings(a, b));
            })));
  add_route(Access::Admin, "DELETE", "/rest/settings/mail", admin([this, status_only](Request&, const Actor& a) {
              return status_only(mail_->delete_settings(a), json{{"deleted", true}});
            }));
  add_route(Access::Admin, "POST", "/rest/settings/mail/test",
            admin(body_or_empty([this, render](Request&, const Actor& a, const json& b) {
              return render(200, mail_->send_test(a, b));
            })));
  add_route(Access::Member, "GET", "/rest/mail-templates",
            authed([this, render](Request&, const Actor& a) { return render(200, mail_->list_templates(a)); }));
  add_route(Access::Admin, "PUT", "/rest/mail-templates/{kind}",
            admin(body_or_empty([this, render](Request& r, const Actor& a, const json& b) {
              return render(200, mail_->put_template(a, r.param("kind"), b));
            })));
  add_route(Access::Admin, "DELETE", "/rest/mail-templates/{kind}", admin([this, status_only](Request& r, const Actor& a) {
              return status_only(mail_->reset_template(a, r.param("kind")), json{{"kind", r.param("kind")}, {"customized", false}});
            }));
  add_route(Access::Member, "POST", "/rest/mail-templates/{kind}/preview",
            authed(body_or_empty([this, render](Request& r, const Actor& a, const json& b) {
              return render(200, mail_->preview(a, r.param("kind"), b));
            })));
  add_route(Access::Admin, "GET", "/rest/outbox", admin([this, render](Request& r, const Actor& a) {
              std::string status, limit;
              for (const auto& [k, v] : r.query_params()) {
                if (k == "status") status = v;
                if (k == "limit") limit = v;
              }
              return render(200, mail_->list_outbox(a, status, limit));
            }));
  add_route(Access::Admin, "POST", "/rest/outbox/{id}/retry",
            admin([this, render](Request& r, const Actor& a) { return render(200, mail_->retry(a, r.param("id"))); }));
  add_route(Access::Member, "GET", "/rest/settings/reminders",
            authed([this, render](Request&, const Actor& a) { return render(200, mail_->get_reminder_rules(a)); }));
  add_route(Access::Admin, "PUT", "/rest/settings/reminders",
            admin(body_or_empty([this, render](Request&, const Actor& a, const json& b) {
              return render(200, mail_->put_reminder_rules(a, b));
            })));
  for (const char* object : {"quotes", "invoices", "payments"})
    add_route(Access::Member, "POST", std::string("/rest/") + object + "/{id}/send",
              authed(body_or_empty([this, render, object](Request& r, const Actor& a, const json& b) {
                return render(201, mail_->send_document(a, object, r.param("id"), b));
              })));

  // The customer's side of a payment link: no credentials, the token is the capability.
  add_route(Access::Public, "GET", "/pay/{token}", [this](Request& r) {
    std::string token(r.param("token"));
    auto target = stripe_.sync->open_payment_link(token);
    if (!target) return error_response(target.error());
    using Kind = crm::PaymentLinkTarget::Kind;
    switch (target->kind) {
      case Kind::Redirect: {
        Response resp = Response::text(303, "", "text/plain; charset=utf-8");
        resp.set_header("Location", target->url);
        resp.set_header("Cache-Control", "no-store");
        resp.set_header("Referrer-Policy", "no-referrer");
        return resp;
      }
      case Kind::Settled:
        return pay_message(200, "Invoice " + target->invoice_number,
                           "This invoice is " + target->status + ". There is nothing left to pay.");
      case Kind::Expired:
        return pay_message(410, "This payment link has expired",
                           "The link to pay invoice " + target->invoice_number + " (" + target->amount_due +
                               " due) expired on " + target->expired_on + ". Ask us for a new one:",
                           "<form method=\"post\" action=\"/pay/" + html_escape(token) +
                               "/renew\"><button type=\"submit\" id=\"request-new-link\">Request a new payment "
                               "link</button></form>");
      case Kind::Unknown: break;
    }
    return pay_message(404, "Payment link not found", "This payment link does not exist. Check the address, or ask us for a new one.");
  });
  add_route(Access::Public, "POST", "/pay/{token}/renew", [this](Request& r) {
    // Each request creates a task for the team: bounded per link and per address.
    if (auto limited = within_limits({{&renew_by_token_, r.param("token")}, {&renew_by_address_, client_address(r)}});
        !limited) {
      auto wait = limited.error().details["retryAfterSeconds"].get<std::int64_t>();
      Response resp = pay_message(429, "Too many requests",
                                  "A new link was requested for this invoice just now. Please try again in " +
                                      std::to_string((wait + 59) / 60) + " minutes.");
      resp.set_header("Retry-After", std::to_string(wait));
      return resp;
    }
    auto st = stripe_.sync->request_new_payment_link(r.param("token"));
    if (!st) return st.error().code == ErrorCode::NotFound ? pay_message(404, "Payment link not found", "This payment link does not exist.")
                                                           : error_response(st.error());
    return pay_message(200, "Request sent", "Thank you. We will send you a new payment link shortly.");
  });

  // The home screen's figures (src/crm/dashboard.hpp); a literal path, so it wins over /rest/{object}.
  add_route(Access::Member, "GET", "/rest/dashboard", authed([this, render](Request&, const Actor& a) {
                return render(200, crm::dashboard(records_->db(), a));
              }));

  // --- workflows (src/workflow, docs/workflows.md) -------------------------------------------
  if (workflows_) {
    auto& wf = *workflows_;
    auto with_body = [](auto fn) {
      return [fn](Request& r, const Actor& a) -> Response {
        auto body = parse_body(r);
        return body ? fn(r, a, *body) : error_response(body.error());
      };
    };
    add_route(Access::Member, "GET", "/rest/workflows",
              authed([&wf, render](Request&, const Actor& a) { return render(200, wf.list(a)); }));
    add_route(Access::Admin, "POST", "/rest/workflows", admin(with_body([&wf, render](Request&, const Actor& a, const json& b) {
                return render(201, wf.create(a, b));
              })));
    add_route(Access::Member, "GET", "/rest/workflows/{id}",
              authed([&wf, render](Request& r, const Actor& a) { return render(200, wf.get(a, r.param("id"))); }));
    add_route(Access::Admin, "PATCH", "/rest/workflows/{id}",
              admin(with_body([&wf, render](Request& r, const Actor& a, const json& b) {
                return render(200, wf.update(a, r.param("id"), b));
              })));
    add_route(Access::Admin, "DELETE", "/rest/workflows/{id}",
              admin([&wf, render](Request& r, const Actor& a) { return render(200, wf.remove(a, r.param("id"))); }));
    add_route(Access::Admin, "POST", "/rest/workflows/{id}/copy",
              admin([&wf, render](Request& r, const Actor& a) { return render(201, wf.copy(a, r.param("id"))); }));
    add_route(Access::Admin, "PUT", "/rest/workflows/{id}/draft",
              admin(with_body([&wf, render](Request& r, const Actor& a, const json& b) {
                return render(200, wf.save_draft(a, r.param("id"), b));
              })));
    // Members may run a MANUAL workflow; the engine asks for ADMIN for any other trigger.
    add_route(Access::Member, "POST", "/rest/workflows/{id}/run",
              authed(with_body([&wf, render](Request& r, const Actor& a, const json& b) {
                return render(201, wf.run_manually(a, r.param("id"), b));
              })));
    add_route(Access::Admin, "POST", "/rest/workflows/{id}/webhook-secret",
              admin([&wf, render](Request& r, const Actor& a) {
                return render(201, wf.rotate_webhook_secret(a, r.param("id")));
              }));
    add_route(Access::Member, "GET", "/rest/workflow-versions", authed([&wf, render](Request& r, const Actor& a) {
                std::string workflow_id;
                for (const auto& [k, v] : r.query_params())
                  if (k == "workflowId") workflow_id = v;
                if (workflow_id.empty()) return error_response(Error::bad_request("workflowId is required", "workflowId"));
                return render(200, wf.list_versions(a, workflow_id));
              }));
    add_route(Access::Member, "GET", "/rest/workflow-versions/{id}",
              authed([&wf, render](Request& r, const Actor& a) { return render(200, wf.get_version(a, r.param("id"))); }));
    add_route(Access::Admin, "POST", "/rest/workflow-versions/{id}/activate",
              admin([&wf, render](Request& r, const Actor& a) { return render(200, wf.activate(a, r.param("id"))); }));
    add_route(Access::Admin, "POST", "/rest/workflow-versions/{id}/deactivate",
              admin([&wf, render](Request& r, const Actor& a) { return render(200, wf.deactivate(a, r.param("id"))); }));
    add_route(Access::Admin, "POST", "/rest/workflow-versions/{id}/archive",
              admin([&wf, render](Request& r, const Actor& a) { return render(200, wf.archive(a, r.param("id"))); }));
    add_route(Access::Member, "GET", "/rest/workflow-runs",
              authed([&wf, render](Request& r, const Actor& a) { return render(200, wf.list_runs(a, r.query_params())); }));
    add_route(Access::Member, "GET", "/rest/workflow-runs/{id}",
              authed([&wf, render](Request& r, const Actor& a) { return render(200, wf.get_run(a, r.param("id"))); }));
    add_route(Access::Admin, "POST", "/rest/workflow-runs/{id}/retry",
              admin([&wf, render](Request& r, const Actor& a) { return render(200, wf.retry_run(a, r.param("id"))); }));
    add_route(Access::Admin, "PUT", "/rest/settings/time-zone",
              admin(with_body([&wf, render](Request&, const Actor& a, const json& b) {
                return render(200, wf.set_time_zone(a, b));
              })));
    // Inbound webhooks: the workspace's API key, or the workflow's Settle-Signature. Failed
    // authentications count against the caller's address, as token checks do.
    add_route(Access::Public, "POST", "/webhooks/workflows/{id}", [this, &wf, render](Request& r) {
      std::optional<Actor> actor;
      if (std::string key = bearer(r); !key.empty()) {
        auto a = accounts_->authenticate_api_key(key);
        if (!a) return error_response(a.error());
        actor = *a;
      }
      auto result = wf.receive_webhook(r.param("id"), actor, r.header("settle-signature"), r.body);
      if (!result && (result.error().code == ErrorCode::Unauthenticated || result.error().field == "Settle-Signature"))
        if (auto st = within_limits({{&token_check_by_address_, client_address(r)}}); !st)
          return error_response(st.error());
      return render(202, result);
    });
  }

  // --- CRM records ------------------------------------------------------------------------------
  add_route(Access::Member, "GET", "/rest/{object}", authed(with_object([this](Request& r, const Actor& a, const crm::ObjectDef& o) {
                auto q = store::parse_list_query(o.spec, r.query_params());
                if (!q) return error_response(q.error());
                auto page = records_->list(a, o, *q);
                return page ? Response::json(200, dump(page_json(*page))) : error_response(page.error());
              })));
  add_route(Access::Member, "POST", "/rest/{object}",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                auto body = parse_body(r);
                return body ? render(201, records_->create(a, o, *body)) : error_response(body.error());
              })));
  add_route(Access::Member, "GET", "/rest/{object}/{id}",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                return render(200, records_->get(a, o, r.param("id")));
              })));
  add_route(Access::Member, "PATCH", "/rest/{object}/{id}",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                auto body = parse_body(r);
                return body ? render(200, records_->update(a, o, r.param("id"), *body)) : error_response(body.error());
              })));
  add_route(Access::Member, "DELETE", "/rest/{object}/{id}",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                return render(200, records_->remove(a, o, r.param("id")));
              })));
  add_route(Access::Member, "POST", "/rest/{object}/{id}/restore",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                return render(200, records_->restore(a, o, r.param("id")));
              })));
  add_route(Access::Member, "GET", "/rest/{object}/{id}/timeline",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                return render(200, records_->timeline(a, o, r.param("id")));
              })));
  add_route(Access::Member, "POST", "/rest/{object}/{id}/{action}",
              authed(with_object([this, render](Request& r, const Actor& a, const crm::ObjectDef& o) {
                auto body = parse_body(r);
                if (!body) return error_response(body.error());
                std::string action(r.param("action"));
                std::replace(action.begin(), action.end(), '-', '_');  // URLs use kebab-case
                // Through the workspace's action workflows (WF-001, WF-005) when there are any.
                auto result = workflows_ ? workflows_->act(a, o, r.param("id"), action, *body)
                                         : stripe_.sync->act(a, o, r.param("id"), action, *body);
                // Converting an order answers the new invoice: 201 when it was just created.
                return render(200, result);
              })));

  // --- the web UI -------------------------------------------------------------------------------
  if (!options_.web_root.empty()) {
    add_route(Access::Public, "GET", "/*", [this](Request& r) {
      namespace fs = std::filesystem;
      std::string rel(r.param("*"));
      if (rel.find("..") != std::string::npos) return error_response(Error::not_found("file"));
      fs::path p = fs::path(options_.web_root) / (rel.empty() ? "index.html" : rel);
      bool asset = rel.rfind("assets/", 0) == 0;
      // Client-side routes (/quotes/123) are served the app shell.
      if (!fs::is_regular_file(p)) {
        if (asset) return error_response(Error::not_found("file"));
        p = fs::path(options_.web_root) / "index.html";
      }
      std::ifstream in(p, std::ios::binary);
      if (!in) return error_response(Error::not_found("file"));
      std::ostringstream ss;
      ss << in.rdbuf();
      Response resp = Response::text(200, ss.str(), content_type_for(p));
      // Vite fingerprints files under assets/, so they never change; the shell must be fresh.
      resp.set_header("Cache-Control", asset ? "public, max-age=31536000, immutable" : "no-cache");
      return resp;
    });
  }
}

}  // namespace settle::http
