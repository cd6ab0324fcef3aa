// The HTTP layer's defences, over real HTTP on both backends: CSRF tokens on
// cookie-authenticated mutations, the cookies' attributes, links built from the configured
// public URL only, and the rate limits of the public endpoints that create work.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace settle::testing {
namespace {

std::vector<std::string> set_cookies(const Reply& r) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers)
    if (k == "set-cookie" || k == "Set-Cookie") out.push_back(v);
  return out;
}

std::string cookie_named(const Reply& r, const std::string& name) {
  for (const auto& c : set_cookies(r))
    if (c.rfind(name + "=", 0) == 0) return c;
  return {};
}

class HttpDefencesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void start(std::optional<http::ApiOptions> options = std::nullopt) {
    srv = std::make_unique<TestServer>(GetParam(), "http://127.0.0.1:9", options);
    auto ws = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::string(kPassword));
    ASSERT_TRUE(ws) << ws.error().log;
    key = ws->api_key;
  }
  void SetUp() override { start(); }
  // The server again with these HTTP settings (over a fresh database).
  void restart(const http::ApiOptions& options) {
    srv.reset();
    start(options);
  }
  static http::ApiOptions over_https() {
    http::ApiOptions options;
    options.public_url = "https://crm.example.com";
    return options;
  }

  Reply login(const net::Headers& headers = {}) {
    return srv->call("POST", "/auth/login", {{"email", "admin@acme-lasers.com"}, {"password", kPassword}}, {}, {}, {},
                     true, headers);
  }
  std::string session() {
    auto r = login();
    EXPECT_EQ(r.status, 200) << r.raw;
    return session_from(r);
  }
  std::int64_t companies() { return srv->call("GET", "/rest/companies", nullptr, key).body["totalCount"]; }

  static constexpr const char* kPassword = "correct horse 1";
  std::unique_ptr<TestServer> srv;
  std::string key;
};

TEST_P(HttpDefencesTest, CookieMutationsNeedTheSessionsCsrfToken) {
  std::string s = session();
  std::string other = session();  // a second session of the same user has its own token
  auto company = srv->call("POST", "/rest/companies", {{"name", "Lumen Clinic"}}, key);
  ASSERT_EQ(company.status, 201) << company.raw;
  auto quote = srv->call("POST", "/rest/quotes", {{"currency", "USD"}, {"companyId", company.body["data"]["id"]}}, key);
  ASSERT_EQ(quote.status, 201) << quote.raw;
  std::string quote_id = quote.body["data"]["id"];

  struct Case {
    std::string method, path;
    json body;
  } cases[] = {
      {"POST", "/rest/companies", {{"name", "Forged"}}},
      {"PATCH", "/rest/quotes/" + quote_id, {{"notes", "forged"}}},
      {"DELETE", "/rest/quotes/" + quote_id, nullptr},
      {"POST", "/rest/quotes/" + quote_id + "/cancel", nullptr},  // an empty body gets no exception
      {"POST", "/rest/api-keys", {{"name", "forged"}, {"role", "ADMIN"}}},
      {"POST", "/auth/switch-workspace", {{"workspaceId", "ws_x"}}},
      {"POST", "/auth/logout", nullptr},
  };
  auto check_refused = [&](const Case& c, const net::Headers& headers) {
    auto r = srv->call(c.method, c.path, c.body, {}, s, {}, false, headers);
    EXPECT_EQ(r.status, 403) << c.method << " " << c.path << ": " << r.raw;
    EXPECT_EQ(r.body["error"]["field"], "X-CSRF-Token") << r.raw;
  };
  for (const auto& c : cases) {
    check_refused(c, {});
    check_refused(c, {{"X-CSRF-Token", "0000"}});
    check_refused(c, {{"X-CSRF-Token", http::csrf_token_for(other)}});
  }
  // Nothing happened: no new company, the quote untouched, no key, and both sessions alive.
  EXPECT_EQ(companies(), 1);
  auto q = srv->call("GET", "/rest/quotes/" + quote_id, nullptr, key);
  EXPECT_EQ(q.body["data"]["status"], "Draft");
  EXPECT_TRUE(q.body["data"]["notes"].is_null());
  EXPECT_EQ(srv->call("GET", "/rest/api-keys", nullptr, key).body["data"].size(), 1u);
  EXPECT_EQ(srv->call("GET", "/rest/workspace-members/me", nullptr, {}, s, {}, false).status, 200);

  // With the token, the same requests go through; reads never need it.
  EXPECT_EQ(srv->call("POST", "/rest/companies", {{"name", "Real"}}, {}, s).status, 201);
  EXPECT_EQ(srv->call("GET", "/rest/companies", nullptr, {}, s, {}, false).status, 200);
  EXPECT_EQ(srv->call("POST", "/rest/quotes/" + quote_id + "/cancel", nullptr, {}, s).status, 200);
  EXPECT_EQ(srv->call("POST", "/auth/logout", nullptr, {}, s).status, 200);
  EXPECT_EQ(srv->call("GET", "/rest/companies", nullptr, {}, s, {}, false).status, 401);
}

TEST_P(HttpDefencesTest, ApiKeyRequestsNeedNoCsrfToken) {
  EXPECT_EQ(srv->call("POST", "/rest/companies", {{"name", "By key"}}, key).status, 201);
  EXPECT_EQ(srv->call("POST", "/rest/companies", {{"name", "By key, with a stray cookie"}}, key, "not-a-session", {},
                      false).status,
            201);
  EXPECT_EQ(companies(), 2);
}

TEST_P(HttpDefencesTest, BodiesJsonCannotHoldAre400sAndChangeNothing) {
  for (const char* body : {R"({"name":1e400})", R"({"name":-1e999})", R"({"name":"x",)", "\xff\xfe"}) {
    auto r = srv->call("POST", "/rest/companies", nullptr, key, {}, body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.raw;
    EXPECT_EQ(r.body["error"]["code"], "BAD_REQUEST") << r.raw;
  }
  EXPECT_EQ(companies(), 0);
}

TEST_P(HttpDefencesTest, SignInSetsAnHttpOnlySessionAndAReadableCsrfCookie) {
  auto r = login();
  ASSERT_EQ(r.status, 200) << r.raw;
  std::string session_cookie = cookie_named(r, "settle_session");
  std::string csrf_cookie = cookie_named(r, "settle_csrf");
  std::string token = session_from(r);
  EXPECT_NE(session_cookie.find("HttpOnly"), std::string::npos) << session_cookie;
  EXPECT_NE(session_cookie.find("SameSite=Strict"), std::string::npos) << session_cookie;
  EXPECT_EQ(csrf_cookie.find("HttpOnly"), std::string::npos) << csrf_cookie;
  EXPECT_EQ(csrf_cookie.rfind("settle_csrf=" + http::csrf_token_for(token) + ";", 0), 0u) << csrf_cookie;
  EXPECT_EQ(r.body["data"]["csrfToken"], http::csrf_token_for(token));
  EXPECT_NE(r.body["data"]["csrfToken"], token);
  // The public URL is https (TestServer's default): both cookies are Secure.
  EXPECT_NE(session_cookie.find("; Secure"), std::string::npos) << session_cookie;
  EXPECT_NE(csrf_cookie.find("; Secure"), std::string::npos) << csrf_cookie;
}

TEST_P(HttpDefencesTest, CookiesAreSecureOnlyOverTls) {
  http::ApiOptions plain;
  plain.public_url = "http://127.0.0.1:8080";
  restart(plain);
  auto r = login();
  EXPECT_EQ(cookie_named(r, "settle_session").find("Secure"), std::string::npos);
  // A forwarded protocol counts only from a trusted proxy.
  auto forwarded = login({{"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(cookie_named(forwarded, "settle_session").find("Secure"), std::string::npos);

  plain.trust_proxy = true;
  restart(plain);
  auto proxied = login({{"X-Forwarded-Proto", "https"}});
  EXPECT_NE(cookie_named(proxied, "settle_session").find("; Secure"), std::string::npos);
}

TEST_P(HttpDefencesTest, PaymentLinksNeedTheConfiguredPublicUrl) {
  http::ApiOptions none;
  restart(none);
  auto r = srv->call("POST", "/rest/invoices/inv_x/payment-link", json::object(), key, {}, {}, true,
                     {{"Host", "evil.example"}});
  EXPECT_EQ(r.status, 503) << r.raw;
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("SETTLE_PUBLIC_URL"), std::string::npos);
}

TEST_P(HttpDefencesTest, SignInIsRateLimitedPerAddressAndPerEmail) {
  auto strict = over_https();
  strict.limits.sign_in_per_email = {3, std::chrono::seconds(60)};
  strict.limits.sign_in_per_address = {5, std::chrono::seconds(60)};
  restart(strict);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(login().status, 200) << i;
  auto limited = login();
  EXPECT_EQ(limited.status, 429) << limited.raw;
  int retry = std::stoi(limited.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 20);
  EXPECT_EQ(limited.body["error"]["details"]["retryAfterSeconds"], retry);
  // Other emails from the same address: two more fit the address's budget of five.
  auto other = [&](const std::string& email) {
    return srv->call("POST", "/auth/login", {{"email", email}, {"password", "wrong password"}});
  };
  EXPECT_EQ(other("a@example.com").status, 401);
  auto by_address = other("b@example.com");
  EXPECT_EQ(by_address.status, 429) << by_address.raw;
  // X-Forwarded-For is the client's to write: it does not give a fresh budget.
  auto spoofed = srv->call("POST", "/auth/login", {{"email", "c@example.com"}, {"password", "x"}}, {}, {}, {}, true,
                           {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(spoofed.status, 429);
}

TEST_P(HttpDefencesTest, SignUpAndTokenChecksAreRateLimitedPerAddress) {
  auto strict = over_https();
  strict.limits.sign_up_per_address = {2, std::chrono::seconds(3600)};
  strict.limits.token_check_per_address = {2, std::chrono::seconds(600)};
  restart(strict);
  auto signup = [&](int i) {
    return srv->call("POST", "/auth/signup",
                     {{"email", "user" + std::to_string(i) + "@lvnlaser.com"}, {"password", "a long password"}});
  };
  EXPECT_EQ(signup(1).status, 201);
  EXPECT_EQ(signup(2).status, 201);
  auto third = signup(3);
  EXPECT_EQ(third.status, 429) << third.raw;
  EXPECT_FALSE(third.header("retry-after").empty());
  // The refused sign-up created nothing: the address can sign in with neither.
  EXPECT_EQ(srv->call("POST", "/auth/login", {{"email", "user3@lvnlaser.com"}, {"password", "a long password"}}).status,
            401);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(srv->call("POST", "/auth/verify-email", {{"token", "guess" + std::to_string(i)}}).status, 422);
  EXPECT_EQ(srv->call("POST", "/auth/validate-domain", {{"token", "guess"}}).status, 429);
}

TEST_P(HttpDefencesTest, RenewingAPaymentLinkIsRateLimitedPerTokenAndPerAddress) {
  auto strict = over_https();
  strict.limits.renew_per_token = {2, std::chrono::seconds(3600)};
  strict.limits.renew_per_address = {3, std::chrono::seconds(3600)};
  restart(strict);
  auto renew = [&](const std::string& token) {
    net::ClientRequest req;
    req.method = "POST";
    req.url = srv->base() + "/pay/" + token + "/renew";
    auto r = net::perform(req);
    EXPECT_TRUE(r);
    return *r;
  };
  EXPECT_EQ(renew("tok_a").status, 404);  // unknown links still count: guessing costs budget
  EXPECT_EQ(renew("tok_a").status, 404);
  auto per_token = renew("tok_a");
  EXPECT_EQ(per_token.status, 429);
  EXPECT_NE(per_token.body.find("try again"), std::string::npos);
  EXPECT_EQ(renew("tok_b").status, 404);
  auto per_address = renew("tok_c");
  EXPECT_EQ(per_address.status, 429);
  bool has_retry_after = false;
  for (const auto& [k, v] : per_address.headers) has_retry_after |= (k == "retry-after" || k == "Retry-After") && !v.empty();
  EXPECT_TRUE(has_retry_after);
}

TEST_P(HttpDefencesTest, OpenApiSaysWhoMayCallEachOperation) {
  auto doc = srv->call("GET", "/rest/openapi.json").body;
  std::map<std::string, std::string> expected = {{"post /auth/login", "public"},
                                                 {"post /api/webhooks/stripe/{subdomain}", "public"},
                                                 {"get /pay/{token}", "public"},
                                                 {"get /rest/companies", "member"},
                                                 {"post /rest/invoices/{id}/finalize", "member"},
                                                 {"post /rest/api-keys", "admin"},
                                                 {"put /rest/settings/stripe", "admin"},
                                                 {"delete /rest/workspace-members/{userId}", "admin"}};
  for (const auto& [op, access] : expected) {
    auto space = op.find(' ');
    auto& o = doc["paths"][op.substr(space + 1)][op.substr(0, space)];
    EXPECT_EQ(o["x-settle-access"], access) << op;
  }
  for (auto& [path, methods] : doc["paths"].items())
    for (auto& [method, o] : methods.items()) EXPECT_TRUE(o.contains("x-settle-access")) << method << " " << path;
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpDefencesTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
