// The `settle` binary's administration commands, run as a user would, on a real SQLite file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "harness.hpp"

namespace settle::testing {
namespace {

struct Run {
  int code;
  json out;
  std::string raw;
};

Run settle_cli(const std::string& args) {
  std::string cmd = std::string(SETTLE_BINARY) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return {WEXITSTATUS(status), json::parse(out, nullptr, false), out};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = std::filesystem::temp_directory_path() / ("settle-cli-" + std::to_string(::getpid()) + ".db");
    db = "--db sqlite:" + path.string();
    setenv("SETTLE_INSECURE_FAST_PASSWORD_HASH", "1", 1);
    // `demo` seals its outbox mail under the master key; keep the test's key out of data/.
    crypto_init();
    setenv("SETTLE_MASTER_KEY", generate_master_key().c_str(), 1);
  }
  void TearDown() override {
    unsetenv("SETTLE_MASTER_KEY");
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + ext);
  }
  std::filesystem::path path;
  std::string db;
};

TEST_F(CliTest, WorkspaceUsersKeysAndRoles) {
  auto ws = settle_cli("workspace create " + db + " --name 'LVN Laser' --subdomain lvn --admin-email boss@lvnlaser.com");
  ASSERT_EQ(ws.code, 0) << ws.raw;
  EXPECT_EQ(ws.out["apiKey"].get<std::string>().rfind("sk_settle_", 0), 0u);
  EXPECT_FALSE(ws.out["workspaceId"].get<std::string>().empty());
  EXPECT_EQ(settle_cli("workspace create " + db + " --name X --subdomain lvn --admin-email a@b.com").code, 1);
  EXPECT_EQ(settle_cli("workspace create " + db + " --name X --subdomain 'Bad Sub' --admin-email a@b.com").code, 1);

  auto user = settle_cli("user add " + db + " --workspace lvn --email Tech@LVNlaser.com --password 'long enough'");
  ASSERT_EQ(user.code, 0) << user.raw;
  EXPECT_EQ(user.out["role"], "MEMBER");
  EXPECT_EQ(user.out["email"], "tech@lvnlaser.com");

  // The last ADMIN cannot be demoted; promoting someone else first makes it possible.
  EXPECT_EQ(settle_cli("member set-role " + db + " --email boss@lvnlaser.com --role MEMBER").code, 1);
  EXPECT_EQ(settle_cli("member set-role " + db + " --email tech@lvnlaser.com --role ADMIN").out["role"], "ADMIN");
  EXPECT_EQ(settle_cli("member set-role " + db + " --email boss@lvnlaser.com --role MEMBER").out["role"], "MEMBER");
  EXPECT_EQ(settle_cli("member set-role " + db + " --email boss@lvnlaser.com --role OWNER").code, 2);

  auto key = settle_cli("apikey create " + db + " --workspace lvn --name zapier --role MEMBER");
  ASSERT_EQ(key.code, 0) << key.raw;
  EXPECT_EQ(key.out["role"], "MEMBER");
  EXPECT_EQ(settle_cli("apikey create " + db + " --workspace nope --name x").code, 1);
  EXPECT_EQ(settle_cli("migrate " + db).out["schemaVersion"], store::latest_schema_version());
}

TEST_F(CliTest, DemoSeedsEveryQuoteStatusOnceAndIsIdempotent) {
  auto first = settle_cli("demo " + db);
  ASSERT_EQ(first.code, 0) << first.raw;
  EXPECT_TRUE(first.out["created"].get<bool>());
  auto second = settle_cli("demo " + db);
  ASSERT_EQ(second.code, 0) << second.raw;
  EXPECT_FALSE(second.out["created"].get<bool>());
  EXPECT_NE(first.out["apiKey"], second.out["apiKey"]);

  auto opened = store::Database::open("sqlite:" + path.string(), 1);
  ASSERT_TRUE(opened);
  auto statuses = (*opened)->read<std::vector<std::string>>([](store::Tx& tx) -> Result<std::vector<std::string>> {
    auto rows = tx.query("SELECT status FROM quotes ORDER BY quote_number");
    std::vector<std::string> out;
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(store::RowView(rows, i).text("status"));
    return out;
  });
  EXPECT_EQ(*statuses, (std::vector<std::string>{"Draft", "Open", "Accepted", "Expired", "Canceled"}));
  auto domain = (*opened)->read<std::string>([](store::Tx& tx) -> Result<std::string> {
    return store::RowView(tx.query("SELECT domain || ':' || status AS d FROM approved_domains"), 0).text("d");
  });
  EXPECT_EQ(*domain, "phos-ind.com:VALIDATED");
}

}  // namespace
}  // namespace settle::testing
