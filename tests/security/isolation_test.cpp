// Isolation and roles, generated from /rest/openapi.json on both backends over real HTTP:
// no operation lets one workspace read or change another's records, members, keys,
// domains or Stripe events (by API key or session, by path or by a reference in the body,
// by a list's filter or cursor, by an aggregate, by a Stripe event naming the other's Stripe
// objects); a MEMBER, or a demoted ADMIN, is refused every ADMIN operation; a removed
// member's session and API key stop working at once. Every operation of the document is
// swept; the document itself is checked to cover every route the server serves, so that a
// new route cannot escape the sweep. "Unchanged" is checked on every row the workspace owns.
#include <gtest/gtest.h>

#include <algorithm>

#include "security_support.hpp"

namespace settle::testing::security {
namespace {

// Workspace A is connected to the sandbox in the sweep, so that A's Stripe routes reach the
// record lookup instead of stopping at "connect Stripe first".
class SecurityIsolationTest : public SandboxedSuite {
 protected:
  void SetUp() override {
    srv = std::make_unique<TestServer>(GetParam(), sandbox_url());
    auto a = srv->accounts->create_workspace("Acme", "acme", "admin@acme-lasers.com", std::string("correct horse 1"));
    auto b = srv->accounts->create_workspace("Beta", "beta", "admin@beta-med.com", std::string("correct horse 2"));
    ASSERT_TRUE(a && b);
    made_a = *a;
    made_b = *b;
    auto r = srv->call("GET", "/rest/openapi.json");
    ASSERT_EQ(r.status, 200) << r.raw;
    doc = r.body;
  }

  Workspace seed_a() { return seed_workspace(*srv, made_a, "acme", "acme-lasers.com"); }
  Workspace seed_b() { return seed_workspace(*srv, made_b, "beta", "beta-med.com"); }

  // A new ADMIN of `w`, signed in, with an ADMIN API key they made themselves (by session).
  struct Admin {
    std::string user, session, key;
  };
  Admin add_admin(const Workspace& w, const std::string& email) {
    const std::string password = "a long password of " + email;
    Admin out;
    out.user = data_of(*srv, "POST", "/rest/workspace-members", {{"email", email}, {"password", password}, {"role", "ADMIN"}},
                       w.admin_key)["userId"]
                   .get<std::string>();
    auto login = srv->call("POST", "/auth/login", {{"email", email}, {"password", password}, {"workspace", w.subdomain}});
    if (login.status != 200) throw std::runtime_error("set-up: sign-in of " + email + " -> " + login.raw);
    out.session = session_from(login);
    out.key = data_of(*srv, "POST", "/rest/api-keys", {{"name", "key of " + email}, {"role", "ADMIN"}}, {}, out.session)["key"]
                  .get<std::string>();
    return out;
  }

  // The operations of the document with the given access ("" for all but public).
  std::vector<Operation> ops(const std::string& access = {}) const {
    std::vector<Operation> out;
    for (auto& op : operations(doc))
      if (access.empty() ? op.access != "public" : op.access == access) out.push_back(op);
    return out;
  }

  std::unique_ptr<TestServer> srv;
  crm::NewWorkspace made_a, made_b;
  json doc;
};

// Whether `path` is served by route `pattern` ({x} matches one segment).
bool matches(const std::string& pattern, const std::string& path) {
  size_t i = 0, j = 0;
  while (i < pattern.size() && j < path.size()) {
    if (pattern[i] == '{') {
      i = pattern.find('}', i) + 1;
      size_t slash = path.find('/', j);
      if (slash == j) return false;
      j = slash == std::string::npos ? path.size() : slash;
    } else if (pattern[i++] != path[j++]) {
      return false;
    }
  }
  return i == pattern.size() && j == path.size();
}

// The route that serves `method path`, as the router picks it: of those that match, the one
// with the fewest parameters (a literal segment wins over {object}), or nullptr.
const http::ApiRoute* route_of(const std::vector<http::ApiRoute>& routes, const std::string& method,
                               const std::string& path) {
  const http::ApiRoute* best = nullptr;
  auto params = [](const std::string& p) { return std::count(p.begin(), p.end(), '{'); };
  for (const auto& r : routes)
    if (r.method == method && r.pattern != "/*" && matches(r.pattern, path) && (!best || params(r.pattern) < params(best->pattern)))
      best = &r;
  return best;
}

TEST_P(SecurityIsolationTest, TheDocumentCoversEveryRouteAndEveryGuardedOperationNeedsCredentials) {
  std::set<std::string> documented;
  for (const auto& op : operations(doc)) documented.insert(upper(op.method) + " " + op.path);
  const auto& table = srv->api->api_routes();
  // Every route served, generic ones once per object, is in the document.
  const auto served = srv->api->routes();
  ASSERT_FALSE(served.empty());
  for (const auto& route : served) {
    if (route.pattern == "/*") continue;  // the web UI's files, not the API
    if (route.pattern.find("{object}") == std::string::npos) {
      EXPECT_TRUE(documented.count(route.method + " " + route.pattern)) << route.method << " " << route.pattern;
      continue;
    }
    for (const auto& o : crm::all_objects()) {
      std::string p = route.pattern;
      p.replace(p.find("{object}"), 8, o.name);
      if (p.find("{action}") == std::string::npos) {
        EXPECT_TRUE(documented.count(route.method + " " + p)) << route.method << " " << p;
        continue;
      }
      // Lifecycle actions: each document object documents at least one, each a path of its
      // own that this route (not a literal one beside it) serves.
      if (!o.has_line_items) continue;
      int actions = 0;
      for (const auto& d : documented) {
        std::string method = d.substr(0, d.find(' ')), path = d.substr(d.find(' ') + 1);
        const http::ApiRoute* by = route_of(table, method, path);
        if (method == route.method && matches(p, path) && by && by->pattern == route.pattern) ++actions;
      }
      EXPECT_GT(actions, 0) << "no action of " << o.name << " is documented";
    }
  }
  // Every operation documented is routed, and says who may call it as its route does.
  for (const auto& op : operations(doc)) {
    EXPECT_TRUE(op.access == "public" || op.access == "member" || op.access == "admin")
        << op.method << " " << op.path << ": x-settle-access '" << op.access << "'";
    const http::ApiRoute* route = route_of(table, upper(op.method), op.path);
    ASSERT_NE(route, nullptr) << op.method << " " << op.path << " is documented but not routed";
    EXPECT_EQ(std::string(http::to_string(route->access)), op.access) << op.method << " " << op.path;
  }
  // Nothing but a public operation answers a caller without credentials or with a forged key.
  Workspace a = seed_a();
  const std::string forged = "sk_settle_" + random_token(32);
  for (const auto& op : ops())
    for (const auto& path : concrete_paths(op.path, a)) {
      json body = request_body(op);
      for (const std::string& key : {std::string(), forged}) {
        auto r = srv->call(upper(op.method), path, body, key);
        EXPECT_EQ(r.status, 401) << op.method << " " << path << (key.empty() ? " without credentials" : " forged key")
                                 << " -> " << r.raw;
        EXPECT_TRUE(r.body["error"]["code"].is_string()) << r.raw;
      }
    }
}

TEST_P(SecurityIsolationTest, NoOperationReadsOrChangesAnotherWorkspacesData) {
  Workspace a = seed_a(), b = seed_b();
  ASSERT_EQ(srv->call("PUT", "/rest/settings/stripe", {{"secretKey", "sk_test_" + random_id("")}}, a.admin_key).status, 200);
  auto login = srv->call("POST", "/auth/login", {{"email", "admin@acme-lasers.com"}, {"password", "correct horse 1"}});
  ASSERT_EQ(login.status, 200) << login.raw;
  const std::string a_session = session_from(login);
  const Snapshot before = snapshot(*srv, b.id);
  EXPECT_EQ(empty_tables(before), std::vector<std::string>());
  const std::vector<std::string> b_data = b.all_ids();
  int requests = 0;
  // Sends one request as A's ADMIN, by API key or else by session (with its CSRF token).
  // With an id of B's in the path the answer is "not found" (or a refusal of the input that
  // did not look at B's record: 422); a 409 would tell the state of B's record. With B's ids
  // only in the body, a refusal. The answer never holds anything of B's that the request did
  // not itself carry.
  auto send = [&](const Operation& op, const std::string& path, const json& body, bool b_in_path, bool by_session = false) {
    auto r = by_session ? srv->call(upper(op.method), path, body, {}, a_session) : srv->call(upper(op.method), path, body, a.admin_key);
    ++requests;
    std::string sent = path + " " + body.dump();
    std::string what = upper(op.method) + " " + sent + (by_session ? " (session)" : "") + " -> " + std::to_string(r.status) +
                       " " + r.raw.substr(0, 400);
    std::string leaked = first_leaked(r.raw, b_data, sent);
    EXPECT_EQ(leaked, "") << "B's data in the answer: " << what;
    if (b_in_path) {
      EXPECT_TRUE(r.status == 404 || r.status == 422) << what;
    } else if (!first_leaked(sent, b_data).empty()) {
      EXPECT_TRUE(r.status == 403 || r.status == 404 || r.status == 409 || r.status == 422) << what;
    }
  };
  for (const auto& op : ops()) {
    bool has_params = op.path.find('{') != std::string::npos;
    const crm::ObjectDef* object = record_body_object(op);
    json body = request_body(op);
    if (object && op.method == "patch") body = edit_body(doc, *object);  // an edit B's record would accept
    // A mail template's {kind} names no workspace's data (every workspace has the same kinds):
    // such a path is A's own; that A's edit of a template is A's alone the snapshot checks.
    bool workspace_param = has_params && op.path.find("{kind}") == std::string::npos;
    if (workspace_param)
      for (const auto& path : concrete_paths(op.path, b))
        for (bool by_session : {false, true}) send(op, path, body, true, by_session);
    else if (has_params && !object)
      for (const auto& path : concrete_paths(op.path, a)) send(op, path, body, false);
    else if (!object)
      send(op, op.path, body, false);  // A's own lists, settings and creations
    if (!object) continue;
    // Creating or editing A's own records with one reference at a time into B.
    bool creating = op.method == "post";
    std::vector<std::string> own_paths = has_params ? concrete_paths(op.path, a) : std::vector<std::string>{op.path};
    for (const auto& field : reference_fields(*object, creating)) {
      json with_b = creating ? create_body(doc, *object, a) : json::object();
      set_reference(with_b, *object, field, b);
      for (const auto& path : own_paths) send(op, path, with_b, false);
    }
    if (creating) send(op, op.path, create_body(doc, *object, a), false);  // a plain create: nothing of B's answered
  }
  // Nor can a session of A's move itself into B (routes that take a session, not a workspace).
  for (const std::string route : {"/auth/switch-workspace", "/auth/join"}) {
    auto r = srv->call("POST", route, {{"workspaceId", b.id}}, {}, a.member_session);
    EXPECT_TRUE(r.status == 403 || r.status == 404) << route << " " << r.raw;
    EXPECT_EQ(first_leaked(r.raw, b_data, b.id), "") << route << " " << r.raw;
  }
  auto choices = srv->call("GET", "/auth/workspaces", nullptr, {}, a.member_session);
  EXPECT_EQ(choices.status, 200) << choices.raw;
  EXPECT_EQ(first_leaked(choices.raw, b_data), "") << choices.raw;
  EXPECT_EQ(srv->call("GET", "/rest/workspace-members/me", nullptr, {}, a.member_session).body["data"]["workspace"]["id"], a.id);
  // Nor can A's webhook signing secret put an event into B's inbox.
  auto forged = deliver_webhook(*srv, b.subdomain, ignored_event("evt_from_a_" + random_id("").substr(0, 8)), a.signing_secret);
  EXPECT_EQ(forged.status, 400) << forged.raw;
  EXPECT_GT(requests, 250);
  EXPECT_EQ(snapshot_diff(before, snapshot(*srv, b.id)), "") << "workspace B changed";
  // The control: an edit B makes itself does show.
  ASSERT_EQ(srv->call("PATCH", "/rest/companies/" + b.first("companies"), {{"address", "1 Main St"}}, b.admin_key).status, 200);
  EXPECT_NE(snapshot_diff(before, snapshot(*srv, b.id)), "");
}

// Stripe's events reach a workspace by the signing secret that verifies them; one that names
// another workspace's Stripe objects is applied to nothing.
TEST_P(SecurityIsolationTest, AStripeEventOfOneWorkspaceNamingAnothersObjectsChangesNothing) {
  Workspace a = seed_a(), b = seed_b();
  ASSERT_EQ(srv->call("PUT", "/rest/settings/stripe", {{"secretKey", "sk_test_" + random_id("")}}, b.admin_key).status, 200);
  json lines = {{{"description", b.marker + " on Stripe"}, {"quantity", 1}, {"unitAmount", 5000}}};
  std::string invoice = data_of(*srv, "POST", "/rest/invoices", {{"companyId", b.first("companies")}, {"lineItems", lines}},
                                b.admin_key)["id"];
  json sent = data_of(*srv, "POST", "/rest/invoices/" + invoice + "/finalize", json::object(), b.admin_key);
  std::string quote = data_of(*srv, "POST", "/rest/quotes", {{"companyId", b.first("companies")}, {"lineItems", lines}},
                              b.admin_key)["id"];
  json quoted = data_of(*srv, "POST", "/rest/quotes/" + quote + "/finalize", json::object(), b.admin_key);
  ASSERT_TRUE(sent["stripeInvoiceId"].is_string() && quoted["stripeQuoteId"].is_string()) << sent << quoted;
  const std::string sid = sent["stripeInvoiceId"], qid = quoted["stripeQuoteId"];
  const std::string pi = sent["stripePaymentIntentId"].is_string() ? sent["stripePaymentIntentId"].get<std::string>() : "pi_" + sid;
  ASSERT_EQ(srv->call("PUT", "/rest/settings/stripe", {{"secretKey", "sk_test_" + random_id("")}}, a.admin_key).status, 200);
  const Snapshot before = snapshot(*srv, b.id);

  const std::vector<std::pair<std::string, json>> events = {
      {"invoice.paid", {{"id", sid}, {"object", "invoice"}}},
      {"invoice.payment_failed", {{"id", sid}, {"object", "invoice"}}},
      {"invoice.voided", {{"id", sid}, {"object", "invoice"}}},
      {"invoice.marked_uncollectible", {{"id", sid}, {"object", "invoice"}}},
      {"invoice_payment.paid", {{"id", "inpay_" + random_id("")}, {"object", "invoice_payment"}, {"invoice", sid}}},
      {"payment_intent.succeeded", {{"id", pi}, {"object", "payment_intent"}}},
      {"charge.refunded", {{"id", "ch_" + random_id("")}, {"object", "charge"}, {"payment_intent", pi}}},
      {"quote.accepted", {{"id", qid}, {"object", "quote"}}},
      {"quote.canceled", {{"id", qid}, {"object", "quote"}}},
  };
  std::vector<std::string> ids;
  for (const auto& [type, object] : events) {
    ids.push_back("evt_" + random_id("").substr(0, 16));
    std::string payload = json{{"id", ids.back()}, {"object", "event"}, {"type", type}, {"created", unix_now()},
                               {"livemode", false}, {"api_version", "2026-10-28.endive"}, {"data", {{"object", object}}}}
                              .dump();
    auto r = deliver_webhook(*srv, a.subdomain, payload, a.signing_secret);
    EXPECT_EQ(r.status, 200) << type << " " << r.raw;
  }
  // A's inbox takes them all and settles; B's holds none of them.
  bool settled = false;
  for (int i = 0; i < 200 && !settled; ++i) {
    auto listed = data_of(*srv, "GET", "/rest/stripe/events?limit=200", nullptr, a.admin_key);
    settled = true;
    for (const auto& id : ids) {
      auto it = std::find_if(listed.begin(), listed.end(), [&](const json& e) { return e["id"] == id; });
      settled = settled && it != listed.end() && (*it)["status"] != "pending";
    }
    if (!settled) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(settled) << "A's inbox did not settle";
  auto b_events = srv->call("GET", "/rest/stripe/events?limit=200", nullptr, b.admin_key);
  EXPECT_EQ(first_leaked(b_events.raw, ids), "") << b_events.raw;
  EXPECT_EQ(snapshot_diff(before, snapshot(*srv, b.id)), "") << "an event of A's changed workspace B";
}

TEST_P(SecurityIsolationTest, ListsOfOneWorkspaceHoldNoneOfAnothersRecords) {
  Workspace a = seed_a(), b = seed_b();
  const std::vector<std::string> b_data = b.all_ids();
  int lists = 0;
  for (const auto& op : ops("member")) {
    const std::string object = op.path.substr(op.path.rfind('/') + 1);
    if (op.method != "get" || op.path != "/rest/" + object || !a.records.count(object)) continue;
    ++lists;
    // A cursor of B's list, handed to A's.
    auto b_page = srv->call("GET", op.path + "?limit=1", nullptr, b.admin_key);
    ASSERT_EQ(b_page.status, 200) << b_page.raw;
    const std::string b_cursor = b_page.body["pageInfo"]["endCursor"].get<std::string>();
    const struct {
      std::string query;
      bool lists_all_of_a;  // A deleted nothing, so its filter on deletedAt lists none of A's
      bool may_refuse;      // a cursor of another list may be refused as malformed
    } queries[] = {{"", true, false},
                   {"?limit=200&order_by=createdAt[AscNullsFirst]", true, false},
                   {"?filter=deletedAt[is]:NOT_NULL", false, false},
                   {"?filter=id[eq]:" + b.first(object), false, false},
                   {"?starting_after=" + b_cursor, false, true},
                   {"?ending_before=" + b_cursor, false, true}};
    for (const auto& q : queries) {
      auto r = srv->call("GET", op.path + q.query, nullptr, a.admin_key);
      EXPECT_EQ(first_leaked(r.raw, b_data, q.query), "") << op.path << q.query << " lists B's data: " << r.raw;
      if (q.may_refuse && r.status == 400) continue;
      ASSERT_EQ(r.status, 200) << op.path << q.query << " " << r.raw;
      if (!q.lists_all_of_a) continue;
      std::set<std::string> listed;
      for (const auto& rec : r.body["data"]) listed.insert(rec["id"].get<std::string>());
      for (const auto& id : a.records.at(object)) EXPECT_TRUE(listed.count(id)) << op.path << q.query << " misses A's " << id;
    }
  }
  EXPECT_EQ(lists, static_cast<int>(crm::all_objects().size()));
}

// Aggregates (the dashboard's figures, counts) would not name B's records; so every read of
// A's, made before B holds anything and again after, answers the same.
TEST_P(SecurityIsolationTest, AnotherWorkspacesDataChangesNoneOfItsAnswers) {
  Workspace a = seed_a();
  std::map<std::string, std::string> first;
  // Twice: the first read of a finalized document's PDF fixes it (and sets pdfSha256 on the
  // record), which is A's own doing; the second pass is what B's data must not change.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& op : ops())
      if (op.method == "get")
        for (const auto& path : concrete_paths(op.path, a)) first[path] = srv->call("GET", path, nullptr, a.admin_key).raw;
  ASSERT_GT(first.size(), 30u);
  seed_b();
  for (const auto& [path, answer] : first)
    EXPECT_EQ(srv->call("GET", path, nullptr, a.admin_key).raw, answer) << "B's data changed A's answer to GET " << path;
}

TEST_P(SecurityIsolationTest, AMemberIsRefusedEveryAdminOperationAndChangesNothing) {
  Workspace a = seed_a();
  // Also an ADMIN demoted to MEMBER: their session, and the ADMIN key they made while ADMIN.
  Admin demoted = add_admin(a, "demoted@acme-lasers.com");
  ASSERT_EQ(srv->call("PATCH", "/rest/workspace-members/" + demoted.user, {{"role", "MEMBER"}}, a.admin_key).status, 200);
  const struct {
    std::string name, key, session;
  } members[] = {{"the MEMBER's session", "", a.member_session},
                 {"a MEMBER key", a.member_key, ""},
                 {"a demoted ADMIN's session", "", demoted.session},
                 {"the ADMIN key of a demoted ADMIN", demoted.key, ""}};
  const Snapshot before = snapshot(*srv, a.id);
  EXPECT_EQ(empty_tables(before), std::vector<std::string>());
  int admin_ops = 0;
  for (const auto& op : ops("admin")) {
    ++admin_ops;
    json body = request_body(op);
    for (const auto& path : concrete_paths(op.path, a))
      for (const auto& m : members) {
        auto r = srv->call(upper(op.method), path, body, m.key, m.session);
        std::string what = upper(op.method) + " " + path + " by " + m.name + " -> " + r.raw;
        EXPECT_EQ(r.status, 403) << what;
        EXPECT_EQ(r.body["error"]["code"], "FORBIDDEN") << what;
        EXPECT_TRUE(r.body["error"]["message"].is_string()) << what;
      }
  }
  EXPECT_GT(admin_ops, 10);
  EXPECT_EQ(snapshot_diff(before, snapshot(*srv, a.id)), "") << "a MEMBER changed the workspace";
  // What a member may read, the MEMBER reads.
  int reads = 0;
  for (const auto& op : ops("member")) {
    if (op.method != "get") continue;
    for (const auto& path : concrete_paths(op.path, a)) {
      ++reads;
      for (const auto& m : members) {
        auto r = srv->call("GET", path, nullptr, m.key, m.session);
        EXPECT_TRUE(r.status != 401 && r.status != 403) << path << " by " << m.name << " -> " << r.raw;
      }
    }
  }
  EXPECT_GT(reads, 30);
}

TEST_P(SecurityIsolationTest, ARemovedMembersSessionAndKeyAreRefusedEverywhere) {
  Workspace a = seed_a();
  Admin x = add_admin(a, "x@acme-lasers.com");
  // Both work before the removal, as an ADMIN.
  EXPECT_EQ(srv->call("GET", "/rest/api-keys", nullptr, {}, x.session).status, 200);
  EXPECT_EQ(srv->call("GET", "/rest/api-keys", nullptr, x.key).status, 200);

  auto removed = srv->call("DELETE", "/rest/workspace-members/" + x.user, nullptr, a.admin_key);
  ASSERT_EQ(removed.status, 200) << removed.raw;
  int reads = 0;
  for (const auto& op : ops()) {
    if (op.method != "get") continue;
    for (const auto& path : concrete_paths(op.path, a)) {
      ++reads;
      auto by_session = srv->call("GET", path, nullptr, {}, x.session);
      auto by_key = srv->call("GET", path, nullptr, x.key);
      auto by_admin = srv->call("GET", path, nullptr, a.admin_key);
      EXPECT_TRUE(by_session.status == 401 || by_session.status == 403) << path << " (X's session) " << by_session.raw;
      EXPECT_TRUE(by_key.status == 401 || by_key.status == 403) << path << " (X's key) " << by_key.raw;
      EXPECT_TRUE(by_admin.status != 401 && by_admin.status != 403) << path << " (the other ADMIN) " << by_admin.raw;
    }
  }
  EXPECT_GT(reads, 30);
  // Nor can X write: a new key, or itself back in.
  auto again = srv->call("POST", "/rest/api-keys", {{"name", "again"}}, {}, x.session);
  EXPECT_TRUE(again.status == 401 || again.status == 403) << again.raw;
  auto back = srv->call("POST", "/rest/workspace-members", {{"email", "x@acme-lasers.com"}, {"role", "ADMIN"}}, x.key);
  EXPECT_TRUE(back.status == 401 || back.status == 403) << back.raw;
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityIsolationTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing::security
