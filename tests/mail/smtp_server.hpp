// tests/mail/smtp_server.py (a real SMTP server on Debian's aiosmtpd) as a child process on a
// loopback port, for the mail unit tests and the end-to-end suites; stopped by SIGTERM when
// destroyed. Each message it accepts is saved as <maildir>/<n>.eml, byte for byte.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace settle::testing {

namespace smtp_fs = std::filesystem;

inline constexpr const char* kPython = "/usr/bin/python3";  // Debian's, which has aiosmtpd

inline std::string slurp(const smtp_fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One smtp_server.py; stopped by SIGTERM when destroyed. Its stderr goes to server.log in
// its maildir, which a failing test prints.
class SmtpServer {
 public:
  SmtpServer(const smtp_fs::path& maildir, std::vector<std::string> options) : maildir_(maildir) {
    smtp_fs::create_directories(maildir);
    std::vector<std::string> args{kPython, SETTLE_SOURCE_DIR "/tests/mail/smtp_server.py", "--port", "0",
                                  "--maildir", maildir.string()};
    args.insert(args.end(), options.begin(), options.end());
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      int log = ::open((maildir / "server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(out[1], 1);
      ::dup2(log, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(kPython, argv.data());
      std::_Exit(127);
    }
    ::close(out[1]);
    read_ready(out[0]);
    ::close(out[0]);
  }
  ~SmtpServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  std::string log() const { return slurp(maildir_ / "server.log"); }

 private:
  // "READY <port>\n", or nothing within 20 s (the port stays 0 and the test fails).
  void read_ready(int fd) {
    std::string line;
    pollfd p{fd, POLLIN, 0};
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 20000) == 1) {
      char buf[64];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    if (line.rfind("READY ", 0) == 0) port_ = std::atoi(line.c_str() + 6);
  }

  smtp_fs::path maildir_;
  pid_t pid_ = -1;
  int port_ = 0;
};


}  // namespace settle::testing
