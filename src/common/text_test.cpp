#include "common/text.hpp"

#include <gtest/gtest.h>

namespace settle {
namespace {

TEST(AsciiLower, Table) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"Admin@LVNlaser.COM", "admin@lvnlaser.com"},
      {"Content-Type", "content-type"},
      {"USD", "usd"},
      {"already lower 123", "already lower 123"},
      {"", ""},
      {"\xC3\x89T\xC3\x89", "\xC3\x89t\xC3\x89"},  // bytes of UTF-8 text are left alone
  };
  for (const auto& c : cases) EXPECT_EQ(ascii_lower(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace settle
