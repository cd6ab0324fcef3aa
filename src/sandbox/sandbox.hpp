// Settle's Stripe sandbox: a stateful, Stripe-compatible HTTP server for offline
// development, demos and tests (`settle stripe-sandbox --port 12111`). It speaks
// Stripe's wire format (form-encoded bracket parameters, JSON objects, list objects,
// errors, idempotency keys), keeps one account per test API key, takes test payments,
// sends signed webhooks, serves hosted invoice / quote / payment-link pages and offers a
// control API under /_sandbox/ (clock, fault injection). See docs/stripe-sandbox.md.
//
// It shares no code with Settle's Stripe client (src/stripe) on purpose, so that it
// cannot hide a bug of the client.
#pragma once

#include <memory>
#include <string>

namespace settle::sandbox {

struct Options {
  std::string address = "127.0.0.1";
  unsigned short port = 12111;  // 0 = pick a free port
  std::string state_path;       // empty = in memory only
};

class Core;

// An in-process sandbox (used by `settle stripe-sandbox` and by C++ end-to-end tests).
class Sandbox {
 public:
  explicit Sandbox(Options options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Binds and serves in background threads; throws std::runtime_error on bind failure
  // or an unreadable state file.
  void start();
  unsigned short port() const;
  // Stops serving and delivering webhooks; saves the state file. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `settle stripe-sandbox`: runs until SIGINT/SIGTERM, returns the exit code.
int run(const Options& options);

}  // namespace settle::sandbox
