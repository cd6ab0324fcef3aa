// The real `settle` binary (SETTLE_BINARY) as a child process, for the suites that kill it
// with SIGKILL and start it again (crash_test, workflow_crash_test), and a free loopback port
// to serve it on.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "net/client.hpp"

namespace settle::testing {

inline unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// One `settle` process with its environment; output goes to `log`.
class SettleProcess {
 public:
  SettleProcess(std::vector<std::string> args, std::vector<std::string> env, std::string log)
      : args_(std::move(args)), env_(std::move(env)), log_(std::move(log)) {}
  ~SettleProcess() { kill(SIGTERM); }

  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* out = std::fopen(log_.c_str(), "a");
      if (out) {
        ::dup2(fileno(out), 1);
        ::dup2(fileno(out), 2);
      }
      for (const auto& e : env_) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv{const_cast<char*>(SETTLE_BINARY)};
      for (auto& a : args_) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SETTLE_BINARY, argv.data());
      std::_Exit(127);
    }
  }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  std::vector<std::string> args_, env_;
  std::string log_;
  pid_t pid_ = -1;
};

// Whether `base` answers GET /healthz with 200 within `limit` (a started server listens).
inline bool wait_until_healthy(const std::string& base, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    net::ClientRequest req;
    req.url = base + "/healthz";
    req.timeout_ms = 500;
    auto r = net::perform(req);
    if (r && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// One request to the server at `base` with an API key; nullopt when no answer came (the
// process was killed, or is not back yet).
inline std::optional<Reply> call_settle(const std::string& base, const std::string& key, const std::string& method,
                                        const std::string& path, const json& body, long timeout_ms) {
  net::ClientRequest req;
  req.method = method;
  req.url = base + path;
  req.timeout_ms = timeout_ms;
  req.headers.emplace_back("Authorization", "Bearer " + key);
  if (!body.is_null()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  auto r = net::perform(req);
  if (!r) return std::nullopt;
  return Reply{r->status, json::parse(r->body, nullptr, false), r->body, r->headers};
}

}  // namespace settle::testing
