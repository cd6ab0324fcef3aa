// Plain HTTP request/response values shared by the server, the router and the handlers.
// They carry no Beast types, so only server.cpp pays Beast's compile time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace settle::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;          // "GET", "POST", ...
  std::string target;          // as received: path plus query
  std::string path;            // percent-decoded path, no query
  std::string query;           // raw query string after '?', not decoded
  Headers headers;             // names lower-cased
  std::string body;
  std::string remote_address;  // peer IP
  std::map<std::string, std::string, std::less<>> params;  // path parameters filled by the Router

  // Value of a header (name compared case-insensitively), or empty.
  std::string_view header(std::string_view name) const;
  // Decoded query parameters in order of appearance ('+' means space).
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // First decoded query parameter of that name.
  std::optional<std::string> query_param(std::string_view name) const;
  std::string_view param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  bool close = false;  // close the connection after writing

  static Response json(int status, std::string body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  Response& set_header(std::string name, std::string value);  // replaces one of that name
  Response& add_header(std::string name, std::string value);  // another one (Set-Cookie)
  std::string_view header(std::string_view name) const;
};

// Percent-decoding; '+' becomes a space only when plus_is_space. Returns nullopt on a bad escape.
std::optional<std::string> url_decode(std::string_view in, bool plus_is_space);
// Percent-encoding of everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view in);
// Text made safe inside HTML text and attribute values (& < > " ').
std::string html_escape(std::string_view text);
// Parses "a=1&b=2" (application/x-www-form-urlencoded or a query string).
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view in);

}  // namespace settle::net
