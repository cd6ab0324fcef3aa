// Records::list over a real database (SQLite, and PostgreSQL when SETTLE_TEST_PG names a
// server): keyset paging walks every record once in each direction whatever the ordering,
// totalCount stops at kExactCountLimit and says so, and the trigram-served search finds
// exactly what the plain LIKE finds, through inserts, edits and numbering.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "crm/accounts.hpp"
#include "crm/objects.hpp"
#include "crm/records.hpp"

namespace settle::crm {
namespace {

using nlohmann::json;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

class RecordsListTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string tag = std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : tag)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    std::string url;
    if (GetParam() == "sqlite") {
      path_ = std::filesystem::temp_directory_path() / ("settle-lists-" + tag + ".db");
      url = "sqlite:" + path_.string();
    } else {
      const char* pg = std::getenv("SETTLE_TEST_PG");
      if (!pg || !*pg) GTEST_SKIP() << "SETTLE_TEST_PG not set";
      dbname_ = "lists_" + tag;
      for (auto& c : dbname_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      admin("DROP DATABASE IF EXISTS " + dbname_);
      admin("CREATE DATABASE " + dbname_);
      std::string base = pg;
      url = base.substr(0, base.rfind('/') + 1) + dbname_;
    }
    auto db = store::Database::open(url, 2);
    ASSERT_TRUE(db) << db.error().log;
    db_ = *db;
    ASSERT_TRUE(db_->migrate());
    accounts_ = std::make_shared<Accounts>(db_, AccountsOptions::without_mail(PasswordHashCost::MinimalForTests));
    records_ = std::make_shared<Records>(db_);
    auto ws = accounts_->create_workspace("Alpha", "alpha", "admin@alpha.test", std::string("password-123"));
    ASSERT_TRUE(ws);
    a_ = Actor{ws->workspace_id, ws->user_id, "admin@alpha.test", Role::Admin};
  }
  void TearDown() override {
    records_.reset();
    accounts_.reset();
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

  json make(const char* object, const json& body) {
    auto r = records_->create(a_, *find_object(object), body);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : json();
  }
  Page list(const char* object, const QueryParams& params) {
    auto q = store::parse_list_query(find_object(object)->spec, params);
    EXPECT_TRUE(q) << (q ? "" : q.error().message);
    if (!q) return {};
    auto page = records_->list(a_, *find_object(object), *q);
    EXPECT_TRUE(page) << (page ? "" : page.error().message + " / " + page.error().log);
    return page ? *page : Page{};
  }
  static std::vector<std::string> ids(const Page& p) {
    std::vector<std::string> out;
    for (const auto& r : p.records) out.push_back(r["id"]);
    return out;
  }

  std::filesystem::path path_;
  std::string dbname_;
  std::shared_ptr<store::Database> db_;
  std::shared_ptr<Accounts> accounts_;
  std::shared_ptr<Records> records_;
  Actor a_;
};

TEST_P(RecordsListTest, KeysetPagingWalksEveryRecordOnceInEachDirection) {
  const std::string company = make("companies", {{"name", "Acme"}})["id"];
  // Totals with ties, due dates with ties and NULLs, three statuses.
  for (int i = 0; i < 23; ++i) {
    json body = {{"companyId", company},
                 {"lineItems", json::array({{{"description", "Work"}, {"quantity", 1}, {"unitAmount", 100 + 100 * (i % 5)}}})}};
    if (i % 4 != 0) body["dueDate"] = "2027-0" + std::to_string(1 + i % 3) + "-15";
    auto inv = make("invoices", body);
    if (i % 3 == 0 && body.contains("dueDate")) {
      auto done = records_->act(a_, *find_object("invoices"), inv["id"].get<std::string>(), "finalize", json::object());
      ASSERT_TRUE(done) << done.error().message;
    }
  }
  for (const char* order : {"total[DescNullsLast]", "total[AscNullsFirst]", "dueDate[AscNullsFirst]",
                            "dueDate[DescNullsLast]", "dueDate[AscNullsLast]", "dueDate[DescNullsFirst]",
                            "createdAt[DescNullsLast]", "status[AscNullsFirst]", "invoiceNumber[DescNullsLast]"}) {
    SCOPED_TRACE(order);
    const Page all = list("invoices", {{"order_by", order}, {"limit", "200"}});
    ASSERT_EQ(all.records.size(), 23u);
    EXPECT_TRUE(all.total_count_exact);

    std::vector<std::string> forward;
    Page page = list("invoices", {{"order_by", order}, {"limit", "5"}});
    for (int guard = 0; guard < 10; ++guard) {
      for (auto& id : ids(page)) forward.push_back(id);
      if (!page.has_next_page) break;
      page = list("invoices", {{"order_by", order}, {"limit", "5"}, {"starting_after", *page.end_cursor}});
    }
    EXPECT_EQ(forward, ids(all));

    std::vector<std::string> backward = ids(page);  // the last page, then ending_before back to the first
    for (int guard = 0; guard < 10 && page.has_previous_page; ++guard) {
      page = list("invoices", {{"order_by", order}, {"limit", "5"}, {"ending_before", *page.start_cursor}});
      auto before = ids(page);
      backward.insert(backward.begin(), before.begin(), before.end());
    }
    EXPECT_EQ(backward, ids(all));
  }
}

TEST_P(RecordsListTest, TotalCountStopsAtTheLimitAndSaysSo) {
  // kExactCountLimit + 1 companies in one statement (the API would take a minute).
  auto made = db_->write<int>([&](store::Tx& tx) -> Result<int> {
    tx.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
            "INSERT INTO companies (workspace_id, id, created_at, updated_at, name) "
            "SELECT :ws, 'com_' || CAST(i AS TEXT), :at1, :at2, 'Customer ' || CAST(i AS TEXT) FROM n",
            {{"count", kExactCountLimit + 1}, {"ws", a_.workspace_id}, {"at1", std::string("2026-01-01T00:00:00.000Z")},
             {"at2", std::string("2026-01-01T00:00:00.000Z")}});
    return 0;
  });
  ASSERT_TRUE(made) << made.error().log;

  const Page all = list("companies", {{"limit", "10"}});
  EXPECT_EQ(all.total_count, kExactCountLimit);
  EXPECT_FALSE(all.total_count_exact);
  EXPECT_EQ(all.records.size(), 10u);

  const Page some = list("companies", {{"filter", "name[startsWith]:Customer 100"}});  // 100, 1000-1009, 10000, 10001
  EXPECT_EQ(some.total_count, 13);
  EXPECT_TRUE(some.total_count_exact);

  // Exactly at the limit is still exact.
  ASSERT_TRUE(records_->remove(a_, *find_object("companies"), "com_1"));
  const Page at_limit = list("companies", {{"limit", "1"}});
  EXPECT_EQ(at_limit.total_count, kExactCountLimit);
  EXPECT_TRUE(at_limit.total_count_exact);
}

TEST_P(RecordsListTest, SearchFindsWhatThePlainLikeFinds) {
  const std::string company = make("companies", {{"name", "Acme"}})["id"];
  auto invoice = [&](const std::string& notes) {
    return make("invoices", {{"companyId", company},
                             {"notes", notes},
                             {"lineItems", json::array({{{"description", "Work"}, {"quantity", 1}, {"unitAmount", 100}}})}});
  };
  const json upper = invoice("Laser Calibration");
  const json lower = invoice("laser repair");
  const json percent = invoice("100% done");
  const json underscore = invoice("under_score");
  invoice("nothing to see");
  using Ids = std::vector<std::string>;
  // As sets: the invoices are made within a millisecond or two of each other.
  auto found = [&](const std::string& filter) {
    auto out = ids(list("invoices", {{"filter", filter}}));
    std::sort(out.begin(), out.end());
    return out;
  };
  auto set = [](Ids v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(found("notes[ilike]:\"%laser%\""), set({upper["id"], lower["id"]}));
  EXPECT_EQ(found("notes[like]:\"%Laser%\""), set({upper["id"]}));  // like keeps case
  EXPECT_EQ(found("notes[ilike]:\"%ER%\""), set({upper["id"], lower["id"], underscore["id"]}));  // two letters
  EXPECT_EQ(found("notes[ilike]:\"%0\\\\%%\""), set({percent["id"]}));   // an escaped wildcard
  EXPECT_EQ(found("notes[ilike]:\"%r_s%\""), set({underscore["id"]}));  // _ is any one character
  EXPECT_EQ(found("notes[ilike]:\"%calibration%\""), set({upper["id"]}));
  EXPECT_TRUE(found("notes[ilike]:\"%laser calibration done%\"").empty());

  // An edit moves the invoice from the old text's results to the new one's.
  ASSERT_TRUE(records_->update(a_, *find_object("invoices"), lower["id"].get<std::string>(), {{"notes", "fibre optics"}}));
  EXPECT_EQ(found("notes[ilike]:\"%laser%\""), set({upper["id"]}));
  EXPECT_EQ(found("notes[ilike]:\"%fibre%\""), set({lower["id"]}));

  // The number a draft gets when it is finalized is found; drafts have none.
  auto done = records_->act(a_, *find_object("invoices"), percent["id"].get<std::string>(), "finalize", json::object());
  ASSERT_TRUE(done);
  const std::string number = (*done)["invoiceNumber"];
  EXPECT_EQ(found("invoiceNumber[ilike]:\"%" + number.substr(4) + "%\""), set({percent["id"]}));
  EXPECT_EQ(found("or(invoiceNumber[ilike]:\"%inv-%\",notes[ilike]:\"%optics%\")"),
            set({lower["id"], percent["id"]}));

  // Hidden once deleted, back once restored.
  ASSERT_TRUE(records_->remove(a_, *find_object("invoices"), upper["id"].get<std::string>()));
  EXPECT_TRUE(found("notes[ilike]:\"%calibration%\"").empty());
  ASSERT_TRUE(records_->restore(a_, *find_object("invoices"), upper["id"].get<std::string>()));
  EXPECT_EQ(found("notes[ilike]:\"%calibration%\""), set({upper["id"]}));
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordsListTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::crm
