// End-to-end API suite: real HTTP over loopback against a real server on SQLite and on
// PostgreSQL. Each test gets a fresh database with two workspaces, A and B.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "harness.hpp"

namespace settle::testing {
namespace {

class ApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    srv = std::make_unique<TestServer>(GetParam());
    auto a = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::string("correct horse 1"));
    auto b = srv->accounts->create_workspace("Beta", "beta", "admin@beta-med.com", std::string("correct horse 2"));
    ASSERT_TRUE(a && b);
    key_a = a->api_key;
    key_b = b->api_key;
    ws_a = a->workspace_id;
  }

  Reply get(const std::string& path, const std::string& key) { return srv->call("GET", path, nullptr, key); }
  Reply post(const std::string& path, const json& body, const std::string& key) { return srv->call("POST", path, body, key); }
  Reply patch(const std::string& path, const json& body, const std::string& key) { return srv->call("PATCH", path, body, key); }

  std::string company(const std::string& name, const std::string& key) {
    auto r = post("/rest/companies", {{"name", name}}, key);
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body["data"]["id"];
  }
  std::int64_t count(const std::string& object, const std::string& key) {
    return get("/rest/" + object, key).body["totalCount"].get<std::int64_t>();
  }

  std::unique_ptr<TestServer> srv;
  std::string key_a, key_b, ws_a;
};

TEST_P(ApiTest, RecordsFollowTwentyConventions) {
  for (int i = 0; i < 7; ++i) company("Company " + std::to_string(i), key_a);
  auto page1 = get("/rest/companies?order_by=name[DescNullsLast]&limit=3", key_a);
  ASSERT_EQ(page1.status, 200) << page1.raw;
  EXPECT_EQ(page1.body["totalCount"], 7);
  ASSERT_EQ(page1.body["data"].size(), 3u);
  EXPECT_EQ(page1.body["data"][0]["name"], "Company 6");
  EXPECT_TRUE(page1.body["pageInfo"]["hasNextPage"]);
  auto page2 = get("/rest/companies?order_by=name[DescNullsLast]&limit=3&starting_after=" +
                       page1.body["pageInfo"]["endCursor"].get<std::string>(), key_a);
  EXPECT_EQ(page2.body["data"][0]["name"], "Company 3");
  auto back = get("/rest/companies?order_by=name[DescNullsLast]&limit=3&ending_before=" +
                      page2.body["pageInfo"]["startCursor"].get<std::string>(), key_a);
  EXPECT_EQ(back.body["data"], page1.body["data"]);

  auto filtered = get("/rest/companies?filter=or(name[eq]:%22Company%201%22,name[startsWith]:Company%205)", key_a);
  ASSERT_EQ(filtered.status, 200) << filtered.raw;
  EXPECT_EQ(filtered.body["totalCount"], 2);

  std::string id = page1.body["data"][0]["id"];
  auto changed = patch("/rest/companies/" + id, {{"domainName", "six.example"}}, key_a);
  EXPECT_EQ(changed.body["data"]["domainName"], "six.example");
  EXPECT_EQ(srv->call("DELETE", "/rest/companies/" + id, nullptr, key_a).status, 200);
  EXPECT_EQ(get("/rest/companies/" + id, key_a).status, 404);
  EXPECT_EQ(count("companies", key_a), 6);
  EXPECT_EQ(get("/rest/companies?filter=deletedAt[is]:NOT_NULL", key_a).body["totalCount"], 1);
  EXPECT_EQ(post("/rest/companies/" + id + "/restore", json::object(), key_a).status, 200);
  EXPECT_EQ(count("companies", key_a), 7);
  auto timeline = get("/rest/companies/" + id + "/timeline", key_a).body["data"];
  std::vector<std::string> kinds;
  for (auto& e : timeline) kinds.push_back(e["kind"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"created", "field_changed", "deleted", "restored"}));
  EXPECT_EQ(timeline[1]["field"], "domainName");
}

TEST_P(ApiTest, QuoteToOrderToInvoiceToPayment) {
  std::string c = company("Lumen Clinic", key_a);
  auto q = post("/rest/quotes",
                {{"companyId", c}, {"currency", "usd"}, {"taxAmount", 1925},
                 {"lineItems", {{{"description", "Laser"}, {"quantity", 2}, {"unitAmount", 10000}},
                                {{"description", "Training"}, {"unitAmount", 2500}}}}},
                key_a);
  ASSERT_EQ(q.status, 201) << q.raw;
  auto quote = q.body["data"];
  EXPECT_EQ(quote["status"], "Draft");
  EXPECT_EQ(quote["currency"], "USD");
  EXPECT_EQ(quote["subtotal"], 22500);
  EXPECT_EQ(quote["total"], 24425);
  EXPECT_EQ(quote["quoteNumber"].get<std::string>().substr(0, 9), "QUO-" + quote["createdAt"].get<std::string>().substr(0, 4) + "-");
  std::string qid = quote["id"];

  EXPECT_EQ(post("/rest/quotes/" + qid + "/finalize", nullptr, key_a).body["data"]["status"], "Open");
  auto locked = patch("/rest/quotes/" + qid, {{"taxAmount", 0}}, key_a);
  EXPECT_EQ(locked.status, 409) << locked.raw;
  EXPECT_EQ(patch("/rest/quotes/" + qid, {{"notes", "call first"}}, key_a).status, 200);

  auto accepted = post("/rest/quotes/" + qid + "/accept", nullptr, key_a);
  ASSERT_EQ(accepted.status, 200) << accepted.raw;
  std::string oid = accepted.body["data"]["orderId"];
  auto again = post("/rest/quotes/" + qid + "/accept", nullptr, key_a);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["data"]["orderId"], oid);
  EXPECT_EQ(count("orders", key_a), 1);

  auto order = get("/rest/orders/" + oid, key_a).body["data"];
  EXPECT_EQ(order["status"], "Pending Fulfillment");
  EXPECT_EQ(order["totalAmount"], 24425);
  EXPECT_EQ(order["lineItems"].size(), 2u);
  EXPECT_EQ(post("/rest/orders/" + oid + "/invoice", nullptr, key_a).status, 409);  // not fulfilled yet
  EXPECT_EQ(post("/rest/orders/" + oid + "/start", nullptr, key_a).body["data"]["status"], "In Progress");
  auto fulfilled = post("/rest/orders/" + oid + "/fulfill", nullptr, key_a).body["data"];
  EXPECT_EQ(fulfilled["status"], "Fulfilled");
  EXPECT_FALSE(fulfilled["fulfillmentDate"].is_null());

  auto inv = post("/rest/orders/" + oid + "/invoice", nullptr, key_a);
  ASSERT_EQ(inv.status, 200) << inv.raw;
  std::string iid = inv.body["data"]["id"];
  EXPECT_EQ(inv.body["data"]["status"], "Draft");
  EXPECT_TRUE(inv.body["data"]["invoiceNumber"].is_null());
  EXPECT_EQ(inv.body["data"]["total"], 24425);
  EXPECT_EQ(post("/rest/orders/" + oid + "/invoice", nullptr, key_a).body["data"]["id"], iid);  // once

  auto fin = post("/rest/invoices/" + iid + "/finalize", nullptr, key_a).body["data"];
  EXPECT_EQ(fin["status"], "Open");
  EXPECT_EQ(fin["invoiceNumber"].get<std::string>().substr(0, 4), "INV-");
  EXPECT_EQ(fin["invoiceNumber"].get<std::string>().substr(8), "-001");
  EXPECT_FALSE(fin["dueDate"].is_null());
  EXPECT_EQ(get("/rest/orders/" + oid, key_a).body["data"]["status"], "Invoiced");

  auto p1 = post("/rest/payments", {{"invoiceId", iid}, {"amount", 10000}}, key_a);
  ASSERT_EQ(p1.status, 201) << p1.raw;
  EXPECT_EQ(p1.body["data"]["method"], "manual");
  EXPECT_EQ(p1.body["data"]["currency"], "USD");
  auto after1 = get("/rest/invoices/" + iid, key_a).body["data"];
  EXPECT_EQ(after1["status"], "Partially Paid");
  EXPECT_EQ(after1["amountPaid"], 10000);
  EXPECT_EQ(after1["amountDue"], 14425);

  auto over = post("/rest/payments", {{"invoiceId", iid}, {"amount", 14426}}, key_a);
  EXPECT_EQ(over.status, 422) << over.raw;
  EXPECT_EQ(over.body["error"]["field"], "amount");
  EXPECT_EQ(get("/rest/invoices/" + iid, key_a).body["data"], after1);  // nothing changed
  EXPECT_EQ(count("payments", key_a), 1);

  EXPECT_EQ(post("/rest/payments", {{"invoiceId", iid}, {"amount", 14425}, {"method", "card"}}, key_a).status, 201);
  auto paid = get("/rest/invoices/" + iid, key_a).body["data"];
  EXPECT_EQ(paid["status"], "Paid");
  EXPECT_EQ(paid["amountDue"], 0);
  EXPECT_EQ(post("/rest/invoices/" + iid + "/void", nullptr, key_a).status, 409);
}

TEST_P(ApiTest, RefusedMovesAnswer409WithTheAllowedMoves) {
  std::string c = company("X", key_a);
  auto q = post("/rest/quotes", {{"companyId", c}, {"lineItems", {{{"description", "a"}, {"unitAmount", 1}}}}}, key_a);
  std::string qid = q.body["data"]["id"];
  auto r = post("/rest/quotes/" + qid + "/accept", nullptr, key_a);
  EXPECT_EQ(r.status, 409) << r.raw;
  EXPECT_EQ(r.body["error"]["details"]["allowedMoves"], json({"Open", "Canceled"}));
  EXPECT_EQ(post("/rest/quotes/" + qid + "/cancel", nullptr, key_a).body["data"]["status"], "Canceled");
  EXPECT_EQ(post("/rest/quotes/" + qid + "/finalize", nullptr, key_a).status, 409);
  EXPECT_EQ(post("/rest/quotes/" + qid + "/explode", nullptr, key_a).status, 404);
  auto empty = post("/rest/quotes", {{"companyId", c}}, key_a).body["data"]["id"].get<std::string>();
  auto no_lines = post("/rest/quotes/" + empty + "/finalize", nullptr, key_a);
  EXPECT_EQ(no_lines.status, 422);
  EXPECT_EQ(no_lines.body["error"]["field"], "lineItems");
}

TEST_P(ApiTest, NumbersAreGaplessUnderFiftyParallelCreates) {
  std::string c = company("Parallel", key_a);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::string> numbers;
  std::atomic<int> failures{0};
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&] {
      auto r = srv->call("POST", "/rest/orders", {{"companyId", c}, {"lineItems", {{{"description", "x"}, {"unitAmount", 5}}}}}, key_a);
      if (r.status != 201) {
        ++failures;
        return;
      }
      std::lock_guard lock(mu);
      numbers.push_back(r.body["data"]["orderNumber"]);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<std::int64_t> seqs;
  for (auto& n : numbers) seqs.insert(std::stoll(n.substr(n.rfind('-') + 1)));
  ASSERT_EQ(seqs.size(), 50u);
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), 50);
  // Workspace B numbers on its own.
  std::string cb = company("B co", key_b);
  auto other = post("/rest/orders", {{"companyId", cb}}, key_b).body["data"]["orderNumber"].get<std::string>();
  EXPECT_EQ(other.substr(other.rfind('-') + 1), "001");

  // Invoices are numbered when finalized, so a deleted draft leaves no gap.
  auto inv = [&](bool finalize) {
    auto r = post("/rest/invoices", {{"companyId", c}, {"lineItems", {{{"description", "x"}, {"unitAmount", 5}}}}}, key_a);
    std::string id = r.body["data"]["id"];
    if (finalize) return post("/rest/invoices/" + id + "/finalize", nullptr, key_a).body["data"]["invoiceNumber"].get<std::string>();
    EXPECT_EQ(srv->call("DELETE", "/rest/invoices/" + id, nullptr, key_a).status, 200);
    return std::string();
  };
  std::string first = inv(true);
  inv(false);
  std::string second = inv(true);
  EXPECT_EQ(first.substr(first.rfind('-') + 1), "001");
  EXPECT_EQ(second.substr(second.rfind('-') + 1), "002");
}

TEST_P(ApiTest, AnotherWorkspaceSeesNothing) {
  std::string c = company("Secret Co", key_a);
  auto q = post("/rest/quotes", {{"companyId", c}}, key_a);
  std::string qid = q.body["data"]["id"];
  EXPECT_EQ(get("/rest/companies/" + c, key_b).status, 404);
  EXPECT_EQ(patch("/rest/companies/" + c, {{"name", "pwned"}}, key_b).status, 404);
  EXPECT_EQ(srv->call("DELETE", "/rest/companies/" + c, nullptr, key_b).status, 404);
  EXPECT_EQ(post("/rest/quotes/" + qid + "/finalize", nullptr, key_b).status, 404);
  EXPECT_EQ(get("/rest/quotes/" + qid + "/timeline", key_b).status, 404);
  EXPECT_EQ(count("companies", key_b), 0);
  // Writes that point into another workspace are refused, naming the field.
  auto cross = post("/rest/quotes", {{"companyId", c}}, key_b);
  EXPECT_EQ(cross.status, 422);
  EXPECT_EQ(cross.body["error"]["field"], "companyId");
  EXPECT_EQ(get("/rest/companies/" + c, key_a).body["data"]["name"], "Secret Co");
}

TEST_P(ApiTest, MembersCannotManageTheWorkspace) {
  auto m = post("/rest/api-keys", {{"name", "member key"}, {"role", "MEMBER"}}, key_a);
  ASSERT_EQ(m.status, 201) << m.raw;
  std::string member = m.body["data"]["key"];
  EXPECT_EQ(get("/rest/workspace-members/me", member).body["data"]["role"], "MEMBER");
  EXPECT_EQ(get("/rest/workspace-members/me", key_a).body["data"]["role"], "ADMIN");
  EXPECT_EQ(post("/rest/api-keys", {{"name", "x"}}, member).status, 403);
  EXPECT_EQ(get("/rest/api-keys", member).status, 403);
  EXPECT_EQ(post("/rest/approved-domains", {{"domain", "acme-lasers.com"}}, member).status, 403);
  EXPECT_EQ(post("/rest/workspace-members", {{"email", "x@acme-lasers.com"}}, member).status, 403);
  EXPECT_EQ(get("/rest/workspace-members", member).status, 200);
  EXPECT_EQ(post("/rest/companies", {{"name", "by member"}}, member).status, 201);
  // Keys never come back in full.
  auto keys = get("/rest/api-keys", key_a);
  EXPECT_EQ(keys.raw.find(member), std::string::npos);
  json member_entry;
  for (const auto& k : keys.body["data"])
    if (k["name"] == "member key") member_entry = k;
  ASSERT_TRUE(member_entry.is_object()) << keys.raw;
  EXPECT_EQ(member_entry["last4"], member.substr(member.size() - 4));
  // A revoked key stops working.
  std::string id = member_entry["id"];
  EXPECT_EQ(srv->call("DELETE", "/rest/api-keys/" + id, nullptr, key_a).status, 200);
  EXPECT_EQ(get("/rest/companies", member).status, 401);
  // The last ADMIN cannot be demoted.
  std::string admin_id = get("/rest/workspace-members/me", key_a).body["data"]["userId"];
  EXPECT_EQ(patch("/rest/workspace-members/" + admin_id, {{"role", "MEMBER"}}, key_a).status, 409);
}

TEST_P(ApiTest, ApprovedDomainValidationAndSelfServiceJoin) {
  auto gmail = post("/rest/approved-domains", {{"domain", "gmail.com"}}, key_a);
  EXPECT_EQ(gmail.status, 422);
  EXPECT_EQ(gmail.body["error"]["field"], "domain");
  EXPECT_EQ(post("/rest/approved-domains", {{"domain", "lvnlaser.com"}, {"validationEmail", "it@other.com"}}, key_a).status, 422);
  // Only the domain's postmaster or admin (or the ADMIN's own address there) proves control of it.
  auto it = post("/rest/approved-domains", {{"domain", "lvnlaser.com"}, {"validationEmail", "it@lvnlaser.com"}}, key_a);
  EXPECT_EQ(it.status, 422);
  EXPECT_EQ(it.body["error"]["field"], "validationEmail");
  auto d = post("/rest/approved-domains", {{"domain", "LVNlaser.com"}, {"validationEmail", "admin@lvnlaser.com"}}, key_a);
  ASSERT_EQ(d.status, 201) << d.raw;
  EXPECT_EQ(d.body["data"]["status"], "PENDING");
  EXPECT_EQ(d.body["data"]["domain"], "lvnlaser.com");
  EXPECT_FALSE(d.body["data"].contains("validationToken")) << "the code travels only in the mail";
  auto approval = srv->mailed("domain_validation", "admin@lvnlaser.com");
  std::string token = approval.data["code"];
  EXPECT_EQ(approval.data["link"], "https://crm.example.com/validate-domain?token=" + token);

  auto signup = srv->call("POST", "/auth/signup", {{"email", "chen@lvnlaser.com"}, {"password", "a long password"}});
  ASSERT_EQ(signup.status, 201) << signup.raw;
  auto login = srv->call("POST", "/auth/login", {{"email", "chen@lvnlaser.com"}, {"password", "a long password"}});
  ASSERT_EQ(login.status, 200) << login.raw;
  std::string session = session_from(login);
  EXPECT_TRUE(login.body["data"]["workspaceId"].is_null());
  EXPECT_EQ(srv->call("POST", "/auth/join", {{"workspaceId", ws_a}}, "", session).status, 403);  // unverified

  // The verification code went to the outbox, sealed (mail delivery opens it from there).
  auto mail_id = srv->db->read<std::string>([](store::Tx& tx) -> Result<std::string> {
    auto r = tx.query("SELECT id FROM outbox WHERE kind = 'email_verification' AND recipient = 'chen@lvnlaser.com'");
    return store::RowView(r, 0).text("id");
  });
  auto mail = srv->accounts->open_outbox_message(*mail_id);
  ASSERT_TRUE(mail) << mail.error().log;
  std::string code = mail->body.substr(mail->body.rfind(' ') + 1);
  EXPECT_EQ(srv->call("POST", "/auth/verify-email", {{"token", code}}).status, 200);
  EXPECT_EQ(srv->call("POST", "/auth/join", {{"workspaceId", ws_a}}, "", session).status, 403);  // domain pending

  auto validated = srv->call("POST", "/auth/validate-domain", {{"token", token}});
  ASSERT_EQ(validated.status, 200) << validated.raw;
  EXPECT_EQ(validated.body["data"]["status"], "VALIDATED");
  EXPECT_EQ(srv->call("POST", "/auth/validate-domain", {{"token", token}}).status, 422);  // one-time

  auto ws = srv->call("GET", "/auth/workspaces", nullptr, "", session);
  ASSERT_EQ(ws.body["data"]["joinable"].size(), 1u) << ws.raw;
  EXPECT_EQ(ws.body["data"]["joinable"][0]["subdomain"], "acme");
  auto joined = srv->call("POST", "/auth/join", {{"workspaceId", ws_a}}, "", session);
  ASSERT_EQ(joined.status, 200) << joined.raw;
  auto me = srv->call("GET", "/rest/workspace-members/me", nullptr, "", session);
  EXPECT_EQ(me.body["data"]["role"], "MEMBER");
  EXPECT_EQ(me.body["data"]["workspace"]["subdomain"], "acme");
  // Workspace B never approved the domain.
  std::string ws_b = get("/rest/workspace-members/me", key_b).body["data"]["workspace"]["id"];
  EXPECT_EQ(srv->call("POST", "/auth/join", {{"workspaceId", ws_b}}, "", session).status, 403);
}

TEST_P(ApiTest, BadInputGetsAClearErrorAndChangesNothing) {
  std::string c = company("Before", key_a);
  auto before = get("/rest/companies/" + c, key_a).body;
  struct Case {
    std::string method, path, raw;
    int status;
    std::string field;
  } cases[] = {
      {"POST", "/rest/companies", "{\"name\":", 400, ""},
      {"POST", "/rest/companies", "[1,2]", 400, ""},
      {"POST", "/rest/companies", "{\"name\":\"a\",\"colour\":\"red\"}", 422, "colour"},
      {"POST", "/rest/companies", "{\"name\":\"\\u0000\"}", 422, "name"},
      {"POST", "/rest/companies", "{\"name\":\"\xff\xfe\"}", 400, ""},
      {"POST", "/rest/companies", "{}", 422, "name"},
      {"POST", "/rest/companies", "{\"name\":\"a\",\"stripeCustomerId\":\"cus_1\"}", 422, "stripeCustomerId"},
      {"POST", "/rest/products", "{\"name\":\"a\",\"unitAmount\":12.5,\"currency\":\"USD\"}", 422, "unitAmount"},
      {"POST", "/rest/products", "{\"name\":\"a\",\"unitAmount\":\"100\",\"currency\":\"USD\"}", 422, "unitAmount"},
      {"POST", "/rest/products", "{\"name\":\"a\",\"unitAmount\":100,\"currency\":\"XYZ\"}", 422, "currency"},
      {"POST", "/rest/quotes", "{\"companyId\":\"" + c + "\",\"lineItems\":[{\"description\":\"x\",\"quantity\":0,\"unitAmount\":1}]}", 422, "lineItems[0].quantity"},
      {"POST", "/rest/quotes", "{\"companyId\":\"nope\"}", 422, "companyId"},
      {"PATCH", "/rest/companies/" + c, "{\"name\":null}", 422, "name"},
      {"PATCH", "/rest/companies/" + c, "{\"id\":\"other\"}", 422, "id"},
      {"GET", "/rest/companies?filter=name[eq]:'%3B%20DROP%20TABLE%20companies%3B%20--", "", 200, ""},
      {"GET", "/rest/companies?filter=name)%3BDROP%20TABLE%20companies%3B--[eq]:1", "", 400, "filter"},
      {"GET", "/rest/companies?limit=500", "", 400, "limit"},
      {"GET", "/rest/nonsense", "", 404, ""},
  };
  for (const auto& k : cases) {
    auto r = srv->call(k.method, k.path, nullptr, key_a, "", k.raw);
    EXPECT_EQ(r.status, k.status) << k.method << " " << k.path << " " << k.raw << " -> " << r.raw;
    if (k.status >= 400) {
      ASSERT_TRUE(r.body.contains("error")) << r.raw;
      EXPECT_FALSE(r.body["error"]["message"].get<std::string>().empty());
      if (!k.field.empty()) {
        EXPECT_EQ(r.body["error"]["field"], k.field) << k.raw;
      }
    }
  }
  auto big = srv->call("POST", "/rest/companies", nullptr, key_a, "", "{\"name\":\"" + std::string(2 << 20, 'x') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(count("companies", key_a), 1);
  EXPECT_EQ(get("/rest/companies/" + c, key_a).body, before);
  // SQL-looking input is data: stored and returned verbatim.
  std::string evil = "Robert'); DROP TABLE companies; --";
  auto stored = post("/rest/companies", {{"name", evil}}, key_a);
  EXPECT_EQ(stored.body["data"]["name"], evil);
  EXPECT_EQ(count("companies", key_a), 2);
}

TEST_P(ApiTest, AuthenticationIsRequiredAndLoginIsRateLimited) {
  EXPECT_EQ(srv->call("GET", "/rest/companies").status, 401);
  EXPECT_EQ(get("/rest/companies", "sk_settle_wrong").status, 401);
  EXPECT_EQ(srv->call("GET", "/rest/companies", nullptr, "", "forged-session").status, 401);
  auto ok = srv->call("POST", "/auth/login", {{"email", "admin@acme-lasers.com"}, {"password", "correct horse 1"}});
  ASSERT_EQ(ok.status, 200) << ok.raw;
  std::string session = session_from(ok);
  EXPECT_NE(ok.header("set-cookie").find("HttpOnly"), std::string::npos);
  EXPECT_EQ(srv->call("GET", "/rest/workspace-members/me", nullptr, "", session).body["data"]["role"], "ADMIN");
  for (int i = 0; i < crm::kMaxLoginFailuresPerEmail; ++i)
    EXPECT_EQ(srv->call("POST", "/auth/login", {{"email", "admin@acme-lasers.com"}, {"password", "guess"}}).status, 401);
  auto limited = srv->call("POST", "/auth/login", {{"email", "admin@acme-lasers.com"}, {"password", "correct horse 1"}});
  EXPECT_EQ(limited.status, 429) << limited.raw;
  EXPECT_EQ(srv->call("POST", "/auth/logout", json::object(), "", session).status, 200);
  EXPECT_EQ(srv->call("GET", "/rest/companies", nullptr, "", session).status, 401);
}

TEST_P(ApiTest, OpenApiDocumentsEveryRoute) {
  auto doc = srv->call("GET", "/rest/openapi.json").body;
  ASSERT_TRUE(doc.contains("paths"));
  std::set<std::string> documented;
  for (auto& [path, ops] : doc["paths"].items())
    for (auto& [method, _] : ops.items()) {
      documented.insert(method + " " + path);
      // Every documented operation is routed: without credentials it is refused (401) or
      // answered, never "no such route" or 405.
      net::Request r;
      r.method = method;
      for (auto& ch : r.method) ch = static_cast<char>(std::toupper(ch));
      r.path = path;
      for (size_t i = r.path.find('{'); i != std::string::npos; i = r.path.find('{'))
        r.path.replace(i, r.path.find('}', i) - i + 1, "x");
      auto res = srv->api->handle(r);
      EXPECT_NE(res.status, 405) << method << " " << path;
      EXPECT_EQ(res.body.find("\"route "), std::string::npos) << method << " " << path;
    }
  // Every route is documented (generic routes once per object).
  for (const auto& route : srv->api->routes()) {
    if (route.pattern == "/*") continue;
    std::string m = route.method;
    for (auto& ch : m) ch = static_cast<char>(std::tolower(ch));
    std::string p = route.pattern;
    auto pos = p.find("{object}");
    if (pos != std::string::npos) p.replace(pos, 8, "companies");
    if (p.find("{action}") != std::string::npos) p.replace(p.find("companies"), 9, "quotes"), p.replace(p.find("{action}"), 8, "finalize");
    EXPECT_TRUE(documented.count(m + " " + p)) << m << " " << p;
  }
  EXPECT_TRUE(documented.count("post /rest/invoices/{id}/mark-uncollectible"));
  EXPECT_TRUE(documented.count("get /rest/payments"));
  EXPECT_EQ(doc["components"]["schemas"]["invoices"]["properties"]["amountDue"]["readOnly"], true);
}

TEST_P(ApiTest, ATaskTargetsALiveRecordOfItsOwnWorkspace) {
  std::string mine = company("Lumen Clinic", key_a);
  std::string theirs = company("Beta Clinic", key_b);
  auto task = [&](const json& extra) {
    json body = {{"title", "Call back"}};
    body.update(extra);
    return post("/rest/tasks", body, key_a);
  };
  struct Case {
    json body;
    int status;
    const char* field;
  } cases[] = {
      {{{"targetObject", "companies"}, {"targetId", mine}}, 201, nullptr},
      {{{"targetObject", "companies"}, {"targetId", theirs}}, 422, "targetId"},
      {{{"targetObject", "invoices"}, {"targetId", mine}}, 422, "targetId"},  // the id is not an invoice
      {{{"targetId", mine}}, 422, "targetObject"},
      {{{"targetObject", "companies"}}, 201, nullptr},
  };
  for (const auto& c : cases) {
    auto r = task(c.body);
    EXPECT_EQ(r.status, c.status) << c.body << r.raw;
    if (c.field) {
      EXPECT_EQ(r.body["error"]["field"], c.field) << r.raw;
    }
  }
  // Moving one half of a target is checked against the other half.
  std::string id = task({{"targetObject", "companies"}, {"targetId", mine}}).body["data"]["id"];
  auto moved = patch("/rest/tasks/" + id, {{"targetId", theirs}}, key_a);
  EXPECT_EQ(moved.status, 422) << moved.raw;
  EXPECT_EQ(get("/rest/tasks/" + id, key_a).body["data"]["targetId"], mine);
  EXPECT_EQ(patch("/rest/tasks/" + id, {{"targetObject", "people"}}, key_a).status, 422);
  EXPECT_EQ(count("tasks", key_a), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
