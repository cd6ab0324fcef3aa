#include "common/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace settle {
namespace {

TEST(EscapeControlCharacters, Table) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"plain text", "plain text"},
      {"two\nlines", "two\\nlines"},
      {"cr\rlf\n", "cr\\rlf\\n"},
      {"tab\there", "tab\\there"},
      {"\x1b[31mred", "\\x1b[31mred"},
      {std::string("nul\0byte", 8), "nul\\x00byte"},
      {"del\x7f", "del\\x7f"},
      {"caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"},  // UTF-8 stays readable
      {"a\\b", "a\\b"},
  };
  for (const auto& c : cases) EXPECT_EQ(escape_control_characters(c.in), c.out) << c.in;
}

TEST(InstallLogFormat, AForgedLineStaysOnOneLine) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>("escape-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  install_log_format();
  spdlog::info("login failed for {}", "eve@example.com\n2026-01-01T00:00:00.000 info admin signed in");
  spdlog::set_default_logger(previous);
  std::string line = out.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find("eve@example.com\\n2026-01-01"), std::string::npos) << line;
}

}  // namespace
}  // namespace settle
