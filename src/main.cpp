// settle: one binary for the server, its administration and the local Stripe sandbox.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "crm/accounts.hpp"
#include "crm/demo.hpp"
#include "workflow/workflow.hpp"
#include "crm/records.hpp"
#include "crm/jobs.hpp"
#include "crm/stripe_events.hpp"
#include "crm/stripe_settings.hpp"
#include "crm/stripe_sync.hpp"
#include "crm/webhook_inbox.hpp"
#include "http/api.hpp"
#include "mail/mail.hpp"
#include "net/client.hpp"
#include "net/server.hpp"
#include "sandbox/sandbox.hpp"
#include "store/database.hpp"
#include "store/test_database.hpp"

namespace {

using nlohmann::json;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

// Opens and migrates the database, or prints why not and exits.
std::shared_ptr<settle::store::Database> open_db(const std::string& url, size_t pool) {
  auto db = settle::store::Database::open(url, pool);
  if (!db) {
    std::cerr << "settle: " << db.error().message << ": " << db.error().log << "\n";
    std::exit(2);
  }
  if (auto st = (*db)->migrate(); !st) {
    std::cerr << "settle: migration failed: " << (st.error().log.empty() ? st.error().message : st.error().log) << "\n";
    std::exit(2);
  }
  return *db;
}

int print_result(const settle::Result<json>& r) {
  if (!r) {
    std::cerr << "settle: " << r.error().message
              << (r.error().field.empty() ? "" : " (" + r.error().field + ")") << "\n";
    return 1;
  }
  std::cout << r->dump(2) << "\n";
  return 0;
}

settle::crm::Role role_or_exit(const std::string& text) {
  auto role = settle::crm::parse_role(text);
  if (!role) {
    std::cerr << "settle: --role must be ADMIN or MEMBER\n";
    std::exit(2);
  }
  return *role;
}

settle::PasswordHashCost password_cost(const std::string& db_url) {
  // Test suites create many users; they may opt into the cheap argon2id setting, but only on
  // a test run's throwaway database: hashes that cheap are crackable.
  if (env_or("SETTLE_INSECURE_FAST_PASSWORD_HASH", "") != "1") return settle::PasswordHashCost::Interactive;
  if (!settle::store::is_test_database(db_url)) {
    std::cerr << "settle: SETTLE_INSECURE_FAST_PASSWORD_HASH=1 is for test databases only (a SQLite file under the "
                 "temporary directory, or a local PostgreSQL database named test*); unset it\n";
    std::exit(2);
  }
  return settle::PasswordHashCost::MinimalForTests;
}

// The server's master key (SETTLE_MASTER_KEY, else the key file, created on first use).
settle::SecretBox master_key_or_exit() {
  auto master_key = settle::crm::load_master_key(env_or("SETTLE_MASTER_KEY", ""),
                                                 env_or("SETTLE_MASTER_KEY_FILE", "data/master.key"));
  if (!master_key) {
    std::cerr << "settle: " << (master_key.error().log.empty() ? master_key.error().message : master_key.error().log)
              << "\n";
    std::exit(2);
  }
  return *master_key;
}

}  // namespace

int main(int argc, char** argv) {
  settle::crypto_init();
  settle::net::global_init();
  // Logs go to stderr so that commands printing JSON keep stdout clean.
  spdlog::set_default_logger(spdlog::stderr_color_mt("settle"));
  settle::install_log_format();
  if (env_or("SETTLE_LOG_LEVEL", "") == "debug") spdlog::set_level(spdlog::level::debug);

  CLI::App app{"Settle: self-hosted quote-to-cash CRM kept in step with Stripe"};
  app.require_subcommand(1);
  std::string db_url = env_or("SETTLE_DB", "sqlite:data/settle.db");

  // --- serve -----------------------------------------------------------------------------
  auto* serve = app.add_subcommand("serve", "Serve the API and web UI");
  std::string address = env_or("SETTLE_ADDRESS", "127.0.0.1");
  unsigned short port = static_cast<unsigned short>(std::stoi(env_or("SETTLE_PORT", "8080")));
  std::string web_root = env_or("SETTLE_WEB_ROOT", "");
  size_t workers = 8;
  serve->add_option("--db", db_url, "sqlite:PATH or postgres://... (env SETTLE_DB)");
  serve->add_option("--port", port, "TCP port (env SETTLE_PORT)");
  serve->add_option("--address", address, "listen address (env SETTLE_ADDRESS)");
  serve->add_option("--web-root", web_root, "directory of the built web UI (env SETTLE_WEB_ROOT)");
  serve->add_option("--workers", workers, "worker threads for blocking work");
  serve->callback([&] {
    auto db = open_db(db_url, workers + 2);
    if (auto st = db->refresh_statistics(); !st) spdlog::warn("planner statistics: {}", st.error().log);
    auto records = std::make_shared<settle::crm::Records>(db);
    auto master_key = master_key_or_exit();
    settle::crm::StripeSettingsOptions stripe_opts;
    stripe_opts.api_base = env_or("SETTLE_STRIPE_API_BASE", "https://api.stripe.com");
    stripe_opts.public_url = env_or("SETTLE_PUBLIC_URL", "");
    if (stripe_opts.public_url.empty()) {
      // Links that customers receive must not follow a request's Host header, so without
      // the setting they point at the listening address, which only this machine reaches.
      stripe_opts.public_url = "http://" + address + ":" + std::to_string(port);
      spdlog::warn("SETTLE_PUBLIC_URL is not set: payment and mail links will point at {}, which customers cannot "
                   "reach; set it to the address users open (https://crm.example.com)",
                   stripe_opts.public_url);
    }
    while (!stripe_opts.public_url.empty() && stripe_opts.public_url.back() == '/') stripe_opts.public_url.pop_back();
    // Mail links too come from the public URL only; the master key seals mail carrying a code.
    auto accounts = std::make_shared<settle::crm::Accounts>(
        db, settle::crm::AccountsOptions{password_cost(db_url), stripe_opts.public_url, master_key});
    auto stripe_settings = std::make_shared<settle::crm::StripeSettings>(db, master_key, stripe_opts);
    auto inbox = std::make_shared<settle::crm::WebhookInbox>(db, stripe_settings);
    auto sync = std::make_shared<settle::crm::StripeSync>(records, stripe_settings);
    // Stable across restarts of this server: the host and the port it serves.
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    std::string instance = env_or("SETTLE_INSTANCE", std::string(host) + ":" + std::to_string(port));
    auto events = std::make_shared<settle::crm::StripeEvents>(db, stripe_settings, instance);
    settle::crm::JobOptions job_options;
    job_options.reconcile_every = std::chrono::seconds(std::stoll(env_or("SETTLE_RECONCILE_SECONDS", "3600")));
    job_options.first_reconcile_after =
        std::min(job_options.first_reconcile_after, job_options.reconcile_every);
    // Quotes expire through the WF-003 workflow now, not a fixed job.
    job_options.expire_every = std::chrono::seconds(0);
    settle::crm::BackgroundJobs jobs(records, stripe_settings, events, job_options);
    inbox->set_on_stored([&jobs] { jobs.wake(); });
    settle::workflow::EngineOptions workflow_options;
    workflow_options.instance = instance;
    workflow_options.secrets = master_key;
    workflow_options.retention =
        std::chrono::hours(24 * std::stoll(env_or("SETTLE_WORKFLOW_RUN_RETENTION_DAYS", "30")));
    auto workflows = std::make_shared<settle::workflow::Engine>(records, sync, workflow_options);
    records->set_observer(workflows);
    events->set_on_settled([&workflows](settle::store::Tx& tx, const std::string& ws, const std::string& id) {
      return workflows->on_stripe_event(tx, ws, id);
    });
    workflows->set_on_queued([&jobs] { jobs.wake(); });
    jobs.add_turn([&workflows] { workflows->turn(); });
    accounts->set_on_workspace_created([engine = std::weak_ptr<settle::workflow::Engine>(workflows)](const std::string& ws) {
      if (auto e = engine.lock())
        if (auto st = e->install_builtins(ws); !st) spdlog::error("workflows: {}", st.error().log);
    });
    // Mail: the workspace's own server (Settings), else the server-wide one from SETTLE_SMTP_*.
    auto smtp_server = settle::mail::mail_server_from_environment();
    if (!smtp_server) {
      std::cerr << "settle: " << smtp_server.error().field << ": " << smtp_server.error().message << "\n";
      std::exit(2);
    }
    settle::mail::MailOptions mail_options;
    mail_options.instance = instance;
    mail_options.public_url = stripe_opts.public_url;
    mail_options.server = *smtp_server;
    auto mail = std::make_shared<settle::mail::Mail>(db, records, master_key, mail_options);
    settle::http::ApiOptions api_options;
    api_options.web_root = web_root;
    api_options.public_url = stripe_opts.public_url;
    api_options.trust_proxy = env_or("SETTLE_TRUST_PROXY", "") == "1";
    settle::http::Api api(records, accounts, {stripe_settings, inbox, sync, events}, api_options, workflows, mail);
    settle::net::ServerOptions opts;
    opts.address = address;
    opts.port = port;
    opts.worker_threads = workers;
    settle::net::Server server(opts, [&api](settle::net::Request& r) { return api.handle(r); });
    try {
      server.start();
    } catch (const std::exception& e) {
      std::cerr << "settle: " << e.what() << "\n";
      std::exit(2);
    }
    if (auto st = events->release_stale_leases(); !st) spdlog::error("{}", st.error().log);
    if (auto st = workflows->release_stale_leases(); !st) spdlog::error("{}", st.error().log);
    if (auto st = workflows->install_builtins_everywhere(); !st) spdlog::error("{}", st.error().log);
    if (auto st = mail->release_stale_leases(); !st) spdlog::error("{}", st.error().log);
    jobs.start();
    mail->start();
    spdlog::info("settle serving on http://{}:{} ({})", address, server.port(), db->url_for_log());
    settle::net::wait_for_termination_signal();
    spdlog::info("shutting down");
    server.stop();
    jobs.stop();
    mail->stop();
  });

  // --- migrate ---------------------------------------------------------------------------
  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  migrate->add_option("--db", db_url, "database URL (env SETTLE_DB)");
  migrate->callback([&] {
    auto db = open_db(db_url, 1);
    std::cout << json{{"schemaVersion", *db->schema_version()}}.dump() << "\n";
  });

  int exit_code = 0;
  // --- workspace create --------------------------------------------------------------------
  auto* workspace = app.add_subcommand("workspace", "Manage workspaces");
  workspace->require_subcommand(1);
  auto* ws_create = workspace->add_subcommand("create", "Create a workspace with its first ADMIN and an API key");
  std::string name, subdomain, email, password, role = "MEMBER", key_name;
  ws_create->add_option("--db", db_url, "database URL (env SETTLE_DB)");
  ws_create->add_option("--name", name, "workspace name")->required();
  ws_create->add_option("--subdomain", subdomain, "workspace subdomain")->required();
  ws_create->add_option("--admin-email", email, "email of the first ADMIN")->required();
  auto* pw_opt = ws_create->add_option("--admin-password", password, "password of the first ADMIN");
  ws_create->callback([&] {
    auto db = open_db(db_url, 1);
    settle::crm::Accounts accounts(db, settle::crm::AccountsOptions::without_mail(password_cost(db_url)));
    auto r = accounts.create_workspace(name, subdomain, email,
                                       pw_opt->count() ? std::optional<std::string>(password) : std::nullopt);
    exit_code = print_result(r ? settle::Result<json>(json{{"workspaceId", r->workspace_id},
                                                          {"userId", r->user_id},
                                                          {"apiKey", r->api_key}})
                               : settle::Result<json>(settle::fail(r.error())));
  });

  // --- user add ------------------------------------------------------------------------------
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user to a workspace (or reset their password, ending their sessions)");
  user_add->add_option("--db", db_url, "database URL (env SETTLE_DB)");
  user_add->add_option("--workspace", subdomain, "workspace subdomain")->required();
  user_add->add_option("--email", email, "email")->required();
  auto* user_pw = user_add->add_option("--password", password, "password");
  user_add->add_option("--role", role, "ADMIN or MEMBER");
  user_add->callback([&] {
    auto db = open_db(db_url, 1);
    settle::crm::Accounts accounts(db, settle::crm::AccountsOptions::without_mail(password_cost(db_url)));
    exit_code = print_result(accounts.add_user(
        subdomain, email, user_pw->count() ? std::optional<std::string>(password) : std::nullopt, role_or_exit(role)));
  });

  // --- apikey create ---------------------------------------------------------------------------
  auto* apikey = app.add_subcommand("apikey", "Manage API keys");
  apikey->require_subcommand(1);
  auto* key_create = apikey->add_subcommand("create", "Create an API key (printed once)");
  std::string key_role = "ADMIN";
  key_create->add_option("--db", db_url, "database URL (env SETTLE_DB)");
  key_create->add_option("--workspace", subdomain, "workspace subdomain")->required();
  key_create->add_option("--name", key_name, "a name for the key")->required();
  key_create->add_option("--role", key_role, "ADMIN or MEMBER");
  key_create->callback([&] {
    auto db = open_db(db_url, 1);
    settle::crm::Accounts accounts(db, settle::crm::AccountsOptions::without_mail(password_cost(db_url)));
    auto ws = accounts.workspace_id_for(subdomain);
    if (!ws) {
      exit_code = print_result(settle::fail(ws.error()));
      return;
    }
    settle::crm::Actor cli{*ws, "", "command line", settle::crm::Role::Admin};
    exit_code = print_result(accounts.create_api_key(cli, json{{"name", key_name}, {"role", key_role}}));
  });

  // --- member set-role -------------------------------------------------------------------------
  auto* member = app.add_subcommand("member", "Manage workspace members");
  member->require_subcommand(1);
  auto* set_role = member->add_subcommand("set-role", "Set a member's role (the way back in for a locked-out ADMIN)");
  set_role->add_option("--db", db_url, "database URL (env SETTLE_DB)");
  set_role->add_option("--workspace", subdomain, "workspace subdomain");
  set_role->add_option("--email", email, "member email")->required();
  set_role->add_option("--role", role, "ADMIN or MEMBER")->required();
  set_role->callback([&] {
    auto db = open_db(db_url, 1);
    settle::crm::Accounts accounts(db, settle::crm::AccountsOptions::without_mail(password_cost(db_url)));
    if (subdomain.empty()) {
      auto only = db->read<std::string>([](settle::store::Tx& tx) -> settle::Result<std::string> {
        auto rows = tx.query("SELECT subdomain FROM workspaces ORDER BY subdomain LIMIT 2");
        if (rows.size() != 1)
          return settle::fail(settle::Error::validation("workspace", "several workspaces exist: name one with --workspace"));
        return settle::store::RowView(rows, 0).text("subdomain");
      });
      if (!only) {
        exit_code = print_result(settle::fail(only.error()));
        return;
      }
      subdomain = *only;
    }
    exit_code = print_result(accounts.set_role_by_email(subdomain, email, role_or_exit(role)));
  });

  // --- demo --------------------------------------------------------------------------------------
  auto* demo = app.add_subcommand("demo", "Seed the demo workspace (idempotent) and print how to sign in");
  demo->add_option("--db", db_url, "database URL (env SETTLE_DB)");
  demo->callback([&] {
    auto db = open_db(db_url, 2);
    settle::crm::Records records(db);
    // The demo queues a domain validation mail, sealed under the server's master key.
    settle::crm::Accounts accounts(
        db, settle::crm::AccountsOptions{password_cost(db_url), env_or("SETTLE_PUBLIC_URL", ""), master_key_or_exit()});
    exit_code = print_result(settle::crm::seed_demo(accounts, records));
  });

  // --- stripe-sandbox ------------------------------------------------------------------------------
  auto* sandbox = app.add_subcommand("stripe-sandbox", "Run the local Stripe-compatible sandbox");
  settle::sandbox::Options sandbox_opts;
  sandbox->add_option("--port", sandbox_opts.port, "TCP port (default 12111)");
  sandbox->add_option("--address", sandbox_opts.address, "listen address");
  sandbox->add_option("--state", sandbox_opts.state_path, "file to keep state in across restarts");
  sandbox->callback([&] { exit_code = settle::sandbox::run(sandbox_opts); });

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
