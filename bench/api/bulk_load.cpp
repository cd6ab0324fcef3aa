#include "bulk_load.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <stdexcept>

namespace settle::bench {
namespace {

class SqliteLoader final : public BulkLoader {
 public:
  explicit SqliteLoader(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
    // A fresh file that nothing else has open: one transaction without a journal or syncs,
    // with the indexes' pages in memory (4 GB at most), then back to the server's WAL mode.
    exec("PRAGMA journal_mode = OFF");
    exec("PRAGMA synchronous = OFF");
    exec("PRAGMA cache_size = -4000000");
    exec("PRAGMA foreign_keys = OFF");
    exec("BEGIN");
    // Secondary indexes and triggers are put aside and made again after the load, from
    // their own SQL as the migrations wrote it: one sort per index instead of a million
    // random inserts into each, and the trigram table rebuilt in one pass.
    sqlite3_stmt* list = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND "
                           "sql IS NOT NULL AND tbl_name IN ('invoices', 'line_items', 'timeline_events', "
                           "'companies')",
                           -1, &list, nullptr) != SQLITE_OK)
      fail("schema");
    while (sqlite3_step(list) == SQLITE_ROW) {
      std::string type = reinterpret_cast<const char*>(sqlite3_column_text(list, 0));
      std::string name = reinterpret_cast<const char*>(sqlite3_column_text(list, 1));
      deferred_.push_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 2)));
      drops_.push_back("DROP " + type + " " + name);
    }
    sqlite3_finalize(list);
    for (const auto& drop : drops_) exec(drop.c_str());
  }
  ~SqliteLoader() override {
    if (stmt_) sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }

  void begin_table(const std::string& table, const std::vector<std::string>& columns) override {
    end_table();
    std::string sql = "INSERT INTO " + table + " (";
    std::string values;
    for (size_t c = 0; c < columns.size(); ++c) {
      sql += (c ? ", " : "") + columns[c];
      values += c ? ", ?" : "?";
    }
    sql += ") VALUES (" + values + ")";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail(sql);
  }

  void add(const std::vector<Cell>& row) override {
    for (size_t c = 0; c < row.size(); ++c) {
      int i = static_cast<int>(c) + 1;
      if (auto* n = std::get_if<std::int64_t>(&row[c])) sqlite3_bind_int64(stmt_, i, *n);
      else if (auto* t = std::get_if<std::string>(&row[c]))
        sqlite3_bind_text(stmt_, i, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
      else sqlite3_bind_null(stmt_, i);
    }
    if (sqlite3_step(stmt_) != SQLITE_DONE) fail("insert");
    sqlite3_reset(stmt_);
  }

  void finish() override {
    end_table();
    for (const auto& sql : deferred_) exec(sql.c_str());
    exec("INSERT INTO invoices_search (invoices_search) VALUES ('rebuild')");
    exec("COMMIT");
    exec("PRAGMA journal_mode = WAL");
  }

  // The same sampling limit as the server's own (store::Database::refresh_statistics).
  void analyze() override {
    exec("PRAGMA analysis_limit = 1000");
    exec("ANALYZE");
  }

 private:
  void end_table() {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("sqlite: " + what + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::vector<std::string> deferred_, drops_;
};

class PostgresLoader final : public BulkLoader {
 public:
  explicit PostgresLoader(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) fail("connect");
    exec("BEGIN");
  }
  ~PostgresLoader() override { PQfinish(conn_); }

  void begin_table(const std::string& table, const std::vector<std::string>& columns) override {
    end_table();
    std::string sql = "COPY " + table + " (";
    for (size_t c = 0; c < columns.size(); ++c) sql += (c ? ", " : "") + columns[c];
    sql += ") FROM STDIN";
    PGresult* r = PQexec(conn_, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COPY_IN;
    PQclear(r);
    if (!ok) fail(sql);
    copying_ = true;
  }

  void add(const std::vector<Cell>& row) override {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) buffer_ += '\t';
      if (auto* n = std::get_if<std::int64_t>(&row[c])) buffer_ += std::to_string(*n);
      else if (auto* t = std::get_if<std::string>(&row[c])) append_escaped(*t);
      else buffer_ += "\\N";
    }
    buffer_ += '\n';
    if (buffer_.size() > (1 << 20)) flush();
  }

  void finish() override {
    end_table();
    exec("COMMIT");
  }

  void analyze() override { exec("VACUUM ANALYZE"); }

 private:
  // COPY's text format: backslash, tab, newline and carriage return are escaped.
  void append_escaped(const std::string& text) {
    for (char ch : text) {
      switch (ch) {
        case '\\': buffer_ += "\\\\"; break;
        case '\t': buffer_ += "\\t"; break;
        case '\n': buffer_ += "\\n"; break;
        case '\r': buffer_ += "\\r"; break;
        default: buffer_ += ch;
      }
    }
  }
  void flush() {
    if (!buffer_.empty() && PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1)
      fail("COPY data");
    buffer_.clear();
  }
  void end_table() {
    if (!copying_) return;
    flush();
    if (PQputCopyEnd(conn_, nullptr) != 1) fail("COPY end");
    PGresult* r = PQgetResult(conn_);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    while ((r = PQgetResult(conn_)) != nullptr) PQclear(r);
    if (!ok) fail("COPY");
    copying_ = false;
  }
  void exec(const char* sql) {
    PGresult* r = PQexec(conn_, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) fail(sql);
  }
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("postgres: " + what + ": " + PQerrorMessage(conn_));
  }

  PGconn* conn_;
  bool copying_ = false;
  std::string buffer_;
};

}  // namespace

std::unique_ptr<BulkLoader> open_bulk_loader(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) return std::make_unique<SqliteLoader>(url.substr(7));
  return std::make_unique<PostgresLoader>(url);
}

}  // namespace settle::bench
