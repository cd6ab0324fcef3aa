#include "store/database.hpp"
#include "common/text.hpp"

#include <libpq-fe.h>
#include <soci/connection-pool.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace settle::store {
namespace {

constexpr int kMaxAttempts = 5;

// Statements run on every new SQLite connection. WAL lets readers run beside the one
// writer; case_sensitive_like makes the filter's `like` case-sensitive as on PostgreSQL
// (`ilike` is compiled separately). Each connection of the pool has its own page cache,
// which SQLite empties whenever another connection has written, so with many writers
// every transaction re-reads its pages; memory-mapping the file (mmap_size) makes those
// reads plain memory accesses instead of pread copies (the largest cost in a profile of
// the webhook benchmark). 256 MiB of address space; the OS pages it in as needed.
constexpr const char* kSqlitePragmas[] = {
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=15000",
    "PRAGMA case_sensitive_like=ON",
    "PRAGMA mmap_size=268435456",
};

// The writers of one SQLite file in this process queue on a mutex before BEGIN IMMEDIATE.
// Left to SQLite, a writer that finds the file locked polls it from its busy handler,
// sleeping 1, 2, 5, 10 ms and more between tries: under concurrent writes (webhooks,
// creates) most of a request's time went to those sleeps, although each write holds the
// lock for well under a millisecond. A waiter on the mutex runs as soon as the lock is
// free. Another process writing the file still meets busy_timeout; and past kWriterWait
// (as long as busy_timeout) a writer goes on without the mutex, so that SQLite's own
// handling, not a hang, decides what a stuck writer gets.
constexpr auto kWriterWait = std::chrono::seconds(15);

std::timed_mutex& sqlite_writer_mutex(const std::string& url) {
  static std::mutex registry_guard;
  static std::map<std::string, std::unique_ptr<std::timed_mutex>> registry;  // one per file URL
  std::lock_guard<std::mutex> guard(registry_guard);
  auto& m = registry[url];
  if (!m) m = std::make_unique<std::timed_mutex>();
  return *m;
}

// Binds values by name. SOCI keeps pointers to the bound variables until execution, so
// the values live in deques (stable addresses) owned by this binder.
class Binder {
 public:
  void bind(soci::statement& st, const Params& params) {
    for (const auto& [name, value] : params) {
      indicators_.push_back(soci::i_ok);
      auto& ind = indicators_.back();
      if (std::holds_alternative<std::nullptr_t>(value)) {
        ind = soci::i_null;
        strings_.emplace_back();
        st.exchange(soci::use(strings_.back(), ind, name));
      } else if (auto* i = std::get_if<std::int64_t>(&value)) {
        ints_.push_back(static_cast<long long>(*i));
        st.exchange(soci::use(ints_.back(), ind, name));
      } else {
        strings_.push_back(std::get<std::string>(value));
        st.exchange(soci::use(strings_.back(), ind, name));
      }
    }
  }

 private:
  std::deque<std::string> strings_;
  std::deque<long long> ints_;
  std::deque<soci::indicator> indicators_;
};

SqlValue cell(const soci::row& row, std::size_t i) {
  if (row.get_indicator(i) == soci::i_null) return nullptr;
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_string:
    case soci::dt_xml:
    case soci::dt_blob:
      return row.get<std::string>(i);
    case soci::dt_integer:
      return static_cast<std::int64_t>(row.get<int>(i));
    case soci::dt_long_long:
      return static_cast<std::int64_t>(row.get<long long>(i));
    case soci::dt_unsigned_long_long:
      return static_cast<std::int64_t>(row.get<unsigned long long>(i));
    case soci::dt_double:
      // No column holds a float; SQLite reports computed integers (SUM) as double.
      return static_cast<std::int64_t>(row.get<double>(i));
    case soci::dt_date: {
      std::tm t = row.get<std::tm>(i);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &t);
      return std::string(buf);
    }
  }
  return nullptr;
}

// Classifies a storage exception into the error vocabulary. Constraint violations are
// client errors (the schema enforces uniqueness and references); the rest are internal.
Error classify(const std::exception& e, bool* retryable) {
  *retryable = false;
  std::string what = e.what();
  // SOCI appends the bound values (" with :name=value, ...") to its messages; they may be
  // token hashes or sealed secrets, which must never reach a log.
  if (auto with = what.find(" with :"); with != std::string::npos) what = what.substr(0, with) + ".";
  if (auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    std::string state = pg->sqlstate();
    if (state == "40001" || state == "40P01") *retryable = true;
    if (state == "23505") return Error::conflict("a record with the same unique value already exists");
    if (state == "23503") return Error::validation("", "a referenced record does not exist in this workspace");
    if (state == "23514" || state == "23502") return Error::validation("", "a value violates a rule of the schema");
  }
  if (auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    int rc = lite->result() & 0xff;
    if (rc == 5 /*SQLITE_BUSY*/ || rc == 6 /*SQLITE_LOCKED*/) *retryable = true;
    if (rc == 19 /*SQLITE_CONSTRAINT*/) {
      if (what.find("UNIQUE") != std::string::npos || what.find("PRIMARY KEY") != std::string::npos)
        return Error::conflict("a record with the same unique value already exists");
      if (what.find("FOREIGN KEY") != std::string::npos)
        return Error::validation("", "a referenced record does not exist in this workspace");
      return Error::validation("", "a value violates a rule of the schema");
    }
  }
  return Error::internal(std::string("storage: ") + what);
}

// SOCI's PostgreSQL backend treats its connection string as libpq key=value pairs and
// mangles URIs, so a postgres:// URL is turned into that form (values quoted) with libpq's
// own parser.
std::optional<std::string> postgres_conninfo(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (!opts) {
    if (err) PQfreemem(err);
    return std::nullopt;
  }
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    std::string v;
    for (const char* c = o->val; *c; ++c) {
      if (*c == '\\' || *c == '\'') v += '\\';
      v += *c;
    }
    out += (out.empty() ? "" : " ") + std::string(o->keyword) + "='" + v + "'";
  }
  PQconninfoFree(opts);
  return out;
}

}  // namespace

int Rows::column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return static_cast<int>(i);
  return -1;
}

const SqlValue& RowView::at(std::string_view column) const {
  static const SqlValue kNull = nullptr;
  int c = rows_->column(column);
  if (c < 0) return kNull;
  return rows_->rows[index_][static_cast<size_t>(c)];
}
bool RowView::is_null(std::string_view column) const { return std::holds_alternative<std::nullptr_t>(at(column)); }
std::string RowView::text(std::string_view column) const { return opt_text(column).value_or(""); }
std::optional<std::string> RowView::opt_text(std::string_view column) const {
  const auto& v = at(column);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return std::nullopt;
}
std::int64_t RowView::integer(std::string_view column) const { return opt_integer(column).value_or(0); }
std::optional<std::int64_t> RowView::opt_integer(std::string_view column) const {
  const auto& v = at(column);
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* s = std::get_if<std::string>(&v)) {
    try {
      return std::stoll(*s);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Rows Tx::query(std::string_view sql, const Params& params) {
  Rows out;
  soci::row row;
  soci::statement st(session_);
  Binder binder;
  st.exchange(soci::into(row));
  binder.bind(st, params);
  st.alloc();
  st.prepare(std::string(sql));
  st.define_and_bind();
  bool has = st.execute(true);
  while (has) {
    if (out.columns.empty())
      for (std::size_t i = 0; i < row.size(); ++i) out.columns.push_back(row.get_properties(i).get_name());
    std::vector<SqlValue> values;
    values.reserve(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) values.push_back(cell(row, i));
    out.rows.push_back(std::move(values));
    has = st.fetch();
  }
  return out;
}

std::optional<Rows> Tx::query_one(std::string_view sql, const Params& params) {
  Rows r = query(sql, params);
  if (r.rows.empty()) return std::nullopt;
  r.rows.resize(1);
  return r;
}

std::string_view Tx::lock_suffix() const { return dialect_ == Dialect::Postgres ? " FOR UPDATE" : ""; }

long long Tx::exec(std::string_view sql, const Params& params) {
  soci::statement st(session_);
  Binder binder;
  binder.bind(st, params);
  st.alloc();
  st.prepare(std::string(sql));
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows();
}

Result<std::shared_ptr<Database>> Database::open(const std::string& url, size_t pool_size) {
  std::shared_ptr<Database> db(new Database());
  db->pool_size_ = std::max<size_t>(1, pool_size);
  db->url_for_log_ = redact_url(url);
  db->pool_ = std::make_unique<soci::connection_pool>(db->pool_size_);
  try {
    if (url.rfind("sqlite:", 0) == 0) {
      db->dialect_ = Dialect::Sqlite;
      std::string path = url.substr(7);
      if (path.rfind("//", 0) == 0) path = path.substr(2);
      if (path.empty()) return fail(Error::validation("db", "sqlite: URL needs a file path"));
      std::string escaped;
      for (char c : path) {
        if (c == '"') escaped += "\\";
        escaped += c;
      }
      for (size_t i = 0; i < db->pool_size_; ++i) {
        soci::session& s = db->pool_->at(i);
        s.open(*soci::factory_sqlite3(), "db=\"" + escaped + "\" timeout=15");
        for (const char* pragma : kSqlitePragmas) s << pragma;
      }
    } else if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
      db->dialect_ = Dialect::Postgres;
      auto conninfo = postgres_conninfo(url);
      if (!conninfo) return fail(Error::validation("db", "malformed PostgreSQL URL"));
      for (size_t i = 0; i < db->pool_size_; ++i) {
        soci::session& s = db->pool_->at(i);
        s.open(*soci::factory_postgresql(), *conninfo);
        s << "SET client_min_messages TO WARNING";
      }
    } else {
      return fail(Error::validation("db", "database URL must start with sqlite: or postgres://"));
    }
  } catch (const std::exception& e) {
    Error err = Error::upstream("cannot open the database", std::string("open ") + db->url_for_log_ + ": " + e.what());
    return fail(std::move(err));
  }
  return db;
}

Database::~Database() = default;

Status Database::run_transaction(bool write, const std::function<Status(Tx&)>& body) {
  for (int attempt = 1;; ++attempt) {
    std::unique_lock<std::timed_mutex> writer;
    if (write && dialect_ == Dialect::Sqlite) {
      writer = std::unique_lock<std::timed_mutex>(sqlite_writer_mutex(url_for_log_), std::defer_lock);
      (void)writer.try_lock_for(kWriterWait);
    }
    soci::session session(*pool_);
    bool open = false;
    try {
      if (dialect_ == Dialect::Sqlite)
        session << (write ? "BEGIN IMMEDIATE" : "BEGIN");
      else
        session << (write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      open = true;
      Tx tx(session, dialect_);
      Status st = body(tx);
      if (!st) {
        session << "ROLLBACK";
        return st;
      }
      session << "COMMIT";
      return {};
    } catch (const std::exception& e) {
      if (open) {
        try {
          session << "ROLLBACK";
        } catch (...) {
        }
      }
      bool retryable = false;
      Error err = classify(e, &retryable);
      if (retryable && attempt < kMaxAttempts) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt * attempt));
        continue;
      }
      if (retryable) {
        err = Error{ErrorCode::Unavailable, "the database is busy, retry shortly", {}, err.log, nullptr};
      }
      if (err.code == ErrorCode::Internal) spdlog::error("{}", err.log);
      return fail(std::move(err));
    }
  }
}

namespace {

constexpr std::string_view kMask = "***";

// "user:secret@host" -> "user:***@host"; the userinfo ends at the authority's last '@'.
std::string redact_authority(std::string_view authority) {
  auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(authority);
  auto colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::string(authority);
  return std::string(authority.substr(0, colon + 1)) + std::string(kMask) + std::string(authority.substr(at));
}

// "a=1&password=secret" -> "a=1&password=***".
std::string redact_query(std::string_view query) {
  std::string out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = std::min(query.find('&', start), query.size());
    std::string_view pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && ascii_lower(pair.substr(0, eq)).find("password") != std::string::npos)
      out += std::string(pair.substr(0, eq + 1)) + std::string(kMask);
    else
      out += pair;
    if (end == query.size()) break;
    out += '&';
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t authority_start = scheme + 3;
  size_t authority_end = std::min(url.find_first_of("/?#", authority_start), url.size());
  std::string out = url.substr(0, authority_start) +
                    redact_authority(std::string_view(url).substr(authority_start, authority_end - authority_start));
  size_t query = url.find('?', authority_end);
  if (query == std::string::npos) return out + url.substr(authority_end);
  size_t fragment = std::min(url.find('#', query), url.size());
  return out + url.substr(authority_end, query + 1 - authority_end) +
         redact_query(std::string_view(url).substr(query + 1, fragment - query - 1)) + url.substr(fragment);
}

std::string format_timestamp(std::int64_t unix_millis) {
  std::time_t secs = static_cast<std::time_t>(unix_millis / 1000);
  int ms = static_cast<int>(unix_millis % 1000);
  std::tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec, ms);
  return buf;
}

std::string now_timestamp() {
  auto now = std::chrono::system_clock::now();
  return format_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
}

std::string timestamp_from_now(std::chrono::seconds offset) {
  auto t = std::chrono::system_clock::now() + offset;
  return format_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

}  // namespace settle::store
