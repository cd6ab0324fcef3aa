// Cursor pagination over ids ordered newest first.
#include <gtest/gtest.h>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"
#include "sandbox/pagination.hpp"

namespace settle::sandbox {
namespace {

std::vector<std::string> ids(int n) {  // "o9" (newest) ... "o0" (oldest)
  std::vector<std::string> out;
  for (int i = n - 1; i >= 0; --i) out.push_back("o" + std::to_string(i));
  return out;
}

TEST(Paginate, CursorsAndLimits) {
  auto all = [](const std::string&) { return true; };
  auto even = [](const std::string& id) { return (id.back() - '0') % 2 == 0; };
  struct Case {
    const char* query;
    std::function<bool(const std::string&)> include;
    std::vector<std::string> expected;
    bool has_more;
  } cases[] = {
      {"limit=3", all, {"o9", "o8", "o7"}, true},
      {"limit=3&starting_after=o7", all, {"o6", "o5", "o4"}, true},
      {"limit=3&starting_after=o3", all, {"o2", "o1", "o0"}, false},
      {"starting_after=o0", all, {}, false},
      {"limit=3&ending_before=o3", all, {"o6", "o5", "o4"}, true},
      {"limit=3&ending_before=o7", all, {"o9", "o8"}, false},
      {"", all, {"o9", "o8", "o7", "o6", "o5", "o4", "o3", "o2", "o1", "o0"}, false},
      {"limit=2", even, {"o8", "o6"}, true},
      // A cursor that the filter excludes still marks a position.
      {"limit=2&starting_after=o5", even, {"o4", "o2"}, true},
      {"limit=2&ending_before=o3", even, {"o6", "o4"}, true},
  };
  for (const auto& c : cases) {
    auto page = paginate(ids(10), c.include, parse_list_params(decode_form(c.query)));
    ASSERT_TRUE(page) << c.query;
    EXPECT_EQ(page->ids, c.expected) << c.query;
    EXPECT_EQ(page->has_more, c.has_more) << c.query;
  }
  EXPECT_FALSE(paginate(ids(3), all, parse_list_params(decode_form("starting_after=nope"))));
}

TEST(ListParams, ValidatesLikeStripe) {
  for (const char* bad : {"limit=0", "limit=101", "limit=x", "starting_after=a&ending_before=b", "created[gte]=x",
                          "created[after]=1"})
    EXPECT_THROW(parse_list_params(decode_form(bad)), ApiError) << bad;
  auto p = parse_list_params(decode_form("created[gte]=100&created[lt]=200"));
  ASSERT_TRUE(p.created);
  EXPECT_TRUE(p.created->contains(100));
  EXPECT_TRUE(p.created->contains(199));
  EXPECT_FALSE(p.created->contains(200));
  EXPECT_FALSE(p.created->contains(99));
  auto exact = parse_list_params(decode_form("created=150"));
  EXPECT_TRUE(exact.created->contains(150));
  EXPECT_FALSE(exact.created->contains(151));
}

}  // namespace
}  // namespace settle::sandbox
