#include "crm/dashboard.hpp"

#include "common/dates.hpp"
#include "common/money.hpp"

#include <chrono>
#include <cstdio>
#include <map>

namespace settle::crm {

using nlohmann::json;
using store::Rows;
using store::RowView;
using store::Tx;

namespace {

// SUMs are cast so both backends answer a 64-bit integer (PostgreSQL's SUM(BIGINT) is NUMERIC).
constexpr const char* kDefaultCurrency = "SELECT default_currency FROM workspaces WHERE id = :ws";

constexpr const char* kQuotesByStatus =
    "SELECT status, currency, COUNT(*) AS n, CAST(COALESCE(SUM(total), 0) AS BIGINT) AS total FROM quotes "
    "WHERE workspace_id = :ws AND deleted_at IS NULL GROUP BY status, currency ORDER BY status, currency";

constexpr const char* kOrdersAwaitingFulfillment =
    "SELECT status, currency, COUNT(*) AS n, CAST(COALESCE(SUM(total_amount), 0) AS BIGINT) AS total FROM orders "
    "WHERE workspace_id = :ws AND deleted_at IS NULL AND status IN ('Pending Fulfillment', 'In Progress') "
    "GROUP BY status, currency ORDER BY status, currency";

// Dates are 'YYYY-MM-DD' text, so comparing them as text compares the days.
constexpr const char* kReceivablesByAge =
    "SELECT bucket, currency, COUNT(*) AS n, CAST(COALESCE(SUM(amount_due), 0) AS BIGINT) AS due FROM ("
    "  SELECT CASE WHEN due_date IS NULL OR due_date >= :today THEN 'current'"
    "              WHEN due_date >= :d30 THEN '1-30'"
    "              WHEN due_date >= :d60 THEN '31-60'"
    "              WHEN due_date >= :d90 THEN '61-90'"
    "              ELSE '90+' END AS bucket, currency, amount_due"
    "  FROM invoices WHERE workspace_id = :ws AND deleted_at IS NULL"
    "  AND status IN ('Open', 'Partially Paid', 'Payment Failed') AND amount_due > 0"
    ") aged GROUP BY bucket, currency ORDER BY bucket, currency";

// Timestamps are canonical UTC text, so the first ten characters are the day.
constexpr const char* kPaymentsByDay =
    "SELECT substr(received_at, 1, 10) AS day, currency, COUNT(*) AS n, "
    "CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM payments "
    "WHERE workspace_id = :ws AND deleted_at IS NULL AND kind = 'payment' AND status = 'succeeded' "
    "AND received_at >= :since AND received_at < :until "
    "GROUP BY substr(received_at, 1, 10), currency ORDER BY day, currency";

constexpr const char* kBuckets[] = {"current", "1-30", "31-60", "61-90", "90+"};

std::string days_before(const std::string& today, int days) {
  return format_day(parse_day(today).value_or(std::chrono::sys_days{}) - std::chrono::days(days));
}

// A figure beyond the range every amount Settle answers keeps (common/money.hpp) would be
// wrong, wrapped or rounded, for the client: it is an internal error instead. The SQL sums
// cannot wrap (both databases refuse a BIGINT overflow); their size is checked here.
Error too_large(std::string_view figure, const std::string& currency, const Error& cause) {
  return Error::internal("dashboard: " + std::string(figure) + " in " + currency + " out of range: " + cause.message);
}

Result<std::int64_t> checked_figure(const RowView& row, std::string_view column, std::string_view figure) {
  std::int64_t value = row.integer(column);
  if (auto ok = check_amount(value); !ok) return fail(too_large(figure, row.text("currency"), ok.error()));
  return value;
}

}  // namespace

Result<json> dashboard(store::Database& db, const Actor& actor) {
  return dashboard(db, actor, store::now_timestamp().substr(0, 10));
}

Result<json> dashboard(store::Database& db, const Actor& actor, const std::string& today) {
  std::chrono::year_month_day ymd(parse_day(today).value_or(std::chrono::sys_days{}));
  auto first = std::chrono::sys_days(ymd.year() / ymd.month() / std::chrono::day(1));
  auto next_month = std::chrono::sys_days((ymd.year() / ymd.month() + std::chrono::months(1)) / std::chrono::day(1));
  const std::string since = format_day(first) + "T00:00:00.000Z";
  const std::string until = format_day(next_month) + "T00:00:00.000Z";

  return db.read<json>([&](Tx& tx) -> Result<json> {
    const store::Params ws{{"ws", actor.workspace_id}};
    json out = {{"asOf", today}};
    auto cur = tx.query_one(kDefaultCurrency, ws);
    out["currency"] = cur ? RowView(*cur, 0).text("default_currency") : "USD";

    json by_status = json::array(), open = json::array();
    Rows q = tx.query(kQuotesByStatus, ws);
    for (size_t i = 0; i < q.size(); ++i) {
      RowView r(q, i);
      auto total = checked_figure(r, "total", "quote total");
      if (!total) return fail(total.error());
      json row = {{"status", r.text("status")}, {"currency", r.text("currency")}, {"count", r.integer("n")},
                  {"total", *total}};
      if (r.text("status") == "Open") open.push_back({{"currency", row["currency"]}, {"count", row["count"]}, {"total", row["total"]}});
      by_status.push_back(std::move(row));
    }
    out["quotesByStatus"] = by_status;
    out["openQuotes"] = open;

    json orders = json::array();
    Rows o = tx.query(kOrdersAwaitingFulfillment, ws);
    for (size_t i = 0; i < o.size(); ++i) {
      RowView r(o, i);
      auto total = checked_figure(r, "total", "order total");
      if (!total) return fail(total.error());
      orders.push_back({{"status", r.text("status")}, {"currency", r.text("currency")}, {"count", r.integer("n")},
                        {"total", *total}});
    }
    out["ordersAwaitingFulfillment"] = orders;

    // Every bucket of the workspace's currency is present (zero when empty), so a chart
    // always has its five bars; other currencies only where they have invoices.
    json receivables = json::array();
    Rows a = tx.query(kReceivablesByAge, {{"ws", actor.workspace_id},
                                          {"today", today},
                                          {"d30", days_before(today, 30)},
                                          {"d60", days_before(today, 60)},
                                          {"d90", days_before(today, 90)}});
    for (const char* bucket : kBuckets) {
      bool seen_default = false;
      for (size_t i = 0; i < a.size(); ++i) {
        RowView r(a, i);
        if (r.text("bucket") != bucket) continue;
        if (r.text("currency") == out["currency"]) seen_default = true;
        auto due = checked_figure(r, "due", "amount due");
        if (!due) return fail(due.error());
        receivables.push_back({{"bucket", bucket}, {"currency", r.text("currency")}, {"count", r.integer("n")},
                               {"amountDue", *due}});
      }
      if (!seen_default)
        receivables.push_back({{"bucket", bucket}, {"currency", out["currency"]}, {"count", 0}, {"amountDue", 0}});
    }
    out["receivables"] = receivables;

    json by_day = json::array();
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> totals;  // currency -> (count, total)
    Rows p = tx.query(kPaymentsByDay, {{"ws", actor.workspace_id}, {"since", since}, {"until", until}});
    for (size_t i = 0; i < p.size(); ++i) {
      RowView r(p, i);
      auto day_total = checked_figure(r, "total", "payments of a day");
      if (!day_total) return fail(day_total.error());
      by_day.push_back({{"date", r.text("day")}, {"currency", r.text("currency")}, {"count", r.integer("n")},
                        {"total", *day_total}});
      auto& t = totals[r.text("currency")];
      t.first += r.integer("n");  // a count of rows, far from any limit
      auto month_total = checked_add(t.second, *day_total);
      if (!month_total) return fail(too_large("payments this month", r.text("currency"), month_total.error()));
      t.second = *month_total;
    }
    json payment_totals = json::array();
    for (const auto& [currency, t] : totals)
      payment_totals.push_back({{"currency", currency}, {"count", t.first}, {"total", t.second}});
    out["paymentsThisMonth"] = {{"since", since}, {"totals", payment_totals}, {"byDay", by_day}};
    return out;
  });
}

}  // namespace settle::crm
