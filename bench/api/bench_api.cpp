// bench_api: the in-process half of the API benchmark (scripts/bench.sh drives the rest).
//   bench_api seed --db URL [--invoices 100000] [--companies 200]
//     [--workspaces 1]
//     Migrates an empty database, creates the workspaces (each with an ADMIN API key) and
//     fills them with companies and invoices (two line items and a "created" timeline event
//     each, dealt round-robin) through the bulk loader (bulk_load.hpp: a reused prepared
//     INSERT on SQLite, COPY on PostgreSQL), then gathers planner statistics.
//     Prints {"workspaceId", "apiKey", "companyId", ...} of the first workspace.
//   bench_api list --db URL --workspace ID --filter F --order-by O [--limit 50] [--seconds 10] [--threads 8]
//   bench_api create --db URL --workspace ID --body JSON [--seconds 10] [--threads 8]
//     Call Records::list / Records::create on invoices (the code behind GET and POST
//     /rest/invoices) in a loop from several threads, without HTTP: the storage-and-domain
//     baselines for the HTTP figures. Print {"ops", "seconds", "opsPerSec", "p50Ms", "p99Ms"}
//     (list adds "totalCount", the number of invoices the filter matches).
// The seeded data is deterministic (fixed PRNG seed) apart from ids and the dates, which
// are relative to today, so every run filters and sorts the same shape of data.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "billing/document.hpp"
#include "common/crypto.hpp"
#include "crm/accounts.hpp"
#include "crm/objects.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"
#include "bulk_load.hpp"

namespace {

using nlohmann::json;
using settle::store::SqlValue;
using settle::store::Tx;
using Clock = std::chrono::steady_clock;

constexpr int kLinesPerInvoice = 2;
constexpr std::int64_t kMillisPerDay = 86'400'000;
constexpr int kHistoryDays = 730;  // invoices are spread over the last two years
constexpr int kPaymentTermsDays = 30;

[[noreturn]] void die(const std::string& what, const settle::Error& e) {
  std::cerr << "bench_api: " << what << ": " << e.message << (e.log.empty() ? "" : " (" + e.log + ")") << "\n";
  std::exit(1);
}

std::shared_ptr<settle::store::Database> open_migrated(const std::string& url, size_t pool) {
  auto db = settle::store::Database::open(url, pool);
  if (!db) die("cannot open " + url, db.error());
  if (auto st = (*db)->migrate(); !st) die("migration failed", st.error());
  return *db;
}

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string date_of(std::int64_t unix_millis) { return settle::store::format_timestamp(unix_millis).substr(0, 10); }

// One seeded invoice, before it becomes rows.
struct InvoiceShape {
  std::string status, currency;
  std::int64_t quantity[kLinesPerInvoice], unit_amount[kLinesPerInvoice];
  std::int64_t created_ms;
  size_t company;
};

// Status mix 20% Draft / 30% Open / 50% Paid; currency 70% USD / 30% EUR; line amounts
// 1-20 x 5.00-500.00, so subtotals spread from 10.00 to 20,000.00 (the EUR invoices carry
// 20% VAT on top).
InvoiceShape shape_invoice(std::mt19937_64& rng, int index, int count, std::int64_t start_ms, size_t companies) {
  InvoiceShape s;
  int status_pick = static_cast<int>(rng() % 10);
  s.status = status_pick < 2 ? "Draft" : status_pick < 5 ? "Open" : "Paid";
  s.currency = rng() % 10 < 7 ? "USD" : "EUR";
  for (int l = 0; l < kLinesPerInvoice; ++l) {
    s.quantity[l] = 1 + static_cast<std::int64_t>(rng() % 20);
    s.unit_amount[l] = 500 + static_cast<std::int64_t>(rng() % 49'501);
  }
  // Creation times increase with the index, as they would in a live database.
  std::int64_t span = kHistoryDays * kMillisPerDay;
  s.created_ms = start_ms + span * index / count + static_cast<std::int64_t>(rng() % 60'000);
  s.company = static_cast<size_t>(rng() % companies);
  return s;
}

int seed(const std::string& url, int invoice_count, int company_count, int workspace_count) {
  auto started = Clock::now();
  std::vector<settle::crm::NewWorkspace> workspaces;
  {
    // The workspaces through Accounts, as the API makes them; its connections close before
    // the bulk loader takes the database for itself.
    auto db = open_migrated(url, 2);
    settle::crm::Accounts accounts(db,
                                   settle::crm::AccountsOptions::without_mail(settle::PasswordHashCost::MinimalForTests));
    for (int w = 0; w < workspace_count; ++w) {
      std::string n = w == 0 ? "" : std::to_string(w + 1);
      auto ws = accounts.create_workspace("Bench Industries" + (n.empty() ? "" : " " + n), "bench" + n,
                                          "bench" + n + "@bench.example", std::nullopt);
      if (!ws) die("cannot create the workspace", ws.error());
      workspaces.push_back(std::move(*ws));
    }
  }
  std::mt19937_64 rng(20260101);
  const std::int64_t now_ms = now_millis();
  const std::int64_t start_ms = now_ms - kHistoryDays * kMillisPerDay;
  const std::string invoice_kind(settle::billing::to_string(settle::billing::DocumentKind::Invoice));
  const std::string invoice_prefix(settle::billing::default_prefix(settle::billing::DocumentKind::Invoice));

  // Finalized invoices are numbered per workspace and year, as Records numbers them; the
  // counters are stored at the end so that the API continues the sequences.
  std::vector<std::map<int, std::int64_t>> last_number_of_year(workspaces.size());
  std::vector<std::vector<std::string>> company_ids(workspaces.size());
  try {
    auto load = settle::bench::open_bulk_loader(url);
    load->begin_table("companies", {"workspace_id", "id", "created_at", "updated_at", "name", "domain_name"});
    const std::string at = settle::store::format_timestamp(start_ms);
    for (int i = 0; i < company_count; ++i) {
      size_t w = static_cast<size_t>(i) % workspaces.size();
      company_ids[w].push_back(settle::random_id("com"));
      load->add({workspaces[w].workspace_id, company_ids[w].back(), at, at, "Customer " + std::to_string(i + 1),
                 "customer" + std::to_string(i + 1) + ".example"});
    }
    // Three passes over the same generator state give the invoices, their lines and their
    // events table by table (COPY takes one table at a time).
    struct Seeded {
      size_t workspace;
      std::string id, created;
      InvoiceShape shape;
    };
    std::vector<Seeded> seeded;
    seeded.reserve(static_cast<size_t>(invoice_count));
    load->begin_table("invoices", {"workspace_id", "id", "created_at", "updated_at", "invoice_number", "status",
                                   "company_id", "issue_date", "due_date", "currency", "subtotal", "tax_amount",
                                   "total", "amount_paid", "amount_refunded", "amount_due"});
    for (int i = 0; i < invoice_count; ++i) {
      size_t w = static_cast<size_t>(i) % workspaces.size();
      InvoiceShape s = shape_invoice(rng, i, invoice_count, start_ms, company_ids[w].size());
      Seeded row{w, settle::random_id("inv"), settle::store::format_timestamp(s.created_ms), s};
      std::int64_t subtotal = 0;
      for (int l = 0; l < kLinesPerInvoice; ++l) subtotal += s.quantity[l] * s.unit_amount[l];
      std::int64_t tax = s.currency == "EUR" ? subtotal / 5 : 0;  // 20% VAT on the EUR ones
      std::int64_t total = subtotal + tax;
      settle::bench::Cell number = nullptr, issue = nullptr, due = nullptr;
      if (s.status != "Draft") {
        int year = std::stoi(row.created.substr(0, 4));
        number = settle::billing::format_document_number(invoice_prefix, year, ++last_number_of_year[w][year]);
        issue = date_of(s.created_ms);
        due = date_of(s.created_ms + kPaymentTermsDays * kMillisPerDay);
      }
      std::int64_t paid = s.status == "Paid" ? total : 0;
      load->add({workspaces[w].workspace_id, row.id, row.created, row.created, number, s.status,
                 company_ids[w][s.company], issue, due, s.currency, subtotal, tax, total, paid, std::int64_t{0},
                 total - paid});
      seeded.push_back(std::move(row));
    }
    load->begin_table("line_items", {"workspace_id", "document_id", "position", "description", "quantity",
                                     "unit_amount", "amount"});
    for (const Seeded& row : seeded)
      for (int l = 0; l < kLinesPerInvoice; ++l)
        load->add({workspaces[row.workspace].workspace_id, row.id, std::int64_t{l},
                   "Service line " + std::to_string(l + 1), row.shape.quantity[l], row.shape.unit_amount[l],
                   row.shape.quantity[l] * row.shape.unit_amount[l]});
    load->begin_table("timeline_events",
                      {"workspace_id", "id", "record_object", "record_id", "kind", "actor_label", "created_at"});
    for (const Seeded& row : seeded)
      load->add({workspaces[row.workspace].workspace_id, settle::random_id("evt"), std::string("invoices"), row.id,
                 std::string("created"), std::string("bench seed"), row.created});
    load->begin_table("document_counters", {"workspace_id", "kind", "year", "last_value"});
    for (size_t w = 0; w < workspaces.size(); ++w)
      for (const auto& [year, value] : last_number_of_year[w])
        load->add({workspaces[w].workspace_id, invoice_kind, std::int64_t{year}, value});
    load->finish();
    // Planner statistics, as a database that has been running has them: PostgreSQL's
    // autovacuum gathers them, and settle serve runs ANALYZE on SQLite at start-up
    // (store::Database::refresh_statistics; the in-process list runs without a restart).
    load->analyze();
  } catch (const std::exception& e) {
    std::cerr << "bench_api: seeding failed: " << e.what() << "\n";
    return 1;
  }

  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << json{{"workspaceId", workspaces.front().workspace_id},
                    {"apiKey", workspaces.front().api_key},
                    {"companyId", company_ids.front().front()},
                    {"invoices", invoice_count},
                    {"companies", company_count},
                    {"workspaces", workspace_count},
                    {"seconds", seconds}}
                   .dump()
            << "\n";
  return 0;
}

double percentile_ms(const std::vector<double>& sorted_ms, double p) {
  if (sorted_ms.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted_ms.size() - 1) + 0.5);
  return sorted_ms[std::min(i, sorted_ms.size() - 1)];
}

// Calls `operation` from `threads` threads until `seconds` have passed and prints
// {"ops", "seconds", "opsPerSec", "p50Ms", "p99Ms"} plus `extra`. Answers the exit code:
// 1 if any call failed (the figures of a failing run mean nothing).
int run_timed(int threads, double seconds, const std::function<settle::Status()>& operation, json extra) {
  std::atomic<bool> failed{false};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  auto started = Clock::now();
  auto deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto& mine = latencies[static_cast<size_t>(t)];
      while (!failed && Clock::now() < deadline) {
        auto begin = Clock::now();
        if (auto st = operation(); !st) {
          if (!failed.exchange(true)) std::cerr << "bench_api: a call failed: " << st.error().message << "\n";
          return;
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
      }
    });
  for (auto& t : pool) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  if (failed) return 1;
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  extra["ops"] = all.size();
  extra["seconds"] = elapsed;
  extra["opsPerSec"] = static_cast<double>(all.size()) / elapsed;
  extra["p50Ms"] = percentile_ms(all, 0.50);
  extra["p99Ms"] = percentile_ms(all, 0.99);
  std::cout << extra.dump() << "\n";
  return 0;
}

// The list query GET /rest/invoices would parse from these parameters (an empty filter is
// none), or exits.
settle::store::ListQuery invoice_list_query(const settle::crm::ObjectDef& invoices, const std::string& filter,
                                            const std::string& order_by, int limit) {
  std::vector<std::pair<std::string, std::string>> params{{"order_by", order_by}, {"limit", std::to_string(limit)}};
  if (!filter.empty()) params.emplace_back("filter", filter);
  auto query = settle::store::parse_list_query(invoices.spec, params);
  if (!query) die("bad list query", query.error());
  return std::move(*query);
}

int list(const std::string& url, const settle::crm::Actor& actor, const std::string& filter,
         const std::string& order_by, int limit, double seconds, int threads) {
  auto db = open_migrated(url, static_cast<size_t>(threads) + 1);
  settle::crm::Records records(db);
  const settle::crm::ObjectDef& invoices = *settle::crm::find_object("invoices");
  const settle::store::ListQuery query = invoice_list_query(invoices, filter, order_by, limit);
  // One untimed call checks the query and warms the caches.
  auto first = records.list(actor, invoices, query);
  if (!first) die("list failed", first.error());
  return run_timed(
      threads, seconds,
      [&]() -> settle::Status {
        auto page = records.list(actor, invoices, query);
        if (!page) return settle::fail(page.error());
        return {};
      },
      json{{"totalCount", first->total_count}});
}

// Prints {"plan": [lines]}: the database's plan for the list's page and count statements.
int explain(const std::string& url, const settle::crm::Actor& actor, const std::string& filter,
            const std::string& order_by, int limit) {
  auto db = open_migrated(url, 1);
  settle::crm::Records records(db);
  const settle::crm::ObjectDef& invoices = *settle::crm::find_object("invoices");
  const settle::store::ListQuery query = invoice_list_query(invoices, filter, order_by, limit);
  auto plan = records.explain_list(actor, invoices, query);
  if (!plan) die("explain failed", plan.error());
  std::cout << json{{"plan", *plan}}.dump() << "\n";
  return 0;
}

int create(const std::string& url, const settle::crm::Actor& actor, const std::string& body_text, double seconds,
           int threads) {
  auto db = open_migrated(url, static_cast<size_t>(threads) + 1);
  settle::crm::Records records(db);
  const settle::crm::ObjectDef& invoices = *settle::crm::find_object("invoices");
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded()) {
    std::cerr << "bench_api: --body is not JSON\n";
    return 2;
  }
  return run_timed(
      threads, seconds,
      [&]() -> settle::Status {
        auto created = records.create(actor, invoices, body);
        if (!created) return settle::fail(created.error());
        return {};
      },
      json::object());
}

}  // namespace

int main(int argc, char** argv) {
  settle::crypto_init();
  // Logs go to stderr: stdout carries the JSON result.
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench_api"));
  CLI::App app{"Settle API benchmark: seeding and the in-process list baseline"};
  app.require_subcommand(1);
  std::string db_url;

  int invoice_count = 100'000, company_count = 200, workspace_count = 1;
  auto* seed_cmd = app.add_subcommand("seed", "Fill an empty database with one workspace of invoices");
  seed_cmd->add_option("--db", db_url, "sqlite:PATH or postgres://...")->required();
  seed_cmd->add_option("--invoices", invoice_count, "number of invoices")->check(CLI::PositiveNumber);
  seed_cmd->add_option("--companies", company_count, "number of companies")->check(CLI::PositiveNumber);
  seed_cmd->add_option("--workspaces", workspace_count, "workspaces the companies and invoices are spread over")
      ->check(CLI::Range(1, 1000));

  // The in-process baselines act as the workspace's API key would: an ADMIN without a user.
  std::string workspace, filter, order_by, body;
  int limit = 50, threads = 8;
  double seconds = 10;
  auto add_timing_options = [&](CLI::App* cmd) {
    cmd->add_option("--db", db_url, "sqlite:PATH or postgres://...")->required();
    cmd->add_option("--workspace", workspace, "workspace id (from seed)")->required();
    cmd->add_option("--seconds", seconds, "duration of the timed loop")->check(CLI::PositiveNumber);
    cmd->add_option("--threads", threads, "concurrent callers (serve's default worker count is 8)")
        ->check(CLI::Range(1, 64));
  };
  auto* list_cmd = app.add_subcommand("list", "Time Records::list on invoices in-process (no HTTP)");
  add_timing_options(list_cmd);
  list_cmd->add_option("--filter", filter, "filter, as in ?filter= (may be empty)");
  list_cmd->add_option("--order-by", order_by, "ordering, as in ?order_by=")->required();
  list_cmd->add_option("--limit", limit, "page size")->check(CLI::Range(1, 200));
  auto* explain_cmd = app.add_subcommand("explain", "Print the database's plan of an invoice list");
  explain_cmd->add_option("--db", db_url, "sqlite:PATH or postgres://...")->required();
  explain_cmd->add_option("--workspace", workspace, "workspace id (from seed)")->required();
  explain_cmd->add_option("--filter", filter, "filter, as in ?filter= (may be empty)");
  explain_cmd->add_option("--order-by", order_by, "ordering, as in ?order_by=")->required();
  explain_cmd->add_option("--limit", limit, "page size")->check(CLI::Range(1, 200));
  auto* create_cmd = app.add_subcommand("create", "Time Records::create of invoices in-process (no HTTP)");
  add_timing_options(create_cmd);
  create_cmd->add_option("--body", body, "the JSON body POST /rest/invoices would get")->required();

  CLI11_PARSE(app, argc, argv);
  if (seed_cmd->parsed()) return seed(db_url, invoice_count, company_count, workspace_count);
  settle::crm::Actor actor{workspace, "", "api key 'bench'", settle::crm::Role::Admin};
  if (list_cmd->parsed()) return list(db_url, actor, filter, order_by, limit, seconds, threads);
  if (explain_cmd->parsed()) return explain(db_url, actor, filter, order_by, limit);
  return create(db_url, actor, body, seconds, threads);
}
