// Stripe's cursor pagination, as a pure function over ids ordered newest first:
// `limit` (1..100, default 10), `starting_after` (the page after that object, i.e.
// older ones), `ending_before` (the page just before it, i.e. newer ones, still listed
// newest first) and `created` filters (created=N or created[gt|gte|lt|lte]=N).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace settle::sandbox {

struct CreatedRange {
  std::optional<std::int64_t> gt, gte, lt, lte;
  bool contains(std::int64_t created) const;
};

struct ListParams {
  std::int64_t limit = 10;
  std::string starting_after;
  std::string ending_before;
  std::optional<CreatedRange> created;
};

// Reads limit/starting_after/ending_before/created; throws ApiError on bad values
// (limit out of range, both cursors given, a non-integer bound).
ListParams parse_list_params(const nlohmann::json& params);

struct Page {
  std::vector<std::string> ids;  // newest first
  bool has_more = false;         // more objects past the page in the direction of travel
};

// One page of the ids for which `include` is true. A cursor that is not among
// `newest_first` yields nullopt (the caller answers "No such <object>").
std::optional<Page> paginate(const std::vector<std::string>& newest_first,
                             const std::function<bool(const std::string&)>& include, const ListParams& params);

}  // namespace settle::sandbox
