// The one place where the error vocabulary meets HTTP: status codes and the JSON error body
// {"error":{"code","message","field"[,"details"]}}. Internal errors are logged with their
// log message; the client sees only the safe message.
#pragma once

#include "common/error.hpp"
#include "net/http.hpp"

namespace settle::http {

int http_status(ErrorCode code);
net::Response error_response(const Error& error);

}  // namespace settle::http
