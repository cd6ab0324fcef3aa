#include "store/test_database.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace settle::store {
namespace {

TEST(IsTestDatabase, Table) {
  std::string tmp = std::filesystem::temp_directory_path().string();
  struct Case {
    std::string url;
    bool test;
  } cases[] = {
      {"sqlite:" + tmp + "/settle-e2e-1.db", true},
      {"sqlite:" + tmp + "/a/b/settle.db", true},
      {"sqlite:" + tmp + "/../etc/settle.db", false},
      {"sqlite:" + tmp, false},
      {"sqlite:/srv/settle/data/settle.db", false},  // (a relative path counts where it resolves)
      {"sqlite:/var/lib/settle/settle.db", false},
      {"postgresql://settle@127.0.0.1:45432/test_e2e", true},
      {"postgres://u:pw@localhost/test_webhooks_ab12?sslmode=disable", true},
      {"postgres://u@[::1]:5432/testing", true},
      {"postgres://u@127.0.0.1:5432/settle", false},
      {"postgres://u@db.example.com:5432/test_x", false},
      {"postgres://u@10.0.0.5/test_x", false},
      {"mysql://127.0.0.1/test", false},
  };
  for (const auto& c : cases) EXPECT_EQ(is_test_database(c.url), c.test) << c.url;
}

}  // namespace
}  // namespace settle::store
