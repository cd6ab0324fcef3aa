// Test harness for the end-to-end suites: a real Settle server on a loopback port over a
// real database — a fresh SQLite file, or a fresh database on the throwaway PostgreSQL that
// `make test` starts (SETTLE_TEST_PG) — and a small JSON HTTP client.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "crm/accounts.hpp"
#include "crm/jobs.hpp"
#include "crm/records.hpp"
#include "http/api.hpp"
#include "http/csrf.hpp"
#include "mail/mail.hpp"
#include "net/client.hpp"
#include "net/server.hpp"
#include "sandbox/sandbox.hpp"
#include "store/database.hpp"

namespace settle::testing {

using nlohmann::json;

inline std::vector<std::string> backends() {
  std::vector<std::string> out{"sqlite"};
  const char* pg = std::getenv("SETTLE_TEST_PG");
  if (pg && *pg) out.push_back("postgres");
  return out;
}

// Runs one statement outside any transaction on the server's maintenance connection.
inline void pg_admin(const std::string& sql) {
  PGconn* c = PQconnectdb(std::getenv("SETTLE_TEST_PG"));
  if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c));
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error(err);
}

// A database of a test's own: a temporary SQLite file, or a new database on the PostgreSQL
// server of SETTLE_TEST_PG, named `prefix` and a random suffix; removed (dropped) with
// this object, once whatever opened it has closed it or not.
class ScratchDatabase {
 public:
  ScratchDatabase(const std::string& backend, const std::string& prefix) {
    std::string suffix = random_id("").substr(0, 12);
    if (backend == "sqlite") {
      path_ = std::filesystem::temp_directory_path() / ("settle-" + prefix + "-" + suffix + ".db");
      url_ = "sqlite:" + path_.string();
    } else {
      name_ = "test_" + prefix + "_" + suffix;
      pg_admin("CREATE DATABASE " + name_);
      std::string server = std::getenv("SETTLE_TEST_PG");
      url_ = server.substr(0, server.rfind('/') + 1) + name_;
    }
  }
  ~ScratchDatabase() {
    if (!path_.empty())
      for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + ext);
    if (!name_.empty()) {
      try {
        pg_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (...) {
      }
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& url() const { return url_; }

 private:
  std::filesystem::path path_;
  std::string name_, url_;
};

struct Reply {
  int status = 0;
  json body;
  std::string raw;
  net::Headers headers;
  std::string header(std::string_view name) const {
    for (auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

class TestServer {
 public:
  // stripe_api_base: where the workspace's Stripe calls go (an in-process sandbox).
  // api_options: the HTTP layer's settings; by default a https public URL and the
  // production rate limits.
  explicit TestServer(const std::string& backend, const std::string& stripe_api_base = "http://127.0.0.1:9",
                      std::optional<http::ApiOptions> api_options_override = std::nullopt,
                      std::optional<mail::MailServer> smtp = std::nullopt)
      : backend_(backend) {
    crypto_init();
    net::global_init();
    master_key = generate_master_key();
    std::string suffix = random_id("").substr(0, 12);
    scratch_ = std::make_unique<ScratchDatabase>(backend, "e2e");
    auto opened = store::Database::open(scratch_->url(), 12);
    if (!opened) throw std::runtime_error(opened.error().log);
    db = *opened;
    auto st = db->migrate();
    if (!st) throw std::runtime_error(st.error().log);
    records = std::make_shared<crm::Records>(db);
    accounts = std::make_shared<crm::Accounts>(
        db, crm::AccountsOptions{PasswordHashCost::MinimalForTests, "https://crm.example.com",
                                 *SecretBox::from_base64url_key(master_key)});
    auto box = SecretBox::from_base64url_key(master_key);
    if (!box) throw std::runtime_error("master key");
    crm::StripeSettingsOptions stripe_options;
    stripe_options.api_base = stripe_api_base;
    stripe_options.public_url = "https://crm.example.com";
    stripe_options.request_timeout_ms = 3000;  // the sandbox's timeout fault then costs seconds, not minutes
    stripe_settings = std::make_shared<crm::StripeSettings>(db, *box, stripe_options);
    inbox = std::make_shared<crm::WebhookInbox>(db, stripe_settings);
    sync = std::make_shared<crm::StripeSync>(records, stripe_settings);
    events = std::make_shared<crm::StripeEvents>(db, stripe_settings);
    crm::JobOptions job_options;
    job_options.inbox_poll = std::chrono::milliseconds(200);
    job_options.first_reconcile_after = std::chrono::hours(24);  // tests reconcile on demand
    job_options.reconcile_every = std::chrono::hours(24);
    job_options.expire_every = std::chrono::hours(24);
    jobs = std::make_unique<crm::BackgroundJobs>(records, stripe_settings, events, job_options);
    inbox->set_on_stored([this] { jobs->wake(); });
    workflow::EngineOptions workflow_options;
    workflow_options.secrets = *box;
    workflow_options.instance = "test-" + suffix;
    workflows = std::make_shared<workflow::Engine>(records, sync, workflow_options);
    records->set_observer(workflows);
    events->set_on_settled([this](store::Tx& tx, const std::string& ws, const std::string& id) {
      return workflows->on_stripe_event(tx, ws, id);
    });
    workflows->set_on_queued([this] { jobs->wake(); });
    jobs->add_turn([this] { workflows->turn(); });
    accounts->set_on_workspace_created([engine = std::weak_ptr<workflow::Engine>(workflows)](const std::string& ws) {
      if (auto e = engine.lock())
        if (auto st = e->install_builtins(ws); !st) ADD_FAILURE() << "install_builtins: " << st.error().log;
    });
    mail::MailOptions mail_options;
    mail_options.instance = workflow_options.instance;
    mail_options.public_url = stripe_options.public_url;
    mail_options.server = smtp;
    mail_options.poll = std::chrono::milliseconds(200);
    mail_options.first_retry = std::chrono::seconds(1);
    mail_options.reminder_every = std::chrono::seconds(0);  // tests sweep with their own clock
    mail = std::make_shared<mail::Mail>(db, records, *box, mail_options);
    http::ApiOptions api_options;
    api_options.public_url = stripe_options.public_url;
    if (api_options_override) api_options = *api_options_override;
    api = std::make_unique<http::Api>(records, accounts, http::StripeServices{stripe_settings, inbox, sync, events},
                                      api_options, workflows, mail);
    net::ServerOptions opts;
    opts.port = 0;
    opts.worker_threads = 8;
    server = std::make_unique<net::Server>(opts, [this](net::Request& r) { return api->handle(r); });
    server->start();
    jobs->start();
    mail->start();
    base_ = "http://127.0.0.1:" + std::to_string(server->port());
  }

  ~TestServer() {
    server->stop();
    jobs->stop();
    mail->stop();
    records->set_observer(nullptr);  // the engine holds the records: break the cycle
    server.reset();
    jobs.reset();
    api.reset();
    mail.reset();
    workflows.reset();
    inbox.reset();
    stripe_settings.reset();
    records.reset();
    accounts.reset();
    db.reset();
    scratch_.reset();
  }

  // The newest outbox mail of `kind` to `to`, opened (a sealed body and model too).
  crm::OutboxMessage mailed(const std::string& kind, const std::string& to) {
    auto id = db->read<std::string>([&](store::Tx& tx) -> Result<std::string> {
      auto r = tx.query("SELECT id FROM outbox WHERE kind = :kind AND recipient = :to ORDER BY created_at DESC, id DESC",
                        {{"kind", kind}, {"to", to}});
      if (r.empty()) return fail(Error::not_found("outbox mail " + kind + " to " + to));
      return store::RowView(r, 0).text("id");
    });
    if (!id) throw std::runtime_error(id.error().message);
    auto mail = accounts->open_outbox_message(*id);
    if (!mail) throw std::runtime_error(mail.error().log);
    return *mail;
  }

  // A cookie-authenticated call sends the session's CSRF token as the web UI does, unless
  // `csrf` is false (the CSRF tests).
  Reply call(const std::string& method, const std::string& path, const json& body = nullptr,
             const std::string& key = {}, const std::string& cookie = {}, const std::string& raw_body = {},
             bool csrf = true, const net::Headers& extra_headers = {}) {
    net::ClientRequest req;
    req.method = method;
    req.url = base_ + path;
    req.timeout_ms = 30000;
    if (!key.empty()) req.headers.emplace_back("Authorization", "Bearer " + key);
    if (!cookie.empty()) req.headers.emplace_back("Cookie", "settle_session=" + cookie);
    if (!cookie.empty() && csrf) req.headers.emplace_back("X-CSRF-Token", http::csrf_token_for(cookie));
    req.headers.insert(req.headers.end(), extra_headers.begin(), extra_headers.end());
    if (!body.is_null() || !raw_body.empty()) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = raw_body.empty() ? body.dump() : raw_body;
    }
    auto r = net::perform(req);
    if (!r) throw std::runtime_error(r.error().log);
    Reply out{r->status, nullptr, r->body, r->headers};
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }

  const std::string& base() const { return base_; }
  std::string master_key;  // the SecretBox key of this server's secrets at rest
  const std::string& url() const { return scratch_->url(); }

  std::shared_ptr<store::Database> db;
  std::shared_ptr<crm::Records> records;
  std::shared_ptr<crm::Accounts> accounts;
  std::shared_ptr<crm::StripeSettings> stripe_settings;
  std::shared_ptr<crm::WebhookInbox> inbox;
  std::shared_ptr<crm::StripeSync> sync;
  std::shared_ptr<crm::StripeEvents> events;
  std::shared_ptr<workflow::Engine> workflows;
  std::unique_ptr<crm::BackgroundJobs> jobs;
  std::unique_ptr<http::Api> api;
  std::shared_ptr<mail::Mail> mail;
  std::unique_ptr<net::Server> server;

 private:
  std::string backend_, base_;
  std::unique_ptr<ScratchDatabase> scratch_;
};

// A suite on both backends whose servers send their Stripe calls to one in-process sandbox.
class SandboxedSuite : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    sandbox_ = std::make_unique<sandbox::Sandbox>(sandbox::Options{"127.0.0.1", 0, ""});
    sandbox_->start();
  }
  static void TearDownTestSuite() {
    sandbox_->stop();
    sandbox_.reset();
  }
  static std::string sandbox_url() { return "http://127.0.0.1:" + std::to_string(sandbox_->port()); }

 private:
  static inline std::unique_ptr<sandbox::Sandbox> sandbox_;
};

// The id of the workspace's built-in workflow `builtin_key` ("WF-006"), read with `api_key`.
inline std::string builtin_workflow_id(TestServer& srv, const std::string& api_key, const std::string& builtin_key) {
  auto list = srv.call("GET", "/rest/workflows", nullptr, api_key);
  for (const auto& w : list.body["data"])
    if (w["builtinKey"] == builtin_key) return w["id"];
  ADD_FAILURE() << "no built-in " << builtin_key << ": " << list.raw;
  return "";
}

// Pulls the session cookie's value out of a Set-Cookie header.
inline std::string session_from(const Reply& r) {
  std::string c = r.header("set-cookie");
  auto eq = c.find('=');
  auto semi = c.find(';');
  return eq == std::string::npos ? std::string() : c.substr(eq + 1, semi - eq - 1);
}

}  // namespace settle::testing
