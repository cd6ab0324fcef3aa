// Cursor pagination (see pagination.hpp).
#include "sandbox/pagination.hpp"

#include <algorithm>

#include "sandbox/api_error.hpp"
#include "sandbox/form.hpp"

namespace settle::sandbox {

bool CreatedRange::contains(std::int64_t created) const {
  return (!gt || created > *gt) && (!gte || created >= *gte) && (!lt || created < *lt) && (!lte || created <= *lte);
}

ListParams parse_list_params(const nlohmann::json& params) {
  ListParams out;
  if (auto limit = get_integer(params, "limit")) {
    if (*limit < 1 || *limit > 100)
      throw invalid_param("limit", "This value must be greater than or equal to 1 and less than or equal to 100.");
    out.limit = *limit;
  }
  out.starting_after = get_string(params, "starting_after").value_or("");
  out.ending_before = get_string(params, "ending_before").value_or("");
  if (!out.starting_after.empty() && !out.ending_before.empty())
    throw invalid_param("ending_before", "You may only specify one of these parameters: ending_before, starting_after.");
  if (params.is_object() && params.contains("created")) {
    CreatedRange range;
    if (params["created"].is_object()) {
      const auto& c = params["created"];
      for (auto& [k, v] : c.items())
        if (k != "gt" && k != "gte" && k != "lt" && k != "lte") throw unknown_param("created[" + k + "]");
      range.gt = get_integer(c, "gt", "created[gt]");
      range.gte = get_integer(c, "gte", "created[gte]");
      range.lt = get_integer(c, "lt", "created[lt]");
      range.lte = get_integer(c, "lte", "created[lte]");
    } else {
      auto exact = get_integer(params, "created");
      range.gte = exact;
      range.lte = exact;
    }
    out.created = range;
  }
  return out;
}

std::optional<Page> paginate(const std::vector<std::string>& newest_first,
                             const std::function<bool(const std::string&)>& include, const ListParams& params) {
  Page page;
  const auto n = static_cast<std::ptrdiff_t>(newest_first.size());
  auto position = [&](const std::string& id) -> std::optional<std::ptrdiff_t> {
    auto it = std::find(newest_first.begin(), newest_first.end(), id);
    if (it == newest_first.end()) return std::nullopt;
    return it - newest_first.begin();
  };
  if (!params.ending_before.empty()) {
    auto cursor = position(params.ending_before);
    if (!cursor) return std::nullopt;
    // Walk towards newer objects, nearest to the cursor first, then restore newest-first order.
    for (std::ptrdiff_t i = *cursor - 1; i >= 0; --i) {
      if (!include(newest_first[i])) continue;
      if (static_cast<std::int64_t>(page.ids.size()) == params.limit) {
        page.has_more = true;
        break;
      }
      page.ids.push_back(newest_first[i]);
    }
    std::reverse(page.ids.begin(), page.ids.end());
    return page;
  }
  std::ptrdiff_t start = 0;
  if (!params.starting_after.empty()) {
    auto cursor = position(params.starting_after);
    if (!cursor) return std::nullopt;
    start = *cursor + 1;
  }
  for (std::ptrdiff_t i = start; i < n; ++i) {
    if (!include(newest_first[i])) continue;
    if (static_cast<std::int64_t>(page.ids.size()) == params.limit) {
      page.has_more = true;
      break;
    }
    page.ids.push_back(newest_first[i]);
  }
  return page;
}

}  // namespace settle::sandbox
