// The books rules through the real API on both backends: a numbered invoice and a quote
// with an order are never deleted, and an invoice holding received money never reaches
// Void, directly or by way of Uncollectible. Each refusal is a 409 naming the field and
// changes nothing.
#include <gtest/gtest.h>

#include "one_workspace.hpp"

namespace settle::testing {
namespace {

class BooksRulesTest : public OneWorkspaceTest {
 protected:
  json lines() const { return json::array({{{"description", "Laser"}, {"unitAmount", 10000}}}); }
  json open_invoice() {
    std::string id = call("POST", "/rest/invoices", {{"companyId", company}, {"lineItems", lines()}}).body["data"]["id"];
    auto fin = call("POST", "/rest/invoices/" + id + "/finalize");
    EXPECT_EQ(fin.status, 200) << fin.raw;
    return fin.body["data"];
  }
  // A refused change: 409 naming `field`, and the record as it was.
  void expect_refused(const Reply& r, const std::string& field, const std::string& path, const json& before) {
    EXPECT_EQ(r.status, 409) << r.raw;
    EXPECT_EQ(r.body["error"]["field"], field) << r.raw;
    EXPECT_EQ(call("GET", path).body["data"], before);
  }
};

TEST_P(BooksRulesTest, ANumberedInvoiceAndAQuoteWithAnOrderAreNeverDeleted) {
  json inv = open_invoice();
  std::string path = "/rest/invoices/" + inv["id"].get<std::string>();
  expect_refused(call("DELETE", path), "invoiceNumber", path, call("GET", path).body["data"]);

  std::string qid = call("POST", "/rest/quotes", {{"companyId", company}, {"lineItems", lines()}}).body["data"]["id"];
  ASSERT_EQ(call("POST", "/rest/quotes/" + qid + "/finalize").status, 200);
  auto accepted = call("POST", "/rest/quotes/" + qid + "/accept");
  ASSERT_EQ(accepted.status, 200) << accepted.raw;
  auto refused = call("DELETE", "/rest/quotes/" + qid);
  expect_refused(refused, "orderId", "/rest/quotes/" + qid, accepted.body["data"]);
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("has an order"), std::string::npos);

  // A quote without an order may still go.
  std::string draft = call("POST", "/rest/quotes", {{"companyId", company}}).body["data"]["id"];
  EXPECT_EQ(call("DELETE", "/rest/quotes/" + draft).status, 200);
}

TEST_P(BooksRulesTest, AnInvoiceHoldingReceivedMoneyNeverReachesVoid) {
  json inv = open_invoice();
  std::string path = "/rest/invoices/" + inv["id"].get<std::string>();
  ASSERT_EQ(call("POST", "/rest/payments", {{"invoiceId", inv["id"]}, {"amount", 4000}}).status, 201);
  // Directly (the lifecycle already refuses Partially Paid -> Void), and after a write-off.
  EXPECT_EQ(call("POST", path + "/void").status, 409);
  auto written_off = call("POST", path + "/mark-uncollectible");
  ASSERT_EQ(written_off.status, 200) << written_off.raw;
  EXPECT_EQ(written_off.body["data"]["status"], "Uncollectible");
  EXPECT_EQ(written_off.body["data"]["amountDue"], 6000);
  auto refused = call("POST", path + "/void");
  expect_refused(refused, "status", path, written_off.body["data"]);
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("refund it first"), std::string::npos) << refused.raw;

  // Without money held, a written-off invoice can be voided, and then nothing is due.
  json unpaid = open_invoice();
  std::string unpaid_path = "/rest/invoices/" + unpaid["id"].get<std::string>();
  ASSERT_EQ(call("POST", unpaid_path + "/mark-uncollectible").status, 200);
  auto voided = call("POST", unpaid_path + "/void");
  ASSERT_EQ(voided.status, 200) << voided.raw;
  EXPECT_EQ(voided.body["data"]["status"], "Void");
  EXPECT_EQ(voided.body["data"]["amountDue"], 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, BooksRulesTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
