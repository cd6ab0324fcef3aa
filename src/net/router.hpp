// Maps (method, path) to a handler. Patterns are '/'-separated segments; a segment
// "{name}" captures one path segment into Request::params, a final "*" captures the rest
// of the path into params["*"]. Literal segments win over captures.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/server.hpp"

namespace settle::net {

class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
  };
  enum class Outcome { Found, NotFound, MethodNotAllowed };
  struct Match {
    Outcome outcome = Outcome::NotFound;
    const Handler* handler = nullptr;
    std::vector<std::string> allowed_methods;  // when MethodNotAllowed
  };

  void add(std::string method, std::string pattern, Handler handler);
  // On Found, fills request.params and returns the handler.
  Match match(Request& request) const;
  std::vector<Route> routes() const;

 private:
  struct Entry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    int literal_count = 0;
    Handler handler;
  };
  std::vector<Entry> entries_;
};

}  // namespace settle::net
