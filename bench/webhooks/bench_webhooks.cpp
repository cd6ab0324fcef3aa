// bench_webhooks: the load generator of the webhook benchmark (scripts/bench_webhooks.sh
// drives it). It POSTs Stripe events the way Stripe delivers them: each one a distinct
// event (its own id) in a realistic body, signed for its delivery with a fresh
// `Stripe-Signature: t=<now>,v1=<HMAC-SHA256>` header (stripe::sign_payload), over
// keep-alive loopback connections, closed-loop (each connection sends its next request when
// the previous answer arrives), for an untimed warm-up and then a timed window.
//
//   bench_webhooks --url http://127.0.0.1:PORT/api/webhooks/stripe/SUB --secret whsec_...
//                  --fixture fixtures3.json --id-prefix evt_bench_x_ [--mode fresh|duplicate]
//                  [--connections 32] [--threads 1] [--warmup 3] [--seconds 10] [--pool 2000]
//
// --mode fresh: event ids prefix+0, prefix+1, ... never repeat: every request is a new
//   event to verify and store durably; every answer must be 200 with "duplicate":false.
// --mode duplicate: ids cycle through prefix+0 .. prefix+(pool-1), events a fresh run with
//   the same prefix already stored (re-signed, as Stripe signs each redelivery): every
//   answer must be 200 with "duplicate":true.
// Any other answer (status or body) counts as an error; a figure with errors is not valid.
//
// The body is an `invoice.paid` event whose data.object is Stripe's own invoice fixture
// (resources.invoice of stripe/openapi's fixtures3.json), pretty-printed as Stripe sends it.
// Prints one JSON object: {"mode","connections","seconds","requests","rps","p50Ms","p99Ms",
// "maxMs","errors","accepted" (answers of the expected kind over warm-up and window),
// "sent","bodyBytes","firstError"}.
#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto.hpp"
#include "stripe/webhook_signature.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::string_view kIdPlaceholder = "evt_BENCH_ID_PLACEHOLDER";

struct Config {
  std::string host, port, target, secret, id_prefix;
  bool duplicate = false;
  std::uint64_t pool = 2000;
  Clock::time_point measure_from, measure_until;
};

// The event body around its id: prefix + id + suffix.
struct Template {
  std::string before_id, after_id;
  std::string make(std::string_view id) const {
    std::string body;
    body.reserve(before_id.size() + id.size() + after_id.size());
    body.append(before_id).append(id).append(after_id);
    return body;
  }
};

Template load_template(const std::string& fixture_path) {
  std::ifstream in(fixture_path);
  if (!in) throw std::runtime_error("cannot read " + fixture_path);
  json fixtures = json::parse(in);
  json invoice = fixtures.at("resources").at("invoice");
  invoice["status"] = "paid";
  invoice["paid"] = true;
  // Key order as Stripe sends an event (nlohmann's json sorts keys; ordered_json keeps them).
  nlohmann::ordered_json event;
  event["id"] = kIdPlaceholder;
  event["object"] = "event";
  event["api_version"] = "2025-10-29.clover";
  event["created"] = 1763900000;
  event["data"] = {{"object", invoice}};
  event["livemode"] = false;
  event["pending_webhooks"] = 1;
  event["request"] = {{"id", nullptr}, {"idempotency_key", nullptr}};
  event["type"] = "invoice.paid";
  std::string text = event.dump(2);
  auto at = text.find(kIdPlaceholder);
  return {text.substr(0, at), text.substr(at + kIdPlaceholder.size())};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Stats {
  std::vector<std::uint32_t> latencies_us;  // requests completed inside the timed window
  std::uint64_t errors = 0;                 // unexpected answers or socket errors, whole run
  std::uint64_t accepted = 0;               // expected answers, whole run
  std::uint64_t sent = 0;
  std::string first_error;
  void error(std::string what) {
    ++errors;
    if (first_error.empty()) first_error = std::move(what);
  }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, const Config& config, const Template& tmpl, const tcp::resolver::results_type& ep,
             std::atomic<std::uint64_t>& counter, Stats& stats)
      : stream_(io), config_(config), tmpl_(tmpl), endpoints_(ep), counter_(counter), stats_(stats) {}

  void start() { connect(); }

 private:
  void connect() {
    stream_.async_connect(endpoints_, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        self->stats_.error("connect: " + ec.message());
        return;  // this connection stops; the others go on
      }
      self->stream_.socket().set_option(tcp::no_delay(true));
      self->send();
    });
  }

  void send() {
    auto now = Clock::now();
    if (now >= config_.measure_until) return;
    std::uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
    if (config_.duplicate) n %= config_.pool;
    std::string id = config_.id_prefix + std::to_string(n);
    req_ = {};
    req_.method(http::verb::post);
    req_.target(config_.target);
    req_.version(11);
    req_.set(http::field::host, config_.host + ":" + config_.port);
    req_.set(http::field::user_agent, "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
    req_.set(http::field::content_type, "application/json; charset=utf-8");
    req_.set(http::field::accept, "*/*; q=0.5, application/xml");
    req_.body() = tmpl_.make(id);
    req_.set("Stripe-Signature", settle::stripe::sign_payload(req_.body(), config_.secret, unix_now()));
    req_.prepare_payload();
    started_ = Clock::now();
    ++stats_.sent;
    stream_.expires_after(std::chrono::seconds(30));  // a stuck answer is an error, not a hang
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("write", ec);
      self->res_ = {};
      http::async_read(self->stream_, self->buffer_, self->res_, [self](beast::error_code ec, std::size_t) {
        if (ec) return self->fail("read", ec);
        self->on_answer();
      });
    });
  }

  void on_answer() {
    auto done = Clock::now();
    const std::string_view expected = config_.duplicate ? R"("duplicate":true)" : R"("duplicate":false)";
    bool ok = res_.result_int() == 200 && res_.body().find(expected) != std::string::npos;
    if (ok) {
      ++stats_.accepted;
      if (started_ >= config_.measure_from && done <= config_.measure_until)
        stats_.latencies_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(done - started_).count()));
    } else {
      stats_.error("HTTP " + std::to_string(res_.result_int()) + ": " + res_.body().substr(0, 300));
    }
    if (!res_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      return connect();
    }
    send();
  }

  void fail(const char* what, beast::error_code ec) {
    stats_.error(std::string(what) + ": " + ec.message());
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (Clock::now() < config_.measure_until) connect();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  const Config& config_;
  const Template& tmpl_;
  tcp::resolver::results_type endpoints_;
  std::atomic<std::uint64_t>& counter_;
  Stats& stats_;
  Clock::time_point started_;
};

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_webhooks: signed Stripe webhook deliveries, closed-loop over loopback"};
  std::string url, secret, fixture, id_prefix, mode = "fresh";
  int connections = 32, threads = 1;
  double warmup = 3, seconds = 10;
  std::uint64_t pool = 2000;
  app.add_option("--url", url, "webhook URL (http://127.0.0.1:PORT/...)")->required();
  app.add_option("--secret", secret, "the whsec_ signing secret")->required();
  app.add_option("--fixture", fixture, "Stripe's fixtures3.json")->required();
  app.add_option("--id-prefix", id_prefix, "event id prefix, unique per fresh run")->required();
  app.add_option("--mode", mode, "fresh or duplicate")->check(CLI::IsMember({"fresh", "duplicate"}));
  app.add_option("--connections", connections, "keep-alive connections");
  app.add_option("--threads", threads, "client threads");
  app.add_option("--warmup", warmup, "untimed seconds first");
  app.add_option("--seconds", seconds, "timed seconds");
  app.add_option("--pool", pool, "duplicate mode: cycle through this many stored ids");
  CLI11_PARSE(app, argc, argv);

  settle::crypto_init();
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http") {
    std::cerr << "bench_webhooks: --url must be an http:// URL\n";
    return 2;
  }
  Config config;
  config.host = std::string(parsed->encoded_host());
  config.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  config.target = parsed->encoded_target().empty() ? "/" : std::string(parsed->encoded_target());
  config.secret = secret;
  config.id_prefix = id_prefix;
  config.duplicate = mode == "duplicate";
  config.pool = std::max<std::uint64_t>(pool, 1);
  Template tmpl = load_template(fixture);

  auto start = Clock::now();
  config.measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  config.measure_until =
      config.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));

  std::atomic<std::uint64_t> counter{0};
  threads = std::max(threads, 1);
  std::vector<Stats> stats(threads);
  std::vector<std::thread> pool_threads;
  for (int t = 0; t < threads; ++t) {
    int mine = connections / threads + (t < connections % threads ? 1 : 0);
    pool_threads.emplace_back([&, t, mine] {
      asio::io_context io;
      tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(config.host, config.port);
      stats[t].latencies_us.reserve(1 << 20);
      for (int c = 0; c < mine; ++c)
        std::make_shared<Connection>(io, config, tmpl, endpoints, counter, stats[t])->start();
      io.run();
    });
  }
  for (auto& th : pool_threads) th.join();

  Stats all;
  for (auto& s : stats) {
    all.latencies_us.insert(all.latencies_us.end(), s.latencies_us.begin(), s.latencies_us.end());
    all.errors += s.errors;
    all.accepted += s.accepted;
    all.sent += s.sent;
    if (all.first_error.empty()) all.first_error = s.first_error;
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  json out = {{"mode", mode},
              {"connections", connections},
              {"threads", threads},
              {"warmupSeconds", warmup},
              {"seconds", seconds},
              {"requests", all.latencies_us.size()},
              {"rps", static_cast<double>(all.latencies_us.size()) / seconds},
              {"p50Ms", percentile_ms(all.latencies_us, 50)},
              {"p99Ms", percentile_ms(all.latencies_us, 99)},
              {"maxMs", all.latencies_us.empty() ? 0.0 : all.latencies_us.back() / 1000.0},
              {"errors", all.errors},
              {"accepted", all.accepted},
              {"sent", all.sent},
              {"bodyBytes", tmpl.make(id_prefix + "0").size()},
              {"firstError", all.first_error}};
  std::cout << out.dump() << "\n";
  return all.errors == 0 ? 0 : 1;
}
