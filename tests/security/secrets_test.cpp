// Secrets, on both backends over real HTTP: one flow handles every kind of secret Settle
// sees (passwords, the session cookie and its CSRF token, API keys, the Stripe secret key
// and webhook signing secrets, domain validation, invitation and email verification codes,
// database passwords), correctly and in error paths; then no captured log line holds any
// of them, and no answer does except the one that hands a secret out: the sign-in's
// Set-Cookie, the new API key's `key` to its ADMIN.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "security_support.hpp"
#include "stripe/api_key.hpp"

namespace settle::testing::security {
namespace {

// Every message logged anywhere in the process (server threads, jobs, the sandbox), as
// written, kept until the test reads it.
class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

// Makes a capturing logger, at the most verbose level, the default logger for its
// lifetime, then puts the previous one back.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<CapturingSink>()) {
    auto logger = std::make_shared<spdlog::logger>("security-capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() { return sink_->lines(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<CapturingSink> sink_;
};

// An answer, and the secrets it is the one to hand out (in its body, in its Set-Cookie).
struct Answer {
  std::string what;
  Reply reply;
  std::set<std::string> body_may, cookies_may;
};

// The secrets of the flow; a prefixed one is also looked for without its prefix, so that a
// log line that cut the prefix off still counts.
class Secrets {
 public:
  const std::string& add(const std::string& value) {
    values_.push_back(value);
    for (const char* prefix : {"sk_test_", "sk_live_", "sk_settle_", "whsec_"})
      if (value.rfind(prefix, 0) == 0) values_.push_back(value.substr(std::string(prefix).size()));
    return value;
  }
  const std::vector<std::string>& all() const { return values_; }

 private:
  std::vector<std::string> values_;
};

// `secrets` but those an answer hands out (and the parts of those, such as a key without its
// prefix).
std::vector<std::string> except(const std::vector<std::string>& secrets, const std::set<std::string>& handed_out) {
  std::vector<std::string> out;
  for (const auto& s : secrets)
    if (std::none_of(handed_out.begin(), handed_out.end(), [&](const std::string& h) { return h.find(s) != std::string::npos; }))
      out.push_back(s);
  return out;
}

// The one-time code at the end of the newest outbox mail of `kind` to `recipient`, opened
// as the mailer opens it.
std::string code_from_outbox(TestServer& srv, const std::string& kind, const std::string& recipient, const std::string& before) {
  auto id = srv.db->read<std::string>([&](store::Tx& tx) -> Result<std::string> {
    auto r = tx.query("SELECT id FROM outbox WHERE kind = :k AND recipient = :r ORDER BY created_at DESC",
                      {{"k", kind}, {"r", recipient}});
    if (r.empty()) return fail(Error::not_found("outbox mail"));
    return store::RowView(r, 0).text("id");
  });
  if (!id) throw std::runtime_error("no " + kind + " mail to " + recipient);
  auto mail = srv.accounts->open_outbox_message(*id);
  if (!mail) throw std::runtime_error(mail.error().log);
  auto at = mail->body.rfind(before);
  if (at == std::string::npos) throw std::runtime_error("no code in " + mail->body);
  return mail->body.substr(at + before.size());
}

// `url` (postgres://user@host/db) with `password` in its userinfo and in its query string.
std::string with_passwords(const std::string& url, const std::string& password, const std::string& query_password) {
  auto at = url.find('@');
  if (at == std::string::npos) throw std::runtime_error("no userinfo in " + url);
  return url.substr(0, at) + ":" + password + url.substr(at) + (url.find('?') == std::string::npos ? "?" : "&") +
         "password=" + query_password;
}

class SecuritySecretsTest : public SandboxedSuite {};

TEST_P(SecuritySecretsTest, NoSecretReachesALogLineOrAnAnswer) {
  LogCapture log;  // before the server starts: migrations log the database URL
  auto srv = std::make_unique<TestServer>(GetParam(), sandbox_url());
  Secrets secrets;
  std::vector<Answer> answers;
  auto keep = [&](const std::string& what, Reply r, int status, std::set<std::string> body_may = {},
                  std::set<std::string> cookies_may = {}) {
    EXPECT_EQ(r.status, status) << what << ": " << r.raw;
    answers.push_back({what, r, std::move(body_may), std::move(cookies_may)});
    return r;
  };
  const std::string email = "admin@acme-lasers.com";

  // A workspace made by the operator (Accounts::create_workspace): a password, an API key.
  const std::string password = secrets.add("correct horse " + random_token(12));
  auto made = srv->accounts->create_workspace("Acme", "acme", email, password);
  ASSERT_TRUE(made) << made.error().log;
  const std::string admin_key = secrets.add(made->api_key);

  // Sign-in: the session and its CSRF token are handed out by this answer only.
  auto login = srv->call("POST", "/auth/login", {{"email", email}, {"password", password}, {"workspace", "acme"}});
  const std::string session = secrets.add(session_from(login));
  const std::string csrf = secrets.add(login.body["data"].value("csrfToken", std::string()));
  ASSERT_FALSE(session.empty()) << login.raw;
  keep("sign-in", login, 200, {csrf}, {session, csrf});
  const std::string wrong_password = secrets.add("wrong horse " + random_token(12));
  keep("sign-in with a wrong password", srv->call("POST", "/auth/login", {{"email", email}, {"password", wrong_password}}), 401);

  // An API key made over the API (by the session): answered once, then its last 4 only.
  auto created = keep("new API key", srv->call("POST", "/rest/api-keys", {{"name", "zapier"}, {"role", "ADMIN"}}, {}, session), 201);
  const std::string api_key = created.body["data"].value("key", std::string());
  ASSERT_FALSE(api_key.empty()) << created.raw;
  secrets.add(api_key);
  answers.back().body_may = {api_key};
  auto keys = keep("API keys", srv->call("GET", "/rest/api-keys", nullptr, api_key), 200);
  bool shown = false;
  for (const auto& k : keys.body["data"])
    if (k["name"] == "zapier") shown = k["last4"] == api_key.substr(api_key.size() - 4);
  EXPECT_TRUE(shown) << keys.raw;

  // Stripe: the secret key and a signing secret saved, an endpoint registered with the sandbox
  // (whose own signing secret Settle keeps), and signed deliveries.
  const std::string sk = secrets.add("sk_test_" + random_id(""));
  const std::string signing = secrets.add("whsec_" + random_token(24));
  auto put = keep("Stripe settings saved",
                  srv->call("PUT", "/rest/settings/stripe",
                            {{"secretKey", sk}, {"publishableKey", "pk_test_" + random_id("")}, {"webhookSecrets", {signing}}},
                            {}, session),
                  200);
  EXPECT_EQ(put.body["data"]["secretKey"], stripe::mask_key(sk)) << put.raw;
  keep("Stripe webhook endpoint", srv->call("POST", "/rest/stripe/webhook-endpoint", json::object(), admin_key), 201);
  auto stored = srv->stripe_settings->webhook_secrets(made->workspace_id);
  ASSERT_TRUE(stored && stored->size() == 2) << (stored ? json(*stored).dump() : stored.error().log);
  for (const auto& s : *stored) secrets.add(s);
  auto settings = keep("Stripe settings", srv->call("GET", "/rest/settings/stripe", nullptr, admin_key), 200);
  EXPECT_EQ(settings.body["data"]["secretKey"], stripe::mask_key(sk)) << settings.raw;
  EXPECT_EQ(settings.body["data"]["webhookSecrets"].size(), 2u) << settings.raw;
  const std::string event = "evt_" + random_id("").substr(0, 16);
  keep("signed delivery", deliver_webhook(*srv, "acme", ignored_event(event), signing), 200);
  const std::string forged_signing = secrets.add("whsec_" + random_token(24));
  keep("delivery signed with another secret", deliver_webhook(*srv, "acme", ignored_event(event + "x"), forged_signing), 400);
  keep("Stripe events", srv->call("GET", "/rest/stripe/events", nullptr, admin_key), 200);

  // An approved domain: its validation code is only mailed, never answered.
  keep("new approved domain",
       srv->call("POST", "/rest/approved-domains",
                 {{"domain", "acme-lasers.com"}, {"validationEmail", "postmaster@acme-lasers.com"}}, admin_key),
       201);
  const std::string validation =
      secrets.add(srv->mailed("domain_validation", "postmaster@acme-lasers.com").data.value("code", std::string()));
  ASSERT_FALSE(validation.empty());
  keep("approved domains", srv->call("GET", "/rest/approved-domains", nullptr, admin_key), 200);
  const std::string guessed = secrets.add(random_token(24));
  keep("a wrong validation code", srv->call("POST", "/auth/validate-domain", {{"token", guessed}}), 422);
  keep("domain validated", srv->call("POST", "/auth/validate-domain", {{"token", validation}}), 200);

  // Members: one with a password the ADMIN chose, one invited by a one-time link.
  const std::string member_password = secrets.add("member horse " + random_token(12));
  keep("member with a password",
       srv->call("POST", "/rest/workspace-members", {{"email", "ada@acme-lasers.com"}, {"password", member_password}}, admin_key),
       201);
  keep("member invited", srv->call("POST", "/rest/workspace-members", {{"email", "lin@acme-lasers.com"}}, {}, session), 201);
  const std::string invitation = secrets.add(code_from_outbox(*srv, "member_invitation", "lin@acme-lasers.com", "token="));
  const std::string invited_password = secrets.add("invited horse " + random_token(12));
  auto accepted = srv->call("POST", "/auth/accept-invitation", {{"token", invitation}, {"password", invited_password}});
  const std::string invited_session = secrets.add(session_from(accepted));
  const std::string invited_csrf = secrets.add(accepted.body["data"].value("csrfToken", std::string()));
  keep("invitation accepted", accepted, 200, {invited_csrf}, {invited_session, invited_csrf});
  keep("members", srv->call("GET", "/rest/workspace-members", nullptr, {}, invited_session), 200);

  // Sign-up and its email verification code.
  const std::string signup_password = secrets.add("signup horse " + random_token(12));
  keep("sign-up", srv->call("POST", "/auth/signup", {{"email", "chen@lvnlaser.com"}, {"password", signup_password}}), 201);
  const std::string verification = secrets.add(code_from_outbox(*srv, "email_verification", "chen@lvnlaser.com", " "));
  keep("email verified", srv->call("POST", "/auth/verify-email", {{"token", verification}}), 200);

  // A password change, refused and then made.
  const std::string new_password = secrets.add("new horse " + random_token(12));
  const std::string wrong_current = secrets.add("not it " + random_token(12));
  keep("password change with a wrong current password",
       srv->call("POST", "/auth/change-password", {{"currentPassword", wrong_current}, {"newPassword", new_password}}, {}, session),
       422);
  keep("password changed",
       srv->call("POST", "/auth/change-password", {{"currentPassword", password}, {"newPassword", new_password}}, {}, session),
       200);

  // Bad requests that carry a secret: none may repeat it.
  const std::string malformed_password = secrets.add("malformed horse " + random_token(12));
  const std::string malformed_sk = secrets.add("sk_test_" + random_id(""));
  const std::string malformed_signing = secrets.add("whsec_" + random_token(24));
  const std::string live_sk = secrets.add("sk_live_" + random_id(""));
  const std::string bad_key = secrets.add("sk_settle_" + random_token(32));
  const std::string forged_session = secrets.add(random_token(32));
  struct Bad {
    std::string what, method, path, key, cookie, raw;
    json body;
    int status;
  };
  const std::vector<Bad> bad = {
      {"sign-in, malformed JSON", "POST", "/auth/login", "", "",
       R"({"email":")" + email + R"(","password":")" + malformed_password, nullptr, 400},
      {"sign-in, malformed JSON after the password", "POST", "/auth/login", "", "",
       R"({"email":")" + email + R"(","password":")" + malformed_password + R"(",})", nullptr, 400},
      {"Stripe key, malformed JSON", "PUT", "/rest/settings/stripe", admin_key, "", R"({"secretKey":")" + malformed_sk,
       nullptr, 400},
      {"signing secret, malformed JSON", "PUT", "/rest/settings/stripe", admin_key, "",
       R"({"webhookSecrets":[")" + malformed_signing + R"("])", nullptr, 400},
      {"live key in test mode", "PUT", "/rest/settings/stripe", admin_key, "", "", {{"secretKey", live_sk}}, 422},
      {"Stripe key in the wrong field", "PUT", "/rest/settings/stripe", admin_key, "", "", {{"publishableKey", malformed_sk}},
       422},
      {"a key that does not exist", "GET", "/rest/companies", bad_key, "", "", nullptr, 401},
      {"a session that does not exist", "GET", "/rest/companies", "", forged_session, "", nullptr, 401},
      {"a session that does not exist, writing", "POST", "/rest/companies", "", forged_session, "", {{"name", "x"}}, 401},
      {"a password in an unknown field", "POST", "/rest/companies", admin_key, "", "",
       {{"name", "Lumen"}, {"password", malformed_password}}, 422},
  };
  for (const auto& b : bad) keep(b.what, srv->call(b.method, b.path, b.body, b.key, b.cookie, b.raw), b.status);

  // Database URLs with passwords, as the server logs them: opened, and failing to open.
  const std::string db_password = secrets.add("dbpw-" + random_token(12));
  const std::string db_query_password = secrets.add("dbpw2-" + random_token(12));
  auto unreachable = store::Database::open(
      with_passwords("postgres://settle@127.0.0.1:1/settle", db_password, db_query_password), 1);
  ASSERT_FALSE(unreachable);
  spdlog::error("{}", unreachable.error().log);
  EXPECT_EQ(first_leaked(unreachable.error().message, secrets.all()), "") << unreachable.error().message;
  EXPECT_EQ(first_leaked(store::redact_url(with_passwords("postgres://u@h/db", db_password, db_query_password)), secrets.all()), "");
  if (const char* pg = std::getenv("SETTLE_TEST_PG"); pg && *pg) {
    // The throwaway server trusts loopback connections, so the passwords are not checked.
    auto opened = store::Database::open(with_passwords(pg, db_password, db_query_password), 1);
    ASSERT_TRUE(opened) << opened.error().log;
    spdlog::info("database {}", (*opened)->url_for_log());
  }

  srv.reset();  // the server's and the jobs' threads have logged all they will
  const auto lines = log.lines();
  bool captured = false;
  for (const auto& line : lines) captured = captured || line.find("outbox: queued") != std::string::npos;
  EXPECT_TRUE(captured) << "the log capture saw none of the server's lines (" << lines.size() << " lines)";
  for (const auto& line : lines) {
    std::string leaked = first_leaked(line, secrets.all());
    EXPECT_EQ(leaked, "") << "a secret in a log line: " << line;
  }
  for (const auto& a : answers) {
    EXPECT_EQ(first_leaked(a.reply.raw, except(secrets.all(), a.body_may)), "") << a.what << " answers a secret: " << a.reply.raw;
    for (const auto& [name, value] : a.reply.headers) {
      bool cookie = upper(name) == "SET-COOKIE";
      EXPECT_EQ(first_leaked(value, except(secrets.all(), cookie ? a.cookies_may : std::set<std::string>())), "")
          << a.what << " answers a secret in " << name << ": " << value;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SecuritySecretsTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing::security
