// A fixed set of threads running blocking work (database, Stripe, SMTP) from a bounded
// queue. try_submit refuses work when the queue is full, so an overloaded server answers
// 503 at once instead of queueing without limit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace settle::net {

class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the task; false when the queue is full or the pool is stopping.
  bool try_submit(std::function<void()> task);
  // Finishes queued tasks, then joins the threads. Idempotent.
  void stop();

 private:
  void run();

  const size_t max_queue_;
  std::vector<std::thread> threads_;

  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
};

}  // namespace settle::net
