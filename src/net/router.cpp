#include "net/router.hpp"

#include <algorithm>

namespace settle::net {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_capture(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Entry e;
  e.method = std::move(method);
  e.pattern = std::move(pattern);
  for (auto seg : split_path(e.pattern)) {
    e.segments.emplace_back(seg);
    if (!is_capture(e.segments.back()) && e.segments.back() != "*") ++e.literal_count;
  }
  e.handler = std::move(handler);
  entries_.push_back(std::move(e));
  // More literal segments first, so "/rest/quotes/{id}/accept" beats "/rest/{object}/{id}/{action}".
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    bool a_wild = !a.segments.empty() && a.segments.back() == "*";
    bool b_wild = !b.segments.empty() && b.segments.back() == "*";
    if (a_wild != b_wild) return !a_wild;
    return a.literal_count > b.literal_count;
  });
}

Router::Match Router::match(Request& request) const {
  auto parts = split_path(request.path);
  Match result;
  for (const auto& e : entries_) {
    bool wildcard = !e.segments.empty() && e.segments.back() == "*";
    size_t fixed = wildcard ? e.segments.size() - 1 : e.segments.size();
    if (wildcard ? parts.size() < fixed : parts.size() != fixed) continue;
    bool ok = true;
    for (size_t i = 0; i < fixed && ok; ++i)
      ok = is_capture(e.segments[i]) || e.segments[i] == parts[i];
    if (!ok) continue;
    if (e.method != request.method && !(request.method == "HEAD" && e.method == "GET")) {
      if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(), e.method) ==
          result.allowed_methods.end())
        result.allowed_methods.push_back(e.method);
      continue;
    }
    request.params.clear();
    for (size_t i = 0; i < fixed; ++i)
      if (is_capture(e.segments[i]))
        request.params.emplace(e.segments[i].substr(1, e.segments[i].size() - 2), std::string(parts[i]));
    if (wildcard) {
      std::string rest;
      for (size_t i = fixed; i < parts.size(); ++i) {
        if (!rest.empty()) rest.push_back('/');
        rest.append(parts[i]);
      }
      request.params.emplace("*", std::move(rest));
    }
    result.outcome = Outcome::Found;
    result.handler = &e.handler;
    return result;
  }
  result.outcome = result.allowed_methods.empty() ? Outcome::NotFound : Outcome::MethodNotAllowed;
  return result;
}

std::vector<Router::Route> Router::routes() const {
  std::vector<Route> out;
  for (const auto& e : entries_) out.push_back({e.method, e.pattern});
  return out;
}

}  // namespace settle::net
