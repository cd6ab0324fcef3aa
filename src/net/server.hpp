// An HTTP/1.1 server: a couple of I/O threads parse requests (Boost.Beast, confined to
// server.cpp) and hand each one to a bounded worker pool that runs the handler, so
// blocking work never stalls the I/O threads. Keep-alive, body and header limits, 503
// when the pool's queue is full, 413 when a body exceeds max_body.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/http.hpp"

namespace settle::net {

using Handler = std::function<Response(Request&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0 picks a free port (see Server::port)
  size_t io_threads = 2;
  size_t worker_threads = 8;
  size_t max_queue = 4096;
  size_t max_body = 1 << 20;  // bytes
  int idle_timeout_seconds = 60;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the threads; throws std::runtime_error if the port cannot be bound.
  void start();
  unsigned short port() const;
  // Stops accepting, finishes in-flight work, joins threads. Idempotent.
  void stop();
  // Blocks until stop() is called (from another thread or a signal handler thread).
  void wait();

  struct Impl;  // public only so that server.cpp's connection class can name it

 private:
  std::unique_ptr<Impl> impl_;
};

// Blocks until SIGINT or SIGTERM arrives.
void wait_for_termination_signal();

}  // namespace settle::net
