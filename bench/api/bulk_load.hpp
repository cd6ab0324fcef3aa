// Bulk loading for bench_api seed: rows streamed straight into SQLite (one prepared INSERT
// per table, reused, inside large transactions) or PostgreSQL (COPY ... FROM STDIN), below
// SOCI. A million invoices with their lines and events in seconds rather than the minutes
// multi-row INSERTs through SOCI take (its named placeholders cost the square of their
// count). Bench tooling only: the server never writes this way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace settle::bench {

// A cell: NULL, an integer or text.
using Cell = std::variant<std::nullptr_t, std::int64_t, std::string>;

class BulkLoader {
 public:
  virtual ~BulkLoader() = default;
  // Starts a table's rows; the previous table's are finished first.
  virtual void begin_table(const std::string& table, const std::vector<std::string>& columns) = 0;
  virtual void add(const std::vector<Cell>& row) = 0;
  // Finishes the current table and commits everything written.
  virtual void finish() = 0;
  // Refreshes the planner's statistics (and, on PostgreSQL, the visibility map that makes
  // index-only scans possible), as a database that has been running for a while has them.
  virtual void analyze() = 0;
};

// url: the same "sqlite:PATH" or "postgres://..." the server takes. Throws std::runtime_error.
std::unique_ptr<BulkLoader> open_bulk_loader(const std::string& url);

}  // namespace settle::bench
