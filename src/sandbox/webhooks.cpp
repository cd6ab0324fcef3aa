// Webhook delivery with retries and fault injection (see webhooks.hpp).
#include "sandbox/webhooks.hpp"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "net/client.hpp"
#include "sandbox/signature.hpp"

namespace settle::sandbox {
namespace {

constexpr std::size_t kMaxRecords = 5000;  // the log keeps the most recent deliveries

int non_negative_int(const nlohmann::json& j, const char* key, int fallback) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number_integer() || j[key].get<long long>() < 0 || j[key].get<long long>() > 1000000)
    throw std::invalid_argument(std::string("`") + key + "` must be a non-negative integer");
  return j[key].get<int>();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

WebhookFaults WebhookFaults::from_json(const nlohmann::json& j, WebhookFaults base) {
  if (!j.is_object()) throw std::invalid_argument("`webhooks` must be an object");
  for (auto& [k, v] : j.items())
    if (k != "duplicate" && k != "reorder" && k != "drop" && k != "delay_seconds")
      throw std::invalid_argument("unknown webhook fault `" + k + "`");
  base.duplicate = non_negative_int(j, "duplicate", base.duplicate);
  base.reorder = non_negative_int(j, "reorder", base.reorder);
  base.drop = non_negative_int(j, "drop", base.drop);
  if (j.contains("delay_seconds")) {
    if (!j["delay_seconds"].is_number() || j["delay_seconds"].get<double>() < 0 || j["delay_seconds"].get<double>() > 3600)
      throw std::invalid_argument("`delay_seconds` must be a number between 0 and 3600");
    base.delay_ms = static_cast<std::int64_t>(j["delay_seconds"].get<double>() * 1000);
  }
  return base;
}

nlohmann::json WebhookFaults::to_json() const {
  return {{"duplicate", duplicate}, {"reorder", reorder}, {"drop", drop}, {"delay_seconds", delay_ms / 1000.0}};
}

WebhookDispatcher::WebhookDispatcher(std::function<void(const Delivery&)> on_delivered)
    : on_delivered_(std::move(on_delivered)) {}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void WebhookDispatcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

const char* WebhookDispatcher::to_string(Status s) {
  switch (s) {
    case Status::Pending: return "pending";
    case Status::Held: return "held";
    case Status::Succeeded: return "succeeded";
    case Status::Failed: return "failed";
    case Status::Dropped: return "dropped";
  }
  return "pending";
}

void WebhookDispatcher::add_locked(Delivery d, Status status, std::chrono::steady_clock::time_point due) {
  Record r;
  r.id = next_id_++;
  r.delivery = std::move(d);
  r.status = status;
  r.due = due;
  r.order = next_order_++;
  records_.push_back(std::move(r));
  // Trim the oldest finished records; pending, held and dropped ones are kept.
  while (records_.size() > kMaxRecords) {
    auto it = std::find_if(records_.begin(), records_.end(),
                           [](const Record& x) { return x.status == Status::Succeeded || x.status == Status::Failed; });
    if (it == records_.end()) break;
    records_.erase(it);
  }
}

void WebhookDispatcher::enqueue(std::vector<Delivery> deliveries) {
  if (deliveries.empty()) return;
  {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto& d : deliveries) {
      auto due = now + std::chrono::milliseconds(faults_.delay_ms);
      int copies = 1;
      if (faults_.duplicate > 0) {
        --faults_.duplicate;
        copies = 2;
      }
      for (int c = 0; c < copies; ++c) {
        Status status = Status::Pending;
        if (faults_.drop > 0) {
          --faults_.drop;
          status = Status::Dropped;
        } else if (faults_.reorder > 0) {
          --faults_.reorder;
          status = Status::Held;
        }
        add_locked(d, status, due);
        if (status == Status::Held) {
          if (held_.empty()) held_since_ = now;
          held_.push_back(records_.back().id);
          if (faults_.reorder == 0) release_held_locked();
        }
      }
    }
  }
  cv_.notify_all();
}

// Releases the reorder batch: the last held delivery goes first. All become due at the
// same moment (the latest of their due times) so that `order` alone decides.
void WebhookDispatcher::release_held_locked() {
  auto due = std::chrono::steady_clock::now();
  for (auto& r : records_)
    if (r.status == Status::Held) due = std::max(due, r.due);
  for (auto it = held_.rbegin(); it != held_.rend(); ++it)
    for (auto& r : records_)
      if (r.id == *it && r.status == Status::Held) {
        r.status = Status::Pending;
        r.order = next_order_++;
        r.due = due;
      }
  held_.clear();
}

int WebhookDispatcher::redeliver(const std::string& event_id) {
  int count = 0;
  {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto& r : records_) {
      if (r.status != Status::Dropped && r.status != Status::Failed) continue;
      if (!event_id.empty() && r.delivery.event_id != event_id) continue;
      r.status = Status::Pending;
      r.due = now;
      r.order = next_order_++;
      ++count;
    }
  }
  cv_.notify_all();
  return count;
}

void WebhookDispatcher::set_faults(WebhookFaults faults) {
  {
    std::lock_guard lock(mu_);
    faults_ = faults;
    if (faults_.reorder == 0 && !held_.empty()) release_held_locked();
  }
  cv_.notify_all();
}

WebhookFaults WebhookDispatcher::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

nlohmann::json WebhookDispatcher::snapshot(std::size_t limit) const {
  std::lock_guard lock(mu_);
  nlohmann::json counts = {{"pending", 0}, {"held", 0}, {"succeeded", 0}, {"failed", 0}, {"dropped", 0}};
  nlohmann::json log = nlohmann::json::array();
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    counts[to_string(it->status)] = counts[to_string(it->status)].get<int>() + 1;
    if (log.size() >= limit) continue;
    log.push_back({{"id", "dlv_" + std::to_string(it->id)},
                   {"event", it->delivery.event_id},
                   {"type", it->delivery.event_type},
                   {"endpoint", it->delivery.endpoint_id},
                   {"url", it->delivery.url},
                   {"status", to_string(it->status)},
                   {"attempts", it->attempts},
                   {"last_response_status", it->last_status ? nlohmann::json(it->last_status) : nlohmann::json(nullptr)},
                   {"last_error", it->last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(it->last_error)},
                   {"delivered_at", it->delivered_at ? nlohmann::json(it->delivered_at) : nlohmann::json(nullptr)}});
  }
  return {{"counts", counts}, {"deliveries", log}};
}

void WebhookDispatcher::reset() {
  std::lock_guard lock(mu_);
  records_.clear();
  held_.clear();
  faults_ = {};
}

WebhookDispatcher::Record* WebhookDispatcher::next_due_locked(std::chrono::steady_clock::time_point now) {
  Record* best = nullptr;
  for (auto& r : records_)
    if (r.status == Status::Pending && r.due <= now && (!best || r.due < best->due || (r.due == best->due && r.order < best->order)))
      best = &r;
  return best;
}

void WebhookDispatcher::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    if (!held_.empty() && now - held_since_ >= kReorderWindow) {
      faults_.reorder = 0;  // the batch did not fill up in time
      release_held_locked();
    }
    Record* record = next_due_locked(now);
    if (!record) {
      auto wake = now + std::chrono::seconds(1);
      for (const auto& r : records_)
        if (r.status == Status::Pending) wake = std::min(wake, r.due);
      if (!held_.empty()) wake = std::min(wake, held_since_ + kReorderWindow);
      cv_.wait_until(lock, wake);
      continue;
    }
    std::uint64_t id = record->id;
    Delivery delivery = record->delivery;
    record->attempts++;
    lock.unlock();

    // Signed at send time with wall-clock time (not the sandbox clock): receivers check
    // the timestamp against their own clock, as with Stripe.
    net::ClientRequest request;
    request.method = "POST";
    request.url = delivery.url;
    request.body = delivery.payload;
    request.timeout_ms = kTimeoutMs;
    request.connect_timeout_ms = 3000;
    request.headers = {{"Content-Type", "application/json; charset=utf-8"},
                       {"Accept", "*/*; charset=utf-8"},
                       {"User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
                       {"Cache-Control", "no-cache"},
                       {"Stripe-Signature", stripe_signature_header(delivery.secret, unix_now(), delivery.payload)}};
    auto response = net::perform(request);
    bool ok = response && response->status >= 200 && response->status < 300;
    if (ok && on_delivered_) on_delivered_(delivery);

    lock.lock();
    auto it = std::find_if(records_.begin(), records_.end(), [&](const Record& r) { return r.id == id; });
    if (it == records_.end()) continue;  // reset while sending
    it->last_status = response ? response->status : 0;
    it->last_error = response ? (ok ? "" : "HTTP " + std::to_string(response->status)) : response.error().log;
    if (ok) {
      it->status = Status::Succeeded;
      it->delivered_at = unix_now();
    } else if (it->attempts >= kMaxAttempts) {
      it->status = Status::Failed;
      spdlog::warn("stripe-sandbox: giving up on {} to {} after {} attempts", delivery.event_id, delivery.url, it->attempts);
    } else {
      it->due = std::chrono::steady_clock::now() + std::chrono::seconds(1LL << (it->attempts - 1));
    }
  }
}

}  // namespace settle::sandbox
