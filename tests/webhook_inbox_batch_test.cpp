// Concurrent webhook deliveries share insert transactions (WebhookInbox's group commit):
// every delivery is still answered after its own event is committed, each event is
// stored exactly once however its deliveries are interleaved, and exactly one of the
// deliveries of an event is answered duplicate: false. Real HTTP over loopback, on
// SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "stripe/webhook_signature.hpp"

namespace settle::testing {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class WebhookInboxBatchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WebhookInboxBatchTest, ConcurrentDeliveriesAreEachStoredOnceAndAnsweredAfterTheirCommit) {
  TestServer srv(GetParam());
  auto ws = srv.accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::nullopt);
  ASSERT_TRUE(ws);
  std::string secret = "whsec_" + random_token(24);
  ASSERT_EQ(srv.call("PUT", "/rest/settings/stripe", json{{"webhookSecrets", {secret}}}, ws->api_key).status, 200);

  // 12 threads deliver 30 events each; thread t also redelivers thread t-1's events, so
  // every event is delivered twice, concurrently, by two threads.
  constexpr int kThreads = 12, kEach = 30;
  auto event_id = [](int t, int i) { return "evt_batch_" + std::to_string(t) + "_" + std::to_string(i); };
  std::mutex mutex;
  std::map<std::string, std::vector<bool>> answers;  // event id -> the duplicate flags answered
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        for (int owner : {t, (t + kThreads - 1) % kThreads}) {
          std::string id = event_id(owner, i);
          std::string payload = json{{"id", id}, {"object", "event"}, {"type", "invoice.paid"}, {"created", 1},
                                     {"livemode", false}, {"data", {{"object", {{"id", "in_1"}}}}}}
                                    .dump();
          net::ClientRequest req;
          req.method = "POST";
          req.url = srv.base() + "/api/webhooks/stripe/acme";
          req.headers.emplace_back("Content-Type", "application/json");
          req.headers.emplace_back("Stripe-Signature", stripe::sign_payload(payload, secret, unix_now()));
          req.body = payload;
          auto r = net::perform(req);
          if (!r || r->status != 200) {
            ++failures;
            continue;
          }
          // Answered: so the event is committed, and visible to any other connection.
          auto stored = srv.db->read<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
            return store::RowView(tx.query("SELECT COUNT(*) AS n FROM stripe_events WHERE event_id = :id",
                                           {{"id", id}}),
                                  0)
                .integer("n");
          });
          if (!stored || *stored != 1) ++failures;
          std::lock_guard<std::mutex> lock(mutex);
          answers[id].push_back(json::parse(r->body).at("duplicate").get<bool>());
        }
    });
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(answers.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& [id, flags] : answers) {
    ASSERT_EQ(flags.size(), 2u) << id;
    EXPECT_EQ(std::count(flags.begin(), flags.end(), false), 1) << id << " answered as new exactly once";
  }
  auto total = srv.db->read<std::int64_t>([](store::Tx& tx) -> Result<std::int64_t> {
    return store::RowView(tx.query("SELECT COUNT(*) AS n FROM stripe_events"), 0).integer("n");
  });
  ASSERT_TRUE(total);
  EXPECT_EQ(*total, kThreads * kEach);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookInboxBatchTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
