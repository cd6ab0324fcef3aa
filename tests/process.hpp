// The real `settle` binary (SETTLE_BINARY) as a child process, for the suites that kill it
// with SIGKILL and start it again (crash_test, workflow_crash_test), and a free loopback port
// to serve it on.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

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

}  // namespace settle::testing
