// The sandbox's wiring: Core (state + lock, persistence, API faults) and the Sandbox
// that serves it over HTTP with a ticker thread for the clock's transitions.
#include "sandbox/sandbox.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "net/client.hpp"
#include "net/server.hpp"
#include "sandbox/core.hpp"

namespace settle::sandbox {
namespace {

// Hosted page URLs embed the address the sandbox listened on; after a restart on
// another port, the saved objects' URLs are moved to the new one.
void rebase_urls(json& node, const std::string& from, const std::string& to) {
  if (node.is_string()) {
    const std::string& s = node.get_ref<const std::string&>();
    if (!from.empty() && s.rfind(from + "/hosted/", 0) == 0) node = to + s.substr(from.size());
  } else if (node.is_structured()) {
    for (auto& child : node) rebase_urls(child, from, to);
  }
}

bool valid_failure_status(int s) { return s == 429 || s == 500 || s == 502 || s == 503; }

}  // namespace

// ---- API faults ---------------------------------------------------------------------------

ApiFaults ApiFaults::from_json(const nlohmann::json& j, ApiFaults base) {
  if (!j.is_object()) throw std::invalid_argument("`api` must be an object");
  for (auto& [k, v] : j.items()) {
    if (k != "fail" && k != "timeout") throw std::invalid_argument("unknown API fault `" + k + "`");
    if (!v.is_object()) throw std::invalid_argument("`api." + k + "` must be an object");
    for (auto& [field, value] : v.items()) {
      if (field == "count") {
        if (!value.is_number_integer() || value.get<long long>() < 0) throw std::invalid_argument("`count` must be a non-negative integer");
      } else if (field == "path") {
        if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>()[0] != '/')
          throw std::invalid_argument("`path` must be a path prefix such as \"/v1/invoices\"");
      } else if (field == "status" && k == "fail") {
        if (!value.is_number_integer() || !valid_failure_status(value.get<int>()))
          throw std::invalid_argument("`status` must be 429, 500, 502 or 503");
      } else if (field == "seconds" && k == "timeout") {
        if (!value.is_number() || value.get<double>() <= 0 || value.get<double>() > 600)
          throw std::invalid_argument("`seconds` must be between 0 and 600");
      } else {
        throw std::invalid_argument("unknown field `" + field + "` in `api." + k + "`");
      }
    }
  }
  if (j.contains("fail")) {
    const auto& f = j["fail"];
    base.fail = {f.value("status", 500), f.value("count", 1), f.value("path", std::string("/v1/"))};
  }
  if (j.contains("timeout")) {
    const auto& t = j["timeout"];
    base.timeout = {t.value("seconds", 30.0), t.value("count", 1), t.value("path", std::string("/v1/"))};
  }
  return base;
}

nlohmann::json ApiFaults::to_json() const {
  return {{"fail", {{"status", fail.status}, {"count", fail.count}, {"path", fail.path}}},
          {"timeout", {{"seconds", timeout.seconds}, {"count", timeout.count}, {"path", timeout.path}}}};
}

// ---- Core --------------------------------------------------------------------------------------

Core::Core(Options options)
    : options(std::move(options)), dispatcher([this](const Delivery& d) {
        // Stripe counts down an event's pending_webhooks as its deliveries succeed.
        with_state(
            [&](State& state, Settings&) {
              auto it = state.accounts().find(d.account_key);
              if (it == state.accounts().end()) return;
              if (json* event = it->second.find(d.event_id, "event"))
                (*event)["pending_webhooks"] = std::max(0, (*event)["pending_webhooks"].get<int>() - 1);
            },
            false);
      }) {}

bool Core::transact(const std::function<Account*(State&)>& select, const RequestInfo& info, bool mutating,
                    const std::function<void(Ctx&)>& fn) {
  std::vector<Delivery> deliveries;
  std::exception_ptr failure;
  {
    std::unique_lock lock(mu_);
    ready_cv_.wait(lock, [this] { return ready_; });
    Account* account = select(state_);
    if (!account) return false;
    if (!info.api_version.empty()) account->api_version = info.api_version;
    std::int64_t now = state_.now();
    Ctx clock{state_, *account, settings_, now, base_url_, "", "", account->api_version, {}};
    run_clock(clock);
    Ctx ctx{state_, *account, settings_, now, base_url_, info.request_id, info.idempotency_key, account->api_version, {}};
    try {
      fn(ctx);
    } catch (...) {
      failure = std::current_exception();
    }
    deliveries = std::move(clock.outbox);
    deliveries.insert(deliveries.end(), std::make_move_iterator(ctx.outbox.begin()), std::make_move_iterator(ctx.outbox.end()));
    if (mutating || !deliveries.empty()) save_locked();
  }
  dispatcher.enqueue(std::move(deliveries));
  if (failure) std::rethrow_exception(failure);
  return true;
}

void Core::run_clock_everywhere(std::int64_t advance_seconds) {
  std::vector<Delivery> deliveries;
  {
    std::unique_lock lock(mu_);
    ready_cv_.wait(lock, [this] { return ready_; });
    state_.advance_clock(advance_seconds);
    std::int64_t now = state_.now();
    for (auto& [key, account] : state_.accounts()) {
      Ctx clock{state_, account, settings_, now, base_url_, "", "", account.api_version, {}};
      run_clock(clock);
      deliveries.insert(deliveries.end(), std::make_move_iterator(clock.outbox.begin()),
                        std::make_move_iterator(clock.outbox.end()));
    }
    if (advance_seconds != 0 || !deliveries.empty()) save_locked();
  }
  dispatcher.enqueue(std::move(deliveries));
}

void Core::with_state(const std::function<void(State&, Settings&)>& fn, bool mutating) {
  std::unique_lock lock(mu_);
  ready_cv_.wait(lock, [this] { return ready_; });
  fn(state_, settings_);
  if (mutating) save_locked();
}

void Core::reset() {
  {
    std::lock_guard lock(mu_);
    state_.clear();
    settings_ = {};
    save_locked();
  }
  dispatcher.reset();
  set_api_faults({});
}

void Core::save_locked() {
  if (options.state_path.empty()) return;
  json document = {{"state", state_.to_json()},
                   {"base_url", base_url_},
                   {"settings",
                    {{"payment_link_lifetime_seconds", settings_.payment_link_lifetime_seconds},
                     {"ach_settlement_seconds", settings_.ach_settlement_seconds}}}};
  // Written beside the file and renamed over it, so a crash never leaves half a state.
  std::string tmp = options.state_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << document.dump();
    if (!out) {
      spdlog::error("stripe-sandbox: cannot write state file {}", tmp);
      return;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, options.state_path, ec);
  if (ec) spdlog::error("stripe-sandbox: cannot replace state file {}: {}", options.state_path, ec.message());
}

void Core::open(const std::string& url) {
  std::lock_guard lock(mu_);
  base_url_ = url;
  load_locked();
  ready_ = true;
  ready_cv_.notify_all();
}

void Core::load_locked() {
  if (options.state_path.empty() || !std::filesystem::exists(options.state_path)) return;
  std::ifstream in(options.state_path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    json document = json::parse(buffer.str());
    state_.load(document.at("state"));
    const json& s = document.value("settings", json::object());
    settings_.payment_link_lifetime_seconds = s.value("payment_link_lifetime_seconds", std::int64_t{0});
    settings_.ach_settlement_seconds = s.value("ach_settlement_seconds", Settings{}.ach_settlement_seconds);
    std::string saved_base = document.value("base_url", "");
    if (saved_base != base_url_)
      for (auto& [key, account] : state_.accounts())
        for (auto& [id, object] : account.objects) rebase_urls(object, saved_base, base_url_);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read the sandbox state file " + options.state_path + ": " + e.what());
  }
}

ApiFaults Core::api_faults() const {
  std::lock_guard lock(faults_mu_);
  return api_faults_;
}

void Core::set_api_faults(ApiFaults faults) {
  std::lock_guard lock(faults_mu_);
  api_faults_ = std::move(faults);
}

std::optional<int> Core::take_failure(const std::string& path) {
  std::lock_guard lock(faults_mu_);
  auto& f = api_faults_.fail;
  if (f.count <= 0 || path.rfind(f.path, 0) != 0) return std::nullopt;
  --f.count;
  return f.status;
}

std::optional<double> Core::take_timeout(const std::string& path) {
  std::lock_guard lock(faults_mu_);
  auto& t = api_faults_.timeout;
  if (t.count <= 0 || path.rfind(t.path, 0) != 0) return std::nullopt;
  --t.count;
  return t.seconds;
}

void Core::interruptible_sleep(double seconds) {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stopping_; });
}

void Core::begin_stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

// ---- Sandbox ----------------------------------------------------------------------------------

struct Sandbox::Impl {
  explicit Impl(Options options) : core(std::move(options)) {}

  Core core;
  net::Router router;
  std::unique_ptr<net::Server> server;
  std::thread ticker;

  std::mutex mu;  // guards started, stopped
  std::condition_variable stop_cv;
  bool started = false;
  bool stopped = false;

  net::Response handle(net::Request& request) {
    auto match = router.match(request);
    if (match.outcome == net::Router::Outcome::Found) return (*match.handler)(request);
    if (request.path == "/v1" || request.path.rfind("/v1/", 0) == 0) return unrecognized_url(request);
    if (request.path.rfind("/_sandbox", 0) == 0)
      return net::Response::json(404, json{{"error", "no such control endpoint: " + request.method + " " + request.path}}.dump());
    return net::Response::text(404, "<!doctype html><title>Not found</title><p>Not found.</p>", "text/html; charset=utf-8");
  }

  void tick_until_stopped() {
    std::unique_lock lock(mu);
    while (!stop_cv.wait_for(lock, std::chrono::seconds(1), [this] { return stopped; })) {
      lock.unlock();
      try {
        core.run_clock_everywhere();
      } catch (const std::exception& e) {
        spdlog::error("stripe-sandbox: clock transition failed: {}", e.what());
      }
      lock.lock();
    }
  }
};

Sandbox::Sandbox(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Sandbox::~Sandbox() { stop(); }

void Sandbox::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return;
  Impl& s = *impl_;
  add_api_routes(s.router, s.core);
  add_control_routes(s.router, s.core);
  add_hosted_pages(s.router, s.core);
  net::ServerOptions server_options;
  server_options.address = s.core.options.address;
  server_options.port = s.core.options.port;
  server_options.worker_threads = 8;
  s.server = std::make_unique<net::Server>(server_options, [&s](net::Request& r) { return s.handle(r); });
  // Bind first: hosted page URLs need the real port. Requests that arrive before open()
  // wait for it.
  s.server->start();
  std::string host = s.core.options.address == "0.0.0.0" ? "127.0.0.1" : s.core.options.address;
  try {
    s.core.open("http://" + host + ":" + std::to_string(s.server->port()));
  } catch (...) {
    s.server->stop();
    throw;
  }
  s.core.dispatcher.start();
  s.ticker = std::thread([&s] { s.tick_until_stopped(); });
  s.started = true;
}

unsigned short Sandbox::port() const { return impl_->server ? impl_->server->port() : 0; }

void Sandbox::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (!s.started || s.stopped) return;
    s.stopped = true;
  }
  s.stop_cv.notify_all();
  s.core.begin_stop();
  if (s.ticker.joinable()) s.ticker.join();
  s.server->stop();
  s.core.dispatcher.stop();
  s.core.with_state([](State&, Settings&) {}, true);  // final save
}

int run(const Options& options) {
  net::global_init();
  try {
    Sandbox sandbox(options);
    sandbox.start();
    spdlog::info("Stripe sandbox listening on http://{}:{} (state: {})", options.address, sandbox.port(),
                 options.state_path.empty() ? "in memory" : options.state_path);
    net::wait_for_termination_signal();
    spdlog::info("Stripe sandbox stopping");
    sandbox.stop();
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("stripe-sandbox: {}", e.what());
    return 1;
  }
}

}  // namespace settle::sandbox
