#include "crm/jobs.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace settle::crm {

using store::Rows;
using store::RowView;
using store::Tx;

namespace {
constexpr const char* kSelectWorkspaces = "SELECT id FROM workspaces ORDER BY id";
constexpr int kJobsNice = 5;
}

BackgroundJobs::BackgroundJobs(std::shared_ptr<Records> records, std::shared_ptr<StripeSettings> settings,
                               std::shared_ptr<StripeEvents> events, JobOptions options)
    : records_(std::move(records)), settings_(std::move(settings)), events_(std::move(events)), options_(options) {}

BackgroundJobs::~BackgroundJobs() { stop(); }

void BackgroundJobs::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void BackgroundJobs::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundJobs::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_all();
}

void BackgroundJobs::process_inbox() {
  // Drain: a burst of webhooks is applied in batches until nothing is due.
  for (int batch = 0; batch < 100; ++batch) {
    auto n = events_->process_due();
    if (!n) {
      spdlog::error("stripe inbox processing failed: {}", n.error().log.empty() ? n.error().message : n.error().log);
      return;
    }
    if (*n == 0) return;
  }
}

void BackgroundJobs::reconcile_all() {
  auto workspaces = settings_->connected_workspaces();
  if (!workspaces) {
    spdlog::error("reconciliation: {}", workspaces.error().log);
    return;
  }
  for (const auto& ws : *workspaces) {
    auto r = events_->reconcile(ws);
    if (!r)
      spdlog::warn("reconciliation of workspace {} failed: {}", ws, r.error().message);
    else if ((*r)["stored"].get<int>() > 0)
      spdlog::info("reconciliation of workspace {}: {}", ws, r->dump());
  }
  process_inbox();
}

void BackgroundJobs::expire_quotes() {
  auto workspaces = records_->db().read<Rows>([](Tx& tx) -> Result<Rows> { return tx.query(kSelectWorkspaces); });
  if (!workspaces) {
    spdlog::error("quote expiry: {}", workspaces.error().log);
    return;
  }
  for (size_t i = 0; i < workspaces->size(); ++i) {
    Actor actor{RowView(*workspaces, i).text("id"), "", "Settle (quote expiry)", Role::Admin};
    auto expired = records_->expire_due_quotes(actor);
    if (!expired)
      spdlog::warn("quote expiry in workspace {} failed: {}", actor.workspace_id, expired.error().message);
    else if (!expired->empty())
      spdlog::info("quote expiry: {} quote(s) expired in workspace {}", expired->size(), actor.workspace_id);
  }
}

void BackgroundJobs::run() {
  // Below the request threads: under load, answering Stripe (storing the event) comes
  // before applying it, which only has to happen soon. Linux gives each thread its own nice.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kJobsNice) != 0)
    spdlog::debug("could not lower the background jobs' priority");
  using clock = std::chrono::steady_clock;
  auto next_reconcile = clock::now() + options_.first_reconcile_after;
  auto next_expiry = clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wakeup_.wait_for(lock, options_.inbox_poll, [this] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    process_inbox();
    for (const auto& turn : turns_) turn();
    if (options_.expire_every.count() > 0 && clock::now() >= next_expiry) {
      expire_quotes();
      next_expiry = clock::now() + options_.expire_every;
    }
    if (clock::now() >= next_reconcile) {
      reconcile_all();
      next_reconcile = clock::now() + options_.reconcile_every;
    }
  }
}

}  // namespace settle::crm
