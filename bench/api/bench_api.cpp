// bench_api: the in-process half of the API benchmark (scripts/bench.sh drives the rest).
//   bench_api seed --db URL [--invoices 100000] [--companies 200]
//     Migrates an empty database, creates a workspace with an ADMIN API key and fills it with
//     companies and invoices (two line items and a "created" timeline event each) through
//     batched multi-row INSERTs: seconds instead of the minutes 100k API calls would take.
//     Prints {"workspaceId", "apiKey", "companyId", "invoices", "seconds"}.
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

namespace {

using nlohmann::json;
using settle::store::Params;
using settle::store::SqlValue;
using settle::store::Tx;
using Clock = std::chrono::steady_clock;

// SOCI resolves each named placeholder with a linear search, so a statement's cost grows
// with the square of its parameter count; a few hundred per statement keeps that small
// (at a thousand, seeding took twice as long).
constexpr size_t kParamsPerStatement = 250;
// Invoices (with their lines and events) per transaction.
constexpr int kInvoicesPerTransaction = 5000;
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

// Accumulates rows of one table and writes them as multi-row INSERTs with bound values.
class BatchInsert {
 public:
  BatchInsert(std::string table, std::vector<std::string> columns)
      : table_(std::move(table)),
        columns_(std::move(columns)),
        rows_per_statement_(std::max<size_t>(1, kParamsPerStatement / columns_.size())) {}

  void add(Tx& tx, std::vector<SqlValue> row) {
    pending_.push_back(std::move(row));
    if (pending_.size() == rows_per_statement_) flush(tx);
  }

  void flush(Tx& tx) {
    if (pending_.empty()) return;
    std::string sql = "INSERT INTO " + table_ + " (";
    for (size_t c = 0; c < columns_.size(); ++c) sql += (c ? ", " : "") + columns_[c];
    sql += ") VALUES ";
    Params params;
    params.reserve(pending_.size() * columns_.size());
    for (size_t r = 0; r < pending_.size(); ++r) {
      sql += r ? ", (" : "(";
      for (size_t c = 0; c < columns_.size(); ++c) {
        // Each placeholder is unique: SOCI binds a repeated name only at its first use.
        std::string name = fmt::format("r{}c{}", r, c);
        sql += c ? ", :" : ":";
        sql += name;
        params.emplace_back(std::move(name), std::move(pending_[r][c]));
      }
      sql += ")";
    }
    tx.exec(sql, params);
    pending_.clear();
  }

 private:
  std::string table_;
  std::vector<std::string> columns_;
  size_t rows_per_statement_;
  std::vector<std::vector<SqlValue>> pending_;
};

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

int seed(const std::string& url, int invoice_count, int company_count) {
  auto started = Clock::now();
  auto db = open_migrated(url, 2);
  settle::crm::Accounts accounts(db, settle::crm::AccountsOptions::without_mail(settle::PasswordHashCost::MinimalForTests));
  auto ws = accounts.create_workspace("Bench Industries", "bench", "bench@bench.example", std::nullopt);
  if (!ws) die("cannot create the workspace", ws.error());
  const std::string& workspace = ws->workspace_id;
  std::mt19937_64 rng(20260101);
  const std::int64_t now_ms = now_millis();
  const std::int64_t start_ms = now_ms - kHistoryDays * kMillisPerDay;

  std::vector<std::string> company_ids;
  auto companies = db->write<int>([&](Tx& tx) -> settle::Result<int> {
    BatchInsert rows("companies", {"workspace_id", "id", "created_at", "updated_at", "name", "domain_name"});
    std::string at = settle::store::format_timestamp(start_ms);
    for (int i = 0; i < company_count; ++i) {
      company_ids.push_back(settle::random_id("com"));
      rows.add(tx, {workspace, company_ids.back(), at, at, "Customer " + std::to_string(i + 1),
                    "customer" + std::to_string(i + 1) + ".example"});
    }
    rows.flush(tx);
    return company_count;
  });
  if (!companies) die("cannot seed companies", companies.error());

  // Finalized invoices are numbered per year, as Records numbers them; the counters are
  // stored at the end so that the API continues the sequences.
  const std::string invoice_kind(settle::billing::to_string(settle::billing::DocumentKind::Invoice));
  const std::string invoice_prefix(settle::billing::default_prefix(settle::billing::DocumentKind::Invoice));
  std::map<int, std::int64_t> last_number_of_year;
  // Nothing else writes during seeding, so no transaction is retried and the generator and
  // counters advance once per invoice.
  for (int first = 0; first < invoice_count; first += kInvoicesPerTransaction) {
    int last = std::min(invoice_count, first + kInvoicesPerTransaction);
    auto done = db->write<int>([&](Tx& tx) -> settle::Result<int> {
      BatchInsert invoices("invoices", {"workspace_id", "id", "created_at", "updated_at", "invoice_number", "status",
                                        "company_id", "issue_date", "due_date", "currency", "subtotal", "tax_amount",
                                        "total", "amount_paid", "amount_refunded", "amount_due"});
      BatchInsert lines("line_items", {"workspace_id", "document_id", "position", "description", "quantity",
                                       "unit_amount", "amount"});
      BatchInsert events("timeline_events",
                         {"workspace_id", "id", "record_object", "record_id", "kind", "actor_label", "created_at"});
      for (int i = first; i < last; ++i) {
        InvoiceShape s = shape_invoice(rng, i, invoice_count, start_ms, company_ids.size());
        std::string id = settle::random_id("inv");
        std::string created = settle::store::format_timestamp(s.created_ms);
        std::int64_t subtotal = 0;
        for (int l = 0; l < kLinesPerInvoice; ++l) {
          std::int64_t amount = s.quantity[l] * s.unit_amount[l];
          subtotal += amount;
          lines.add(tx, {workspace, id, std::int64_t{l}, "Service line " + std::to_string(l + 1), s.quantity[l],
                         s.unit_amount[l], amount});
        }
        std::int64_t tax = s.currency == "EUR" ? subtotal / 5 : 0;  // 20% VAT on the EUR ones
        std::int64_t total = subtotal + tax;
        bool finalized = s.status != "Draft";
        SqlValue number = nullptr, issue = nullptr, due = nullptr;
        if (finalized) {
          int year = std::stoi(created.substr(0, 4));
          number = settle::billing::format_document_number(invoice_prefix, year, ++last_number_of_year[year]);
          issue = date_of(s.created_ms);
          due = date_of(s.created_ms + kPaymentTermsDays * kMillisPerDay);
        }
        std::int64_t paid = s.status == "Paid" ? total : 0;
        invoices.add(tx, {workspace, id, created, created, number, s.status, company_ids[s.company], issue, due,
                          s.currency, subtotal, tax, total, paid, std::int64_t{0}, total - paid});
        events.add(tx, {workspace, settle::random_id("evt"), std::string("invoices"), id, std::string("created"),
                        std::string("bench seed"), created});
      }
      invoices.flush(tx);
      lines.flush(tx);
      events.flush(tx);
      return last - first;
    });
    if (!done) die("cannot seed invoices", done.error());
  }

  auto counters = db->write<int>([&](Tx& tx) -> settle::Result<int> {
    for (const auto& [year, value] : last_number_of_year)
      tx.exec("INSERT INTO document_counters (workspace_id, kind, year, last_value) VALUES (:ws, :kind, :year, :v)",
              {{"ws", workspace}, {"kind", invoice_kind}, {"year", std::int64_t{year}}, {"v", value}});
    // Fresh planner statistics, as PostgreSQL's autovacuum would gather shortly after a
    // bulk load; SQLite gets none, as the server never runs ANALYZE there.
    if (tx.dialect() == settle::store::Dialect::Postgres) tx.exec("ANALYZE");
    return 0;
  });
  if (!counters) die("cannot store document counters", counters.error());

  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::cout << json{{"workspaceId", workspace},
                    {"apiKey", ws->api_key},
                    {"companyId", company_ids.front()},
                    {"invoices", invoice_count},
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

int list(const std::string& url, const settle::crm::Actor& actor, const std::string& filter,
         const std::string& order_by, int limit, double seconds, int threads) {
  auto db = open_migrated(url, static_cast<size_t>(threads) + 1);
  settle::crm::Records records(db);
  const settle::crm::ObjectDef& invoices = *settle::crm::find_object("invoices");
  auto query = settle::store::parse_list_query(
      invoices.spec, {{"filter", filter}, {"order_by", order_by}, {"limit", std::to_string(limit)}});
  if (!query) die("bad list query", query.error());
  // One untimed call checks the query and warms the caches.
  auto first = records.list(actor, invoices, *query);
  if (!first) die("list failed", first.error());
  return run_timed(
      threads, seconds,
      [&]() -> settle::Status {
        auto page = records.list(actor, invoices, *query);
        if (!page) return settle::fail(page.error());
        return {};
      },
      json{{"totalCount", first->total_count}});
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

  int invoice_count = 100'000, company_count = 200;
  auto* seed_cmd = app.add_subcommand("seed", "Fill an empty database with one workspace of invoices");
  seed_cmd->add_option("--db", db_url, "sqlite:PATH or postgres://...")->required();
  seed_cmd->add_option("--invoices", invoice_count, "number of invoices")->check(CLI::PositiveNumber);
  seed_cmd->add_option("--companies", company_count, "number of companies")->check(CLI::PositiveNumber);

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
  list_cmd->add_option("--filter", filter, "filter, as in ?filter=")->required();
  list_cmd->add_option("--order-by", order_by, "ordering, as in ?order_by=")->required();
  list_cmd->add_option("--limit", limit, "page size")->check(CLI::Range(1, 200));
  auto* create_cmd = app.add_subcommand("create", "Time Records::create of invoices in-process (no HTTP)");
  add_timing_options(create_cmd);
  create_cmd->add_option("--body", body, "the JSON body POST /rest/invoices would get")->required();

  CLI11_PARSE(app, argc, argv);
  if (seed_cmd->parsed()) return seed(db_url, invoice_count, company_count);
  settle::crm::Actor actor{workspace, "", "api key 'bench'", settle::crm::Role::Admin};
  if (list_cmd->parsed()) return list(db_url, actor, filter, order_by, limit, seconds, threads);
  return create(db_url, actor, body, seconds, threads);
}
