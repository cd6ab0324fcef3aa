// The storage engine on both backends: migrations, transactions, constraint mapping.
#include "store/database.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

namespace settle::store {
namespace {

// A fresh database per test: an SQLite file, or a new database on SETTLE_TEST_PG.
class DatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string tag = std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : tag)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    if (GetParam() == "sqlite") {
      path_ = std::filesystem::temp_directory_path() / ("settle-store-" + tag + ".db");
      url_ = "sqlite:" + path_.string();
    } else {
      const char* pg = std::getenv("SETTLE_TEST_PG");
      if (!pg || !*pg) GTEST_SKIP() << "SETTLE_TEST_PG not set";
      dbname_ = "store_" + tag;
      for (auto& c : dbname_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      admin("DROP DATABASE IF EXISTS " + dbname_);
      admin("CREATE DATABASE " + dbname_);
      std::string base = pg;
      url_ = base.substr(0, base.rfind('/') + 1) + dbname_;
    }
    auto opened = Database::open(url_, 4);
    ASSERT_TRUE(opened) << opened.error().log;
    db_ = *opened;
  }
  void TearDown() override {
    db_.reset();
    if (!path_.empty())
      for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + ext);
    if (!dbname_.empty()) admin("DROP DATABASE IF EXISTS " + dbname_ + " WITH (FORCE)");
  }
  static void admin(const std::string& sql) {
    PGconn* c = PQconnectdb(std::getenv("SETTLE_TEST_PG"));
    PQclear(PQexec(c, sql.c_str()));
    PQfinish(c);
  }
  Result<bool> insert_workspace(const std::string& id, const std::string& sub) {
    return db_->write<bool>([&](Tx& tx) -> Result<bool> {
      tx.exec("INSERT INTO workspaces (id, name, subdomain, created_at) VALUES (:id, 'n', :sub, :at)",
              {{"id", id}, {"sub", sub}, {"at", now_timestamp()}});
      return true;
    });
  }

  std::string url_, dbname_;
  std::filesystem::path path_;
  std::shared_ptr<Database> db_;
};

TEST_P(DatabaseTest, MigrationsApplyOnceAndAreIdempotent) {
  EXPECT_EQ(*db_->schema_version(), 0);
  ASSERT_TRUE(db_->migrate());
  EXPECT_EQ(*db_->schema_version(), latest_schema_version());
  ASSERT_TRUE(db_->migrate());
  EXPECT_EQ(*db_->schema_version(), latest_schema_version());
}

TEST_P(DatabaseTest, ConstraintViolationsBecomeClientErrors) {
  ASSERT_TRUE(db_->migrate());
  ASSERT_TRUE(insert_workspace("ws1", "one"));
  auto dup = insert_workspace("ws2", "one");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::Conflict);
  auto orphan = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec("INSERT INTO people (workspace_id, id, created_at, updated_at, first_name, company_id) "
            "VALUES ('ws1', 'p1', 'x', 'x', 'Ada', 'no-such-company')");
    return true;
  });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, ErrorCode::Validation);
}

TEST_P(DatabaseTest, AFailedTransactionLeavesNothingBehind) {
  ASSERT_TRUE(db_->migrate());
  auto failed = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec("INSERT INTO workspaces (id, name, subdomain, created_at) VALUES ('ws9', 'n', 'nine', 'x')");
    return fail(Error::validation("x", "refused after the insert"));
  });
  ASSERT_FALSE(failed);
  auto thrown = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec("INSERT INTO workspaces (id, name, subdomain, created_at) VALUES ('ws8', 'n', 'eight', 'x')");
    tx.exec("INSERT INTO no_such_table VALUES (1)");
    return true;
  });
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, ErrorCode::Internal);
  auto n = db_->read<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    return RowView(tx.query("SELECT COUNT(*) AS n FROM workspaces"), 0).integer("n");
  });
  EXPECT_EQ(*n, 0);
}

TEST_P(DatabaseTest, ValuesRoundTripWithTheirTypes) {
  ASSERT_TRUE(db_->migrate());
  auto rows = db_->read<Rows>([](Tx& tx) -> Result<Rows> {
    return tx.query("SELECT CAST(:big AS BIGINT) AS big, :text AS t, CAST(NULL AS TEXT) AS absent",
                    {{"big", std::int64_t{9'007'199'254'740'993}}, {"text", std::string("ünï'; --")}});
  });
  ASSERT_TRUE(rows) << rows.error().log;
  RowView r(*rows, 0);
  EXPECT_EQ(r.integer("big"), 9'007'199'254'740'993);
  EXPECT_EQ(r.text("t"), "ünï'; --");
  EXPECT_TRUE(r.is_null("absent"));
}

// Read-modify-writes of one row from 8 threads over two Database handles, each reading
// the row with the lock suffix: they queue (SQLite's one writer, PostgreSQL's row lock)
// and all commit, each seeing the previous one's result: nothing lost, nothing refused.
TEST_P(DatabaseTest, ConcurrentReadModifyWritesUnderTheRowLockLoseNothing) {
  ASSERT_TRUE(db_->migrate());
  auto second = Database::open(url_, 4);
  ASSERT_TRUE(second);
  ASSERT_TRUE(db_->write<bool>([](Tx& tx) -> Result<bool> {
    tx.exec("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    tx.exec("INSERT INTO counter (id, n) VALUES (1, 0)");
    return true;
  }));
  constexpr int kThreads = 8, kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto& db = t % 2 ? *second : db_;
      for (int i = 0; i < kEach; ++i) {
        auto done = db->write<bool>([](Tx& tx) -> Result<bool> {
          auto n = RowView(tx.query("SELECT n FROM counter WHERE id = 1" + std::string(tx.lock_suffix())), 0).integer("n");
          tx.exec("UPDATE counter SET n = :n WHERE id = 1", {{"n", n + 1}});
          return true;
        });
        if (!done) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto n = db_->read<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    return RowView(tx.query("SELECT n FROM counter"), 0).integer("n");
  });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, kThreads * kEach);
}

// Every statement of a read transaction sees the snapshot of its first: a row committed
// by another connection in between is not seen until the next transaction.
TEST_P(DatabaseTest, AReadTransactionSeesOneSnapshot) {
  ASSERT_TRUE(db_->migrate());
  ASSERT_TRUE(insert_workspace("ws1", "one"));
  auto count = [](Tx& tx) { return RowView(tx.query("SELECT COUNT(*) AS n FROM workspaces"), 0).integer("n"); };
  auto seen = db_->read<std::pair<std::int64_t, std::int64_t>>([&](Tx& tx) -> Result<std::pair<std::int64_t, std::int64_t>> {
    std::int64_t before = count(tx);
    // From another thread, so that it commits on another pooled connection.
    std::thread writer([&] { EXPECT_TRUE(insert_workspace("ws2", "two")); });
    writer.join();
    return std::make_pair(before, count(tx));
  });
  ASSERT_TRUE(seen) << seen.error().log;
  EXPECT_EQ(seen->first, 1);
  EXPECT_EQ(seen->second, 1);
  auto after = db_->read<std::int64_t>([&](Tx& tx) -> Result<std::int64_t> { return count(tx); });
  EXPECT_EQ(*after, 2);
}

TEST(DatabaseOpen, RefusesUnknownUrls) {
  auto bad = Database::open("mysql://x", 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "db");
  EXPECT_EQ(Database::open("postgres://u:secret@127.0.0.1:1/x", 1).error().log.find("secret"), std::string::npos);
  EXPECT_EQ(Database::open("postgres://u@127.0.0.1:1/x?password=secret", 1).error().log.find("secret"),
            std::string::npos);
}

TEST(DatabaseLog, PasswordsInAUrlAreMasked) {
  struct Case {
    const char* url;
    const char* logged;
  };
  const Case cases[] = {
      {"sqlite:data/settle.db", "sqlite:data/settle.db"},
      {"postgres://h/db", "postgres://h/db"},
      {"postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db"},
      {"postgres://u@h/db", "postgres://u@h/db"},
      {"postgres://h/db?password=secret&sslmode=require", "postgres://h/db?password=***&sslmode=require"},
      {"postgres://h/db?sslmode=require&password=secret", "postgres://h/db?sslmode=require&password=***"},
      {"postgresql://u:a@b@h/db?PASSWORD=x&sslpassword=y#f", "postgresql://u:***@h/db?PASSWORD=***&sslpassword=***#f"},
      {"postgres://u:secret@h/db?password=other", "postgres://u:***@h/db?password=***"},
      {"postgres://h:5432?user=a@b&password=", "postgres://h:5432?user=a@b&password=***"},
      {"postgres://h/db?passwordless", "postgres://h/db?passwordless"},
  };
  for (const auto& c : cases) EXPECT_EQ(redact_url(c.url), c.logged) << c.url;
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::store

namespace settle::store {
namespace {

TEST(DatabaseErrors, BoundValuesNeverReachTheLogMessage) {
  auto path = std::filesystem::temp_directory_path() / ("settle-store-log-" + std::to_string(::getpid()) + ".db");
  auto db = *Database::open("sqlite:" + path.string(), 1);
  auto r = db->write<bool>([](Tx& tx) -> Result<bool> {
    tx.exec("INSERT INTO missing_table (x) VALUES (:secret)", {{"secret", std::string("whsec_do_not_log")}});
    return true;
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().log.find("whsec_do_not_log"), std::string::npos) << r.error().log;
  db.reset();
  for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + ext);
}

}  // namespace
}  // namespace settle::store
