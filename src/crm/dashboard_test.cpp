// The dashboard's figures over a real database (SQLite, and PostgreSQL when SETTLE_TEST_PG
// names a server), built through the same domain functions the API uses, as of a fixed day.
#include "crm/dashboard.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <filesystem>

#include "common/money.hpp"
#include "crm/accounts.hpp"
#include "crm/objects.hpp"
#include "crm/records.hpp"

namespace settle::crm {
namespace {

using nlohmann::json;

class DashboardTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string tag = std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : tag)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    std::string url;
    if (GetParam() == "sqlite") {
      path_ = std::filesystem::temp_directory_path() / ("settle-dashboard-" + tag + ".db");
      url = "sqlite:" + path_.string();
    } else {
      const char* pg = std::getenv("SETTLE_TEST_PG");
      if (!pg || !*pg) GTEST_SKIP() << "SETTLE_TEST_PG not set";
      dbname_ = "dashboard_" + tag;
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
    a_ = workspace("Alpha", "alpha");
    b_ = workspace("Beta", "beta");
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

  Actor workspace(const std::string& name, const std::string& sub) {
    auto ws = accounts_->create_workspace(name, sub, "admin@" + sub + ".test", std::string("password-123"));
    EXPECT_TRUE(ws);
    return Actor{ws->workspace_id, ws->user_id, "admin@" + sub + ".test", Role::Admin};
  }
  json make(const Actor& a, const char* object, const json& body) {
    auto r = records_->create(a, *find_object(object), body);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : json();
  }
  json act(const Actor& a, const char* object, const json& rec, const char* action) {
    auto r = records_->act(a, *find_object(object), rec["id"].get<std::string>(), action, json::object());
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : json();
  }
  static json lines(std::int64_t amount) { return json::array({{{"description", "Work"}, {"quantity", 1}, {"unitAmount", amount}}}); }
  // An open invoice issued on `issued`, due on `due`.
  json invoice(const Actor& a, const std::string& company, std::int64_t amount, const std::string& issued,
               const std::string& due) {
    auto inv = make(a, "invoices", {{"companyId", company}, {"lineItems", lines(amount)}, {"issueDate", issued}, {"dueDate", due}});
    return act(a, "invoices", inv, "finalize");
  }

  std::filesystem::path path_;
  std::string dbname_;
  std::shared_ptr<store::Database> db_;
  std::shared_ptr<Accounts> accounts_;
  std::shared_ptr<Records> records_;
  Actor a_, b_;
};

json find(const json& rows, const std::string& key, const std::string& value, const std::string& currency = "USD") {
  for (const auto& r : rows)
    if (r[key] == value && r["currency"] == currency) return r;
  return nullptr;
}

TEST_P(DashboardTest, FiguresOfOneWorkspaceAsOfADay) {
  const std::string company = make(a_, "companies", {{"name", "Acme"}})["id"];
  const std::string other = make(b_, "companies", {{"name", "Other"}})["id"];

  // Quotes: one draft, two open (one in EUR), one deleted open quote that must not count.
  make(a_, "quotes", {{"companyId", company}, {"lineItems", lines(1000)}});
  act(a_, "quotes", make(a_, "quotes", {{"companyId", company}, {"lineItems", lines(2000)}, {"taxAmount", 100}}), "finalize");
  act(a_, "quotes", make(a_, "quotes", {{"companyId", company}, {"currency", "EUR"}, {"lineItems", lines(700)}}), "finalize");
  auto gone = act(a_, "quotes", make(a_, "quotes", {{"companyId", company}, {"lineItems", lines(9999)}}), "finalize");
  ASSERT_TRUE(records_->remove(a_, *find_object("quotes"), gone["id"].get<std::string>()));
  act(b_, "quotes", make(b_, "quotes", {{"companyId", other}, {"lineItems", lines(5555)}}), "finalize");

  // Orders: one pending, one in progress, one fulfilled (not awaiting).
  make(a_, "orders", {{"companyId", company}, {"lineItems", lines(300)}});
  act(a_, "orders", make(a_, "orders", {{"companyId", company}, {"lineItems", lines(400)}}), "start");
  act(a_, "orders", make(a_, "orders", {{"companyId", company}, {"lineItems", lines(500)}}), "fulfill");

  // Receivables as of 2026-03-10: not yet due, 1 day, 30 days, 31 days, 90 and 91 days late.
  invoice(a_, company, 100, "2026-03-01", "2026-03-10");
  invoice(a_, company, 200, "2026-03-01", "2026-03-09");
  invoice(a_, company, 300, "2026-02-01", "2026-02-08");
  invoice(a_, company, 400, "2026-01-01", "2026-02-07");
  invoice(a_, company, 500, "2025-12-01", "2025-12-10");
  auto late = invoice(a_, company, 600, "2025-12-01", "2025-12-09");
  make(a_, "invoices", {{"companyId", company}, {"lineItems", lines(7777)}});  // a draft is not receivable
  invoice(b_, other, 8888, "2026-03-01", "2026-03-02");
  // A partial payment in March leaves 450 due on the 91-days-late invoice; one in February
  // and one in April are not "this month".
  ASSERT_TRUE(records_->create(a_, *find_object("payments"),
                               {{"invoiceId", late["id"]}, {"amount", 150}, {"receivedAt", "2026-03-02T10:00:00Z"}}));
  ASSERT_TRUE(records_->create(a_, *find_object("payments"),
                               {{"invoiceId", late["id"]}, {"amount", 50}, {"receivedAt", "2026-03-02T23:00:00Z"}}));
  auto paid = invoice(a_, company, 1000, "2026-01-01", "2026-01-31");
  ASSERT_TRUE(records_->create(a_, *find_object("payments"),
                               {{"invoiceId", paid["id"]}, {"amount", 1000}, {"receivedAt", "2026-02-27T10:00:00Z"}}));
  auto april = invoice(a_, company, 10, "2026-01-01", "2026-01-31");
  ASSERT_TRUE(records_->create(a_, *find_object("payments"),
                               {{"invoiceId", april["id"]}, {"amount", 10}, {"receivedAt", "2026-04-01T00:00:00Z"}}));

  auto d = dashboard(*db_, a_, "2026-03-10");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)["asOf"], "2026-03-10");
  EXPECT_EQ((*d)["currency"], "USD");

  EXPECT_EQ(find((*d)["openQuotes"], "currency", "USD", "USD")["total"], 2100);
  EXPECT_EQ(find((*d)["openQuotes"], "currency", "USD", "USD")["count"], 1);
  EXPECT_EQ(find((*d)["openQuotes"], "currency", "EUR", "EUR")["total"], 700);
  EXPECT_EQ(find((*d)["quotesByStatus"], "status", "Draft")["total"], 1000);

  EXPECT_EQ(find((*d)["ordersAwaitingFulfillment"], "status", "Pending Fulfillment")["total"], 300);
  EXPECT_EQ(find((*d)["ordersAwaitingFulfillment"], "status", "In Progress")["total"], 400);
  EXPECT_EQ((*d)["ordersAwaitingFulfillment"].size(), 2u);

  const json& r = (*d)["receivables"];
  EXPECT_EQ(find(r, "bucket", "current")["amountDue"], 100);
  EXPECT_EQ(find(r, "bucket", "1-30")["amountDue"], 200 + 300);
  EXPECT_EQ(find(r, "bucket", "1-30")["count"], 2);
  EXPECT_EQ(find(r, "bucket", "31-60")["amountDue"], 400);
  EXPECT_EQ(find(r, "bucket", "61-90")["amountDue"], 500);
  EXPECT_EQ(find(r, "bucket", "90+")["amountDue"], 600 - 200);
  EXPECT_EQ(r.size(), 5u);

  const json& p = (*d)["paymentsThisMonth"];
  EXPECT_EQ(p["since"], "2026-03-01T00:00:00.000Z");
  ASSERT_EQ(p["totals"].size(), 1u);
  EXPECT_EQ(p["totals"][0]["total"], 200);
  EXPECT_EQ(p["totals"][0]["count"], 2);
  ASSERT_EQ(p["byDay"].size(), 1u);
  EXPECT_EQ(p["byDay"][0]["date"], "2026-03-02");

  // The other workspace sees only its own.
  auto other_d = dashboard(*db_, b_, "2026-03-10");
  ASSERT_TRUE(other_d);
  EXPECT_EQ(find((*other_d)["openQuotes"], "currency", "USD")["total"], 5555);
  EXPECT_EQ(find((*other_d)["receivables"], "bucket", "1-30")["amountDue"], 8888);
  EXPECT_EQ(find((*other_d)["receivables"], "bucket", "current")["amountDue"], 0);
}

TEST_P(DashboardTest, EmptyWorkspaceHasEveryBucketAtZero) {
  auto d = dashboard(*db_, a_, "2026-12-31");
  ASSERT_TRUE(d);
  EXPECT_TRUE((*d)["openQuotes"].empty());
  EXPECT_EQ((*d)["receivables"].size(), 5u);
  EXPECT_EQ((*d)["paymentsThisMonth"]["since"], "2026-12-01T00:00:00.000Z");
  EXPECT_TRUE((*d)["paymentsThisMonth"]["totals"].empty());
}

// Figures past the cap on every amount Settle answers are an error, never a wrapped or
// rounded number: open quotes summed by SQL, and this month's payments summed day by day.
TEST_P(DashboardTest, SumsPastTheAmountCapAreAnErrorNotAWrongNumber) {
  const std::string company = make(a_, "companies", {{"name", "Big"}})["id"];
  for (const char* day : {"2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z"}) {
    auto inv = invoice(a_, company, kMaxAmount, "2026-03-01", "2026-03-31");
    ASSERT_TRUE(records_->create(a_, *find_object("payments"),
                                 {{"invoiceId", inv["id"]}, {"amount", kMaxAmount}, {"receivedAt", day}}));
  }
  auto payments = dashboard(*db_, a_, "2026-03-10");
  ASSERT_FALSE(payments);
  EXPECT_EQ(payments.error().code, ErrorCode::Internal);
  EXPECT_NE(payments.error().log.find("payments this month"), std::string::npos) << payments.error().log;

  for (int i = 0; i < 2; ++i)
    act(b_, "quotes", make(b_, "quotes", {{"companyId", make(b_, "companies", {{"name", "Q"}})["id"]},
                                          {"lineItems", lines(kMaxAmount)}}), "finalize");
  auto quotes = dashboard(*db_, b_, "2026-03-10");
  ASSERT_FALSE(quotes);
  EXPECT_EQ(quotes.error().code, ErrorCode::Internal);
  EXPECT_NE(quotes.error().log.find("quote total"), std::string::npos) << quotes.error().log;
}

INSTANTIATE_TEST_SUITE_P(Backends, DashboardTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::crm
