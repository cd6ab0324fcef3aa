// A blocking HTTP client on libcurl for outgoing calls (Stripe's API, webhook delivery,
// tests driving the server over loopback). One call, one easy handle; thread-safe.
#pragma once

#include <string>

#include "common/error.hpp"
#include "net/http.hpp"

namespace settle::net {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  long timeout_ms = 30000;
  long connect_timeout_ms = 5000;
};

struct ClientResponse {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  std::string_view header(std::string_view name) const;
};

// Transport failures (refused, timeout, DNS) are an Error with code Upstream whose log
// names the curl error; any HTTP status, 5xx included, is a successful ClientResponse.
Result<ClientResponse> perform(const ClientRequest& request);

// Call once before starting threads (curl_global_init is not thread-safe).
void global_init();

}  // namespace settle::net
