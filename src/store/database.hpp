// The storage engine behind every repository: one interface over SQLite (embedded default)
// and PostgreSQL (several instances sharing one database), through SOCI's connection pool.
// All access goes through a transaction (Database::write / Database::read) so a domain
// operation is all-or-nothing. SQL is passed with named placeholders (:name) and values
// are always bound, never spliced into the text.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "store/query.hpp"

namespace soci {
class session;
class connection_pool;
}  // namespace soci

namespace settle::store {

using Params = std::vector<std::pair<std::string, SqlValue>>;

// A result set: column names once, then rows of values in column order.
class Rows {
 public:
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;

  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  int column(std::string_view name) const;  // -1 when absent
};

// Typed access to one row of a Rows.
class RowView {
 public:
  RowView(const Rows& rows, size_t index) : rows_(&rows), index_(index) {}
  const SqlValue& at(std::string_view column) const;
  bool is_null(std::string_view column) const;
  std::string text(std::string_view column) const;                 // "" when NULL
  std::optional<std::string> opt_text(std::string_view column) const;
  std::int64_t integer(std::string_view column) const;             // 0 when NULL
  std::optional<std::int64_t> opt_integer(std::string_view column) const;

 private:
  const Rows* rows_;
  size_t index_;
};

// One transaction on one pooled connection. Statements throw on failure; the enclosing
// Database::write/read turns the exception into an Error and rolls back.
class Tx {
 public:
  Tx(soci::session& session, Dialect dialect) : session_(session), dialect_(dialect) {}
  Dialect dialect() const { return dialect_; }
  // Appended to a SELECT that reads a row the transaction will change: " FOR UPDATE" on
  // PostgreSQL, where READ COMMITTED would otherwise let two writers read the same row
  // and one of their updates be lost; "" on SQLite, whose write transactions (BEGIN
  // IMMEDIATE) already run one at a time.
  std::string_view lock_suffix() const;
  Rows query(std::string_view sql, const Params& params = {});
  std::optional<Rows> query_one(std::string_view sql, const Params& params = {});  // nullopt when no row
  // Runs a statement that returns no rows; answers the number of rows it changed.
  long long exec(std::string_view sql, const Params& params = {});

 private:
  soci::session& session_;
  Dialect dialect_;
};

class Database {
 public:
  // url: "sqlite:PATH" (PATH may be relative) or "postgres://..." / "postgresql://...".
  static Result<std::shared_ptr<Database>> open(const std::string& url, size_t pool_size = 8);
  ~Database();

  Dialect dialect() const { return dialect_; }
  const std::string& url_for_log() const { return url_for_log_; }  // passwords masked (redact_url)

  // Runs fn in a write transaction (SQLite: BEGIN IMMEDIATE, so writers queue instead of
  // deadlocking on upgrade; PostgreSQL: retried on serialization failure or deadlock).
  // Commits when fn succeeds, rolls back when it fails or throws.
  template <class T>
  Result<T> write(const std::function<Result<T>(Tx&)>& fn) { return run<T>(true, fn); }
  // Runs fn in a read-only transaction whose statements all see one snapshot, so that
  // a list page and its count agree: PostgreSQL REPEATABLE READ READ ONLY (which never
  // fails to serialize); SQLite a deferred transaction, whose first read fixes the WAL
  // snapshot for the rest of it.
  template <class T>
  Result<T> read(const std::function<Result<T>(Tx&)>& fn) { return run<T>(false, fn); }

  // Applies pending migrations; safe to call from several instances at once.
  Status migrate();
  // Refreshes the query planner's statistics. SQLite gathers none by itself, and without
  // them it guesses between the list indexes (store/schema.cpp); ANALYZE with a sampling
  // limit takes a fraction of a second at a million rows. PostgreSQL's autovacuum keeps its
  // own, so there this does nothing. settle serve calls it at start-up.
  Status refresh_statistics();

  // Highest applied migration version (0 for an empty database).
  Result<int> schema_version();

 private:
  Database() = default;
  Status run_transaction(bool write, const std::function<Status(Tx&)>& body);

  template <class T>
  Result<T> run(bool write, const std::function<Result<T>(Tx&)>& fn) {
    std::optional<Result<T>> out;
    Status st = run_transaction(write, [&](Tx& tx) -> Status {
      out.emplace(fn(tx));
      if (!*out) return fail(out->error());
      return {};
    });
    if (!st) return fail(st.error());
    return std::move(*out);
  }

  Dialect dialect_ = Dialect::Sqlite;
  std::string url_for_log_;
  size_t pool_size_ = 0;
  std::unique_ptr<soci::connection_pool> pool_;
};

// A database URL fit for a log line: the password of the userinfo and the value of every
// query parameter whose name contains "password" (libpq takes password= and sslpassword=
// there too) become "***". Anything that is not a URL comes back unchanged.
std::string redact_url(const std::string& url);

// The version the migrations in this binary bring a database to.
int latest_schema_version();

// Canonical timestamp text used in every table: "2026-11-23T09:20:00.000Z" (UTC, ms).
std::string now_timestamp();
std::string format_timestamp(std::int64_t unix_millis);
// The canonical timestamp `offset` from now (negative for the past).
std::string timestamp_from_now(std::chrono::seconds offset);

}  // namespace settle::store
