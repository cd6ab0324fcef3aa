// Concurrency suite: many clients change the same few invoices at once through the real
// HTTP API (payments, draft edits, finalizes, deletes), then the database is read to check
// the books: nothing lost, nothing changed after its number was given, no gap in the
// numbers. Also the inbox processor's lease: an outcome counts only from its holder.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "crm/stripe_events.hpp"
#include "one_workspace.hpp"

namespace settle::testing {
namespace {

using store::Rows;
using store::RowView;
using store::Tx;

constexpr int kThreads = 32;
constexpr int kRounds = 200;
constexpr int kSlots = 8;

// What an invoice was when its number was given (the finalize answer).
struct Finalized {
  std::string number;
  json lines;
  std::int64_t subtotal = 0, tax = 0, total = 0;
};

class ConcurrencyTest : public OneWorkspaceTest {
 protected:
  static json lines(std::int64_t quantity, std::int64_t unit) {
    return json::array({{{"description", "Laser service"}, {"quantity", quantity}, {"unitAmount", unit}}});
  }
  std::string draft(std::int64_t quantity, std::int64_t unit) {
    auto r = call("POST", "/rest/invoices", {{"companyId", company}, {"lineItems", lines(quantity, unit)}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body["data"]["id"];
  }
  // Records a finalize answer; false when it was no finalize.
  bool note_finalized(const Reply& r) {
    if (r.status != 200) return false;
    const json& d = r.body["data"];
    std::lock_guard lock(mu);
    finalized[d["id"]] = {d["invoiceNumber"], d["lineItems"], d["subtotal"], d["taxAmount"], d["total"]};
    return true;
  }

  template <class T>
  T read(const std::function<Result<T>(Tx&)>& fn) {
    auto r = srv->db->read<T>(fn);
    if (!r) throw std::runtime_error(r.error().log);
    return *r;
  }

  std::mutex mu;  // guards finalized, slots, open, unexpected, answers
  std::map<std::string, Finalized> finalized;
  std::vector<std::string> unexpected;
  std::map<std::string, int> answers;  // "payment 201" -> how many
};

// Every request answers one of these; anything else (a 500, a 503 after lost retries) is
// a failure of the test.
bool expected_status(const std::string& op, int status) {
  static const std::map<std::string, std::set<int>> kAllowed = {
      {"payment", {201, 409, 422}},  // 409: a Draft is not payable; 422: the invoice was deleted
      {"edit", {200, 404, 409}},     // 409: no longer a Draft
      {"finalize", {200, 404, 409}},
      {"delete", {200, 404, 409}},
  };
  return kAllowed.at(op).count(status) > 0;
}

TEST_P(ConcurrencyTest, PaymentsEditsFinalizesAndDeletesOfTheSameInvoicesKeepTheBooks) {
  // Eight slots, half Open and half Draft at first. A slot whose invoice is finalized or
  // deleted gets a new draft, so that edits, finalizes and deletes keep racing all along;
  // the finalized invoices stay payment targets.
  std::vector<std::string> slots, open;
  for (int i = 0; i < kSlots; ++i) {
    std::string id = draft(1, 5'000'000);
    if (i % 2 == 0) {
      auto fin = call("POST", "/rest/invoices/" + id + "/finalize");
      ASSERT_EQ(fin.status, 200) << fin.raw;
      note_finalized(fin);
      open.push_back(id);
    }
    slots.push_back(id);
  }

  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 17u);
      auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
      for (int round = 0; round < kRounds; ++round) {
        std::string id;
        {
          // A third of the requests go to the first eight invoices finalized (payments race
          // there), the rest to the slots' drafts (edits, finalizes and deletes race there).
          std::lock_guard lock(mu);
          bool to_open = pick(100) < 35 && !open.empty();
          id = to_open ? open[static_cast<size_t>(pick(std::min(static_cast<int>(open.size()), kSlots)))]
                       : slots[static_cast<size_t>(pick(kSlots))];
        }
        int dice = pick(100);
        std::string op = dice < 40 ? "payment" : dice < 75 ? "edit" : dice < 90 ? "finalize" : "delete";
        Reply r;
        if (op == "payment") {
          r = call("POST", "/rest/payments", {{"invoiceId", id}, {"amount", 1 + pick(100)}});
        } else if (op == "edit") {
          r = call("PATCH", "/rest/invoices/" + id, {{"lineItems", lines(1 + pick(5), 100'000 + pick(100'000))}});
        } else if (op == "finalize") {
          r = call("POST", "/rest/invoices/" + id + "/finalize");
        } else {
          r = call("DELETE", "/rest/invoices/" + id);
        }
        bool finalized_now = op == "finalize" && note_finalized(r);
        // One finalize or delete of an invoice can succeed, so one thread refills its slot.
        std::string refill = finalized_now || (op == "delete" && r.status == 200) ? draft(1, 5'000'000) : "";
        std::lock_guard lock(mu);
        if (!expected_status(op, r.status)) unexpected.push_back(op + " " + std::to_string(r.status) + " " + r.raw);
        ++answers[op + " " + std::to_string(r.status)];
        if (finalized_now) open.push_back(id);
        if (auto it = std::find(slots.begin(), slots.end(), id); !refill.empty() && it != slots.end()) *it = refill;
      }
    });
  for (auto& th : threads) th.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string tally;
  for (const auto& [answer, n] : answers) tally += " " + answer + ": " + std::to_string(n) + ";";
  std::printf("[ %s ] %d threads x %d rounds in %.1f s;%s\n", GetParam().c_str(), kThreads, kRounds, seconds, tally.c_str());
  // Every kind of race happened, and each kind of change succeeded often.
  for (const char* answer : {"payment 201", "payment 409", "edit 200", "edit 409", "finalize 200", "finalize 409",
                             "delete 200", "delete 409"})
    EXPECT_GT(answers[answer], 20) << answer;

  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected answers, e.g. " << unexpected.front();

  // The books, read from the database.
  Rows invoices = read<Rows>([&](Tx& tx) -> Result<Rows> {
    return tx.query("SELECT id, status, invoice_number, subtotal, tax_amount, total, amount_paid, amount_due, deleted_at "
                    "FROM invoices WHERE workspace_id = :ws", {{"ws", workspace_id}});
  });
  Rows paid = read<Rows>([&](Tx& tx) -> Result<Rows> {
    return tx.query("SELECT invoice_id, CAST(SUM(amount) AS BIGINT) AS paid, COUNT(*) AS n FROM payments "
                    "WHERE workspace_id = :ws AND kind = 'payment' GROUP BY invoice_id", {{"ws", workspace_id}});
  });
  Rows line_rows = read<Rows>([&](Tx& tx) -> Result<Rows> {
    return tx.query("SELECT document_id, description, quantity, unit_amount, amount FROM line_items "
                    "WHERE workspace_id = :ws ORDER BY document_id, position", {{"ws", workspace_id}});
  });
  std::map<std::string, std::int64_t> paid_by_invoice;
  std::int64_t payments = 0;
  for (size_t i = 0; i < paid.size(); ++i) {
    paid_by_invoice[RowView(paid, i).text("invoice_id")] = RowView(paid, i).integer("paid");
    payments += RowView(paid, i).integer("n");
  }
  std::map<std::string, json> lines_by_invoice;
  for (size_t i = 0; i < line_rows.size(); ++i) {
    RowView l(line_rows, i);
    lines_by_invoice[l.text("document_id")].push_back(
        {l.text("description"), l.integer("quantity"), l.integer("unit_amount"), l.integer("amount")});
  }

  std::set<std::int64_t> sequences;
  size_t numbered = 0;
  for (size_t i = 0; i < invoices.size(); ++i) {
    RowView inv(invoices, i);
    std::string id = inv.text("id");
    EXPECT_EQ(inv.integer("amount_paid"), paid_by_invoice[id]) << id;
    EXPECT_EQ(inv.integer("amount_due"), inv.integer("total") - inv.integer("amount_paid")) << id;
    if (inv.is_null("invoice_number")) {
      EXPECT_EQ(inv.text("status"), "Draft") << id;
      continue;
    }
    ++numbered;
    EXPECT_TRUE(inv.is_null("deleted_at")) << "a numbered invoice was deleted: " << id;
    std::string number = inv.text("invoice_number");
    sequences.insert(std::stoll(number.substr(number.rfind('-') + 1)));
    ASSERT_TRUE(finalized.count(id)) << "numbered without a finalize answer: " << id;
    const Finalized& f = finalized[id];
    EXPECT_EQ(number, f.number);
    EXPECT_EQ(inv.integer("subtotal"), f.subtotal) << id;
    EXPECT_EQ(inv.integer("tax_amount"), f.tax) << id;
    EXPECT_EQ(inv.integer("total"), f.total) << id;
    json answered = json::array();
    for (const auto& l : f.lines) answered.push_back({l["description"], l["quantity"], l["unitAmount"], l["amount"]});
    EXPECT_EQ(lines_by_invoice[id], answered) << "lines changed after the number was given: " << id;
    std::int64_t p = inv.integer("amount_paid");
    EXPECT_EQ(inv.text("status"), p == 0 ? "Open" : p == inv.integer("total") ? "Paid" : "Partially Paid") << id;
  }
  EXPECT_EQ(numbered, finalized.size());
  ASSERT_FALSE(sequences.empty());
  EXPECT_EQ(sequences.size(), numbered);  // unique
  EXPECT_EQ(*sequences.begin(), 1);
  EXPECT_EQ(*sequences.rbegin(), static_cast<std::int64_t>(numbered));  // 1..N, no gap
  EXPECT_GT(payments, kThreads);  // the run did record payments
  EXPECT_LT(seconds, 120.0);
}

// A list page and its totalCount come from one snapshot: while companies are created
// beside it, a page that holds every company has exactly totalCount of them.
TEST_P(ConcurrencyTest, AListPageAndItsTotalCountAgreeWhileRecordsAreCreated) {
  constexpr int kCreates = 150;
  std::atomic<bool> creating{true};
  std::thread creator([&] {
    for (int i = 0; i < kCreates; ++i) EXPECT_EQ(call("POST", "/rest/companies", {{"name", "Co " + std::to_string(i)}}).status, 201);
    creating = false;
  });
  int pages = 0, disagreements = 0;
  while (creating || pages == 0) {
    auto page = call("GET", "/rest/companies?limit=200");
    ASSERT_EQ(page.status, 200) << page.raw;
    if (page.body["data"].size() != page.body["totalCount"].get<size_t>()) ++disagreements;
    ++pages;
  }
  creator.join();
  EXPECT_EQ(disagreements, 0) << "of " << pages << " pages";
  EXPECT_EQ(call("GET", "/rest/companies?limit=200").body["totalCount"], kCreates + 1);
}

// A processor whose lease ran out, and whose event another processor claimed meanwhile,
// records nothing when it finishes: the outcome of the lease holder is the one that counts.
TEST_P(ConcurrencyTest, AnEventsOutcomeIsRecordedOnlyByTheHolderOfItsLease) {
  srv->jobs->stop();  // the two processors below are the only ones
  crm::StripeEvents first(srv->db, srv->stripe_settings, "first");
  crm::StripeEvents second(srv->db, srv->stripe_settings, "second");
  json payload = {{"id", "evt_lease"},
                  {"object", "event"},
                  {"type", "invoice.paid"},
                  {"created", 1'780'000'000},
                  {"livemode", false},
                  {"data", {{"object", {{"id", "in_lease"}, {"object", "invoice"}}}}}};
  ASSERT_TRUE(srv->db->write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec("INSERT INTO stripe_events (workspace_id, event_id, type, created, livemode, payload, received_at, "
                   "status, attempts, next_attempt_at, source) VALUES (:ws, 'evt_lease', 'invoice.paid', 1780000000, 0, "
                   ":payload, :at, 'pending', 0, :at, 'webhook')",
                   {{"ws", workspace_id}, {"payload", payload.dump()}, {"at", store::now_timestamp()}});
  }));
  auto event_row = [&] {
    return read<Rows>([&](Tx& tx) -> Result<Rows> {
      return tx.query("SELECT status, claimed_by, next_attempt_at, outcome, attempts FROM stripe_events "
                      "WHERE workspace_id = :ws AND event_id = 'evt_lease'", {{"ws", workspace_id}});
    });
  };

  auto mine = first.claim_due(10);
  ASSERT_TRUE(mine) << mine.error().log;
  ASSERT_EQ(mine->size(), 1u);
  auto first_outcome = first.apply(mine->front());
  EXPECT_EQ(first_outcome.status, "ignored");  // the workspace has no Stripe key
  // The first processor is slower than its lease: the lease ends (moved into the past here)
  // and the second processor claims the event.
  ASSERT_TRUE(srv->db->write<long long>([&](Tx& tx) -> Result<long long> {
    return tx.exec("UPDATE stripe_events SET next_attempt_at = :past WHERE workspace_id = :ws AND event_id = 'evt_lease'",
                   {{"past", store::timestamp_from_now(std::chrono::seconds(-1))}, {"ws", workspace_id}});
  }));
  auto theirs = second.claim_due(10);
  ASSERT_TRUE(theirs) << theirs.error().log;
  ASSERT_EQ(theirs->size(), 1u);

  auto late = first.finish({first_outcome});
  ASSERT_TRUE(late) << late.error().log;
  EXPECT_EQ(*late, 0);
  Rows row = event_row();
  RowView r(row, 0);
  EXPECT_EQ(r.text("status"), "pending");
  EXPECT_EQ(r.text("claimed_by"), "second");
  EXPECT_EQ(r.text("next_attempt_at"), theirs->front().lease);
  EXPECT_TRUE(r.is_null("outcome"));
  EXPECT_EQ(r.integer("attempts"), 2);

  auto done = second.finish({second.apply(theirs->front())});
  ASSERT_TRUE(done) << done.error().log;
  EXPECT_EQ(*done, 1);
  row = event_row();
  RowView after(row, 0);
  EXPECT_EQ(after.text("status"), "ignored");
  EXPECT_TRUE(after.is_null("claimed_by"));
  EXPECT_TRUE(after.is_null("next_attempt_at"));
  EXPECT_FALSE(after.is_null("outcome"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrencyTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
