// Accounts against takeover, over real HTTP on both backends: adding a member never touches
// another user's account, invitations are one-time links sealed in the outbox, and removing
// a member, changing a password or an operator's reset ends the sessions and keys they should.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "harness.hpp"

namespace settle::testing {
namespace {

struct UserRow {
  std::string id, password_hash, first_name, last_name;
  std::int64_t email_verified = 0;
  bool operator==(const UserRow&) const = default;
};

class AccountSecurityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    srv = std::make_unique<TestServer>(GetParam());
    for (auto* w : {&acme, &beta, &gamma}) {
      auto made = srv->accounts->create_workspace(w->name, w->subdomain, w->admin, std::string(w->password));
      ASSERT_TRUE(made) << made.error().log;
      w->id = made->workspace_id;
      w->key = made->api_key;
    }
  }

  struct Workspace {
    std::string name, subdomain, admin, password;
    std::string id = {}, key = {};  // once created
  };

  Reply login(const std::string& email, const std::string& password, const std::string& workspace = {}) {
    json body = {{"email", email}, {"password", password}};
    if (!workspace.empty()) body["workspace"] = workspace;
    return srv->call("POST", "/auth/login", body);
  }
  std::string session(const std::string& email, const std::string& password, const std::string& workspace = {}) {
    auto r = login(email, password, workspace);
    EXPECT_EQ(r.status, 200) << r.raw;
    return session_from(r);
  }
  int with_session(const std::string& cookie) { return srv->call("GET", "/rest/companies", nullptr, {}, cookie).status; }
  int with_key(const std::string& key) { return srv->call("GET", "/rest/companies", nullptr, key).status; }

  // Rows read straight from the database, as someone with a copy of it would.
  std::optional<UserRow> user_row(const std::string& email) {
    auto r = srv->db->read<std::optional<UserRow>>([&](store::Tx& tx) -> Result<std::optional<UserRow>> {
      auto row = tx.query_one(
          "SELECT id, password_hash, first_name, last_name, email_verified FROM users WHERE email = :e", {{"e", email}});
      if (!row) return std::optional<UserRow>();
      store::RowView u(*row, 0);
      return UserRow{u.text("id"), u.text("password_hash"), u.text("first_name"), u.text("last_name"),
                     u.integer("email_verified")};
    });
    EXPECT_TRUE(r) << r.error().log;
    return r ? *r : std::nullopt;
  }
  std::int64_t count(const std::string& sql, const store::Params& params = {}) {
    auto r = srv->db->read<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      return store::RowView(tx.query(sql, params), 0).integer("n");
    });
    EXPECT_TRUE(r) << r.error().log;
    return r ? *r : -1;
  }
  std::vector<std::string> raw_outbox_bodies() {
    auto r = srv->db->read<std::vector<std::string>>([&](store::Tx& tx) -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      auto rows = tx.query("SELECT body FROM outbox");
      for (size_t i = 0; i < rows.size(); ++i) out.push_back(store::RowView(rows, i).text("body"));
      return out;
    });
    return r ? *r : std::vector<std::string>{};
  }
  // The mail of `kind` to `to` (from workspace_id, if given), opened as the mailer will, and
  // whether it is sealed at rest.
  std::pair<crm::OutboxMessage, bool> mail(const std::string& kind, const std::string& to,
                                           const std::string& workspace_id = {}) {
    auto row = srv->db->read<std::pair<std::string, bool>>([&](store::Tx& tx) -> Result<std::pair<std::string, bool>> {
      std::string sql = "SELECT id, body_sealed FROM outbox WHERE kind = :k AND recipient = :to";
      store::Params params = {{"k", kind}, {"to", to}};
      if (!workspace_id.empty()) sql += " AND workspace_id = :ws", params.emplace_back("ws", workspace_id);
      auto r = tx.query_one(sql, params);
      if (!r) return fail(Error::not_found(kind + " mail to " + to));
      return std::pair{store::RowView(*r, 0).text("id"), store::RowView(*r, 0).integer("body_sealed") == 1};
    });
    EXPECT_TRUE(row) << row.error().message;
    if (!row) return {};
    auto opened = srv->accounts->open_outbox_message(row->first);
    EXPECT_TRUE(opened) << opened.error().log;
    return {opened ? *opened : crm::OutboxMessage{}, row->second};
  }
  std::string invitation_token(const std::string& to, const std::string& workspace_id = {}) {
    std::string body = mail("member_invitation", to, workspace_id).first.body;
    auto at = body.find("/accept-invitation?token=");
    EXPECT_NE(at, std::string::npos) << body;
    return at == std::string::npos ? "" : body.substr(at + std::string("/accept-invitation?token=").size());
  }
  Reply accept(const std::string& token, const std::string& password, const json& extra = json::object()) {
    json body = {{"token", token}, {"password", password}};
    body.update(extra);
    return srv->call("POST", "/auth/accept-invitation", body);
  }
  Reply add_member(const json& body, const std::string& key, const std::string& cookie = {}) {
    return srv->call("POST", "/rest/workspace-members", body, key, cookie);
  }

  std::unique_ptr<TestServer> srv;
  Workspace acme{"Acme", "acme", "admin@acme-lasers.com", "correct horse 1"};
  Workspace beta{"Beta", "beta", "admin@beta-med.com", "correct horse 2"};
  Workspace gamma{"Gamma", "gamma", "admin@gamma-dx.com", "correct horse 3"};
};

TEST_P(AccountSecurityTest, AddingAnotherWorkspacesAdminChangesNothingOfTheirAccount) {
  std::string acme_session = session(acme.admin, acme.password);
  struct Case {
    const char* through;
    Workspace* victim;
    std::string key, cookie;
  } cases[] = {{"API key", &beta, acme.key, {}}, {"session cookie", &gamma, {}, acme_session}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.through);
    auto before = user_row(c.victim->admin);
    ASSERT_TRUE(before);
    auto added = add_member({{"email", c.victim->admin}, {"password", "attacker chose this"}, {"role", "ADMIN"}}, c.key,
                            c.cookie);
    ASSERT_EQ(added.status, 201) << added.raw;
    EXPECT_EQ(added.body["data"]["status"], "invited");
    EXPECT_EQ(added.body["data"]["userId"], before->id);
    EXPECT_EQ(added.body["data"]["role"], "ADMIN");

    EXPECT_EQ(user_row(c.victim->admin), before);  // hash, names and verification untouched
    EXPECT_EQ(login(c.victim->admin, "attacker chose this").status, 401);
    EXPECT_EQ(login(c.victim->admin, "attacker chose this", c.victim->subdomain).status, 401);
    auto own = login(c.victim->admin, c.victim->password, c.victim->subdomain);
    ASSERT_EQ(own.status, 200) << own.raw;
    EXPECT_EQ(srv->call("GET", "/rest/workspace-members/me", nullptr, {}, session_from(own)).body["data"]["role"],
              "ADMIN");  // still ADMIN of their own workspace

    // A member of Acme now, told by mail; the mail carries no code (the account has a password).
    auto members = srv->call("GET", "/rest/workspace-members", nullptr, acme.key).body["data"];
    bool listed = false;
    for (const auto& m : members) listed = listed || m["email"] == c.victim->admin;
    EXPECT_TRUE(listed) << members;
    auto [invitation, sealed] = mail("member_invitation", c.victim->admin);
    EXPECT_FALSE(sealed);
    EXPECT_NE(invitation.body.find("Acme"), std::string::npos) << invitation.body;
    EXPECT_NE(invitation.body.find("admin@acme-lasers.com"), std::string::npos) << invitation.body;
    EXPECT_NE(invitation.body.find("https://crm.example.com/"), std::string::npos) << invitation.body;
    EXPECT_EQ(invitation.body.find("token="), std::string::npos) << invitation.body;
    EXPECT_EQ(invitation.workspace_id, acme.id);

    auto again = add_member({{"email", c.victim->admin}}, acme.key);
    EXPECT_EQ(again.status, 409) << again.raw;
    EXPECT_EQ(again.body["error"]["field"], "email");
  }
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM member_invitations"), 0);
}

TEST_P(AccountSecurityTest, BadMemberInputIsRefusedAndCreatesNothing) {
  struct Case {
    json body;
    std::string field;
  } cases[] = {{{{"email", "not an email"}}, "email"},
               {{{"email", "new@acme-lasers.com"}, {"role", "OWNER"}}, "role"},
               {{{"email", "new@acme-lasers.com"}, {"password", "short"}}, "password"},
               {{{"email", "new@acme-lasers.com"}, {"password", 12345678}}, "password"}};
  for (const auto& c : cases) {
    auto r = add_member(c.body, acme.key);
    EXPECT_EQ(r.status, 422) << c.body << " -> " << r.raw;
    EXPECT_EQ(r.body["error"]["field"], c.field) << r.raw;
  }
  EXPECT_FALSE(user_row("new@acme-lasers.com"));
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM outbox"), 0);
}

TEST_P(AccountSecurityTest, NewMemberWithAPasswordIsCreatedUnverified) {
  auto added = add_member({{"email", "Ops@Acme-Lasers.com"}, {"password", "chosen by admin"}}, acme.key);
  ASSERT_EQ(added.status, 201) << added.raw;
  EXPECT_EQ(added.body["data"]["status"], "created");
  EXPECT_EQ(added.body["data"]["email"], "ops@acme-lasers.com");
  EXPECT_EQ(added.body["data"]["role"], "MEMBER");
  // The ADMIN chose the address: it is not verified, so it joins no workspace by its domain.
  EXPECT_EQ(user_row("ops@acme-lasers.com")->email_verified, 0);
  EXPECT_EQ(with_session(session("ops@acme-lasers.com", "chosen by admin")), 200);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM member_invitations"), 0);
}

TEST_P(AccountSecurityTest, InvitationLinkWorksOnceAndIsNeverStoredInPlainText) {
  auto added = add_member({{"email", "nia@acme-lasers.com"}, {"role", "ADMIN"}}, acme.key);
  ASSERT_EQ(added.status, 201) << added.raw;
  EXPECT_EQ(added.body["data"]["status"], "invited");
  EXPECT_EQ(added.raw.find("token"), std::string::npos) << added.raw;  // only the mail has it
  auto before = user_row("nia@acme-lasers.com");
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->password_hash.empty());
  EXPECT_EQ(before->email_verified, 0);

  auto [invitation, sealed] = mail("member_invitation", "nia@acme-lasers.com");
  EXPECT_TRUE(sealed);
  EXPECT_EQ(invitation.subject, "You were added to Acme on Settle");
  EXPECT_NE(invitation.body.find("https://crm.example.com/accept-invitation?token="), std::string::npos)
      << invitation.body;
  std::string token = invitation_token("nia@acme-lasers.com");
  ASSERT_GE(token.size(), 40u);
  for (const auto& body : raw_outbox_bodies()) EXPECT_EQ(body.find(token), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM member_invitations WHERE token_hash = :h AND workspace_id = :ws",
                  {{"h", sha256_hex(token)}, {"ws", acme.id}}),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM member_invitations WHERE token_hash = :t", {{"t", token}}), 0);

  // Refusals change nothing and leave the link usable.
  EXPECT_EQ(login("nia@acme-lasers.com", "any password at all").status, 401);
  auto weak = accept(token, "short");
  EXPECT_EQ(weak.status, 422) << weak.raw;
  EXPECT_EQ(weak.body["error"]["field"], "password");
  EXPECT_EQ(accept(token, "x", {{"firstName", std::string(201, 'n')}}).body["error"]["field"], "firstName");
  auto no_password = srv->call("POST", "/auth/accept-invitation", {{"token", token}});
  EXPECT_EQ(no_password.status, 422);
  EXPECT_EQ(no_password.body["error"]["field"], "password");
  EXPECT_EQ(user_row("nia@acme-lasers.com"), before);

  auto accepted = accept(token, "nia's own password", {{"firstName", "Nia"}, {"lastName", "Okafor"}});
  ASSERT_EQ(accepted.status, 200) << accepted.raw;
  EXPECT_EQ(accepted.body["data"]["workspaceId"], acme.id);
  std::string nia = session_from(accepted);
  auto me = srv->call("GET", "/rest/workspace-members/me", nullptr, {}, nia);
  EXPECT_EQ(me.body["data"]["role"], "ADMIN") << me.raw;
  EXPECT_EQ(me.body["data"]["firstName"], "Nia");
  EXPECT_EQ(user_row("nia@acme-lasers.com")->email_verified, 1);

  auto second = accept(token, "another password");
  EXPECT_EQ(second.status, 422) << second.raw;
  EXPECT_EQ(second.body["error"]["field"], "token");
  EXPECT_EQ(login("nia@acme-lasers.com", "another password").status, 401);
  EXPECT_EQ(login("nia@acme-lasers.com", "nia's own password").status, 200);
  EXPECT_EQ(accept("no-such-invitation", "a long password").body["error"]["field"], "token");
}

TEST_P(AccountSecurityTest, ExpiredInvitationIsRefused) {
  ASSERT_EQ(add_member({{"email", "late@acme-lasers.com"}}, acme.key).status, 201);
  std::string token = invitation_token("late@acme-lasers.com");
  auto expired = srv->db->write<bool>([](store::Tx& tx) -> Result<bool> {
    tx.exec("UPDATE member_invitations SET expires_at = '2000-01-01T00:00:00.000Z'");
    return true;
  });
  ASSERT_TRUE(expired);
  auto r = accept(token, "a long password");
  EXPECT_EQ(r.status, 422) << r.raw;
  EXPECT_EQ(r.body["error"]["field"], "token");
  EXPECT_TRUE(user_row("late@acme-lasers.com")->password_hash.empty());
  EXPECT_EQ(login("late@acme-lasers.com", "a long password").status, 401);
}

TEST_P(AccountSecurityTest, InvitationOfAUserWhoAlreadyHasAPasswordNeedsThatPassword) {
  // Invited to Acme (no password yet), then to Beta; accepting Beta's sets the password.
  ASSERT_EQ(add_member({{"email", "kai@lab.example"}}, acme.key).status, 201);
  std::string to_acme = invitation_token("kai@lab.example", acme.id);
  ASSERT_EQ(add_member({{"email", "kai@lab.example"}}, beta.key).status, 201);
  std::string to_beta = invitation_token("kai@lab.example", beta.id);
  ASSERT_NE(to_acme, to_beta);
  ASSERT_EQ(accept(to_beta, "kai's password 1").status, 200);
  auto set = user_row("kai@lab.example");
  auto wrong = accept(to_acme, "something else 1");
  EXPECT_EQ(wrong.status, 422) << wrong.raw;
  EXPECT_EQ(wrong.body["error"]["field"], "password");
  EXPECT_EQ(user_row("kai@lab.example"), set);
  auto right = accept(to_acme, "kai's password 1");
  ASSERT_EQ(right.status, 200) << right.raw;
  EXPECT_EQ(right.body["data"]["workspaceId"], acme.id);
}

TEST_P(AccountSecurityTest, OutboxSealsEveryMailThatCarriesACode) {
  auto signup = srv->call("POST", "/auth/signup", {{"email", "chen@lvnlaser.com"}, {"password", "a long password"}});
  ASSERT_EQ(signup.status, 201) << signup.raw;
  auto [verification, verification_sealed] = mail("email_verification", "chen@lvnlaser.com");
  EXPECT_TRUE(verification_sealed);
  std::string code = verification.body.substr(verification.body.rfind(' ') + 1);
  ASSERT_GE(code.size(), 20u) << verification.body;

  auto domain = srv->call("POST", "/rest/approved-domains",
                          {{"domain", "acme-lasers.com"}, {"validationEmail", "postmaster@acme-lasers.com"}}, acme.key);
  ASSERT_EQ(domain.status, 201) << domain.raw;
  EXPECT_FALSE(domain.body["data"].contains("validationToken")) << "the code travels only in the mail";
  auto [approval, approval_sealed] = mail("domain_validation", "postmaster@acme-lasers.com");
  EXPECT_TRUE(approval_sealed);
  std::string validation = srv->mailed("domain_validation", "postmaster@acme-lasers.com").data["code"];
  EXPECT_NE(approval.body.find(validation), std::string::npos) << approval.body;

  for (const auto& body : raw_outbox_bodies()) {
    EXPECT_EQ(body.find(code), std::string::npos);
    EXPECT_EQ(body.find(validation), std::string::npos);
  }
  EXPECT_EQ(srv->call("POST", "/auth/verify-email", {{"token", code}}).status, 200);

  // A sealed body moved to another row does not open there.
  auto moved = srv->db->write<std::string>([](store::Tx& tx) -> Result<std::string> {
    auto rows = tx.query("SELECT id, body FROM outbox WHERE body_sealed = 1 ORDER BY id");
    tx.exec("UPDATE outbox SET body = :b WHERE id = :id",
            {{"b", store::RowView(rows, 0).text("body")}, {"id", store::RowView(rows, 1).text("id")}});
    return store::RowView(rows, 1).text("id");
  });
  ASSERT_TRUE(moved);
  EXPECT_FALSE(srv->accounts->open_outbox_message(*moved));
}

TEST_P(AccountSecurityTest, RemovingAMemberEndsTheirSessionsAndKeysInThatWorkspaceAtOnce) {
  auto added = add_member({{"email", "ex@acme-lasers.com"}, {"password", "leaving soon 1"}, {"role", "ADMIN"}}, acme.key);
  ASSERT_EQ(added.status, 201) << added.raw;
  std::string ex_id = added.body["data"]["userId"];
  ASSERT_EQ(add_member({{"email", "ex@acme-lasers.com"}}, beta.key).status, 201);
  std::string in_acme = session("ex@acme-lasers.com", "leaving soon 1", "acme");
  std::string in_beta = session("ex@acme-lasers.com", "leaving soon 1", "beta");
  auto made = srv->call("POST", "/rest/api-keys", {{"name", "ex's key"}, {"role", "ADMIN"}}, {}, in_acme);
  ASSERT_EQ(made.status, 201) << made.raw;
  std::string ex_key = made.body["data"]["key"];
  auto other = srv->call("POST", "/rest/api-keys", {{"name", "admin's key"}}, acme.key);
  ASSERT_EQ(other.status, 201) << other.raw;
  std::string admins_key = other.body["data"]["key"];
  ASSERT_EQ(with_session(in_acme), 200);
  ASSERT_EQ(with_key(ex_key), 200);

  auto removed = srv->call("DELETE", "/rest/workspace-members/" + ex_id, nullptr, acme.key);
  ASSERT_EQ(removed.status, 200) << removed.raw;
  EXPECT_EQ(with_session(in_acme), 401);
  auto refused = srv->call("GET", "/rest/companies", nullptr, ex_key);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body["error"]["message"], "this API key was revoked") << refused.raw;
  EXPECT_EQ(with_key(admins_key), 200);
  EXPECT_EQ(with_key(acme.key), 200);
  EXPECT_EQ(with_session(in_beta), 200);  // their other workspace is not this ADMIN's to end
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM sessions WHERE user_id = :u AND workspace_id = :ws",
                  {{"u", ex_id}, {"ws", acme.id}}),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM api_keys WHERE created_by = :u AND revoked_at IS NULL", {{"u", ex_id}}), 0);
  // Signing in again does not bring Acme back.
  EXPECT_EQ(login("ex@acme-lasers.com", "leaving soon 1", "acme").status, 403);
}

TEST_P(AccountSecurityTest, RemovalIsOneTransactionWithNoWindow) {
  // While the removal runs, requests with the member's key and session keep coming; once
  // any of them is refused, none after it may succeed: nothing ends piecemeal.
  auto added = add_member({{"email", "racer@acme-lasers.com"}, {"password", "racing along 1"}, {"role", "ADMIN"}},
                          acme.key);
  ASSERT_EQ(added.status, 201) << added.raw;
  std::string id = added.body["data"]["userId"];
  std::string cookie = session("racer@acme-lasers.com", "racing along 1");
  std::string key = srv->call("POST", "/rest/api-keys", {{"name", "racer"}}, {}, cookie).body["data"]["key"];
  std::atomic<bool> done{false};
  std::vector<std::pair<int, int>> seen;  // (session, key) statuses, in order
  std::thread probe([&] {
    while (!done) seen.emplace_back(with_session(cookie), with_key(key));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto removed = srv->call("DELETE", "/rest/workspace-members/" + id, nullptr, acme.key);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  done = true;
  probe.join();
  ASSERT_EQ(removed.status, 200) << removed.raw;
  ASSERT_FALSE(seen.empty());
  bool ended = false;
  for (auto [by_session, by_key] : seen) {
    if (ended) {
      EXPECT_EQ(by_session, 401);
      EXPECT_EQ(by_key, 401);
    }
    ended = ended || by_session != 200 || by_key != 200;
  }
  EXPECT_TRUE(ended);
  EXPECT_EQ(with_session(cookie), 401);
  EXPECT_EQ(with_key(key), 401);
}

TEST_P(AccountSecurityTest, KeyOfAFormerMemberIsRefusedEvenIfNeverRevoked) {
  // As a removal made before removals revoked keys left it: membership gone, key live.
  auto added = add_member({{"email", "old@acme-lasers.com"}, {"password", "long gone 123"}, {"role", "ADMIN"}}, acme.key);
  ASSERT_EQ(added.status, 201) << added.raw;
  std::string cookie = session("old@acme-lasers.com", "long gone 123");
  std::string key = srv->call("POST", "/rest/api-keys", {{"name", "left behind"}}, {}, cookie).body["data"]["key"];
  ASSERT_EQ(with_key(key), 200);
  auto gone = srv->db->write<bool>([&](store::Tx& tx) -> Result<bool> {
    tx.exec("DELETE FROM workspace_members WHERE user_id = :u", {{"u", added.body["data"]["userId"].get<std::string>()}});
    return true;
  });
  ASSERT_TRUE(gone);
  auto r = srv->call("GET", "/rest/companies", nullptr, key);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["message"], "this API key's owner is no longer a member") << r.raw;
  EXPECT_EQ(with_key(acme.key), 200);
}

TEST_P(AccountSecurityTest, KeyOfADemotedAdminActsAsAMember) {
  auto added = add_member({{"email", "ops@acme-lasers.com"}, {"password", "ops password 1"}, {"role", "ADMIN"}}, acme.key);
  ASSERT_EQ(added.status, 201) << added.raw;
  std::string user = added.body["data"]["userId"];
  std::string cookie = session("ops@acme-lasers.com", "ops password 1");
  auto made = srv->call("POST", "/rest/api-keys", {{"name", "ops"}, {"role", "ADMIN"}}, {}, cookie);
  ASSERT_EQ(made.status, 201) << made.raw;
  std::string key = made.body["data"]["key"];
  EXPECT_EQ(srv->call("GET", "/rest/api-keys", nullptr, key).status, 200);
  ASSERT_EQ(srv->call("PATCH", "/rest/workspace-members/" + user, {{"role", "MEMBER"}}, acme.key).status, 200);
  // The key still works for a member's work, no longer for an ADMIN's.
  EXPECT_EQ(with_key(key), 200);
  EXPECT_EQ(srv->call("GET", "/rest/api-keys", nullptr, key).status, 403);
  EXPECT_EQ(srv->call("POST", "/rest/api-keys", {{"name", "escalate"}, {"role", "ADMIN"}}, key).status, 403);
  EXPECT_EQ(srv->call("GET", "/rest/workspace-members/me", nullptr, key).body["data"]["role"], "MEMBER");
}

TEST_P(AccountSecurityTest, PasswordChangeEndsTheOtherSessions) {
  std::string current = session(acme.admin, acme.password);
  std::string other = session(acme.admin, acme.password);
  auto change = [&](const json& body, const std::string& cookie, const std::string& key = {}, bool csrf = true) {
    return srv->call("POST", "/auth/change-password", body, key, cookie, {}, csrf);
  };
  struct Case {
    json body;
    std::string key;
    bool csrf;
    int status;
    std::string field;
  } refusals[] = {
      {{{"currentPassword", acme.password}, {"newPassword", "a new password"}}, acme.key, true, 403, ""},
      {{{"currentPassword", acme.password}, {"newPassword", "a new password"}}, {}, false, 403, ""},
      {{{"currentPassword", acme.password}, {"newPassword", "short"}}, {}, true, 422, "newPassword"},
      {{{"newPassword", "a new password"}}, {}, true, 422, "currentPassword"},
      {{{"currentPassword", "a wrong guess"}, {"newPassword", "a new password"}}, {}, true, 422, "currentPassword"},
  };
  for (const auto& c : refusals) {
    auto r = change(c.body, c.key.empty() ? current : std::string(), c.key, c.csrf);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.raw;
    if (!c.field.empty()) {
      EXPECT_EQ(r.body["error"]["field"], c.field) << r.raw;
    }
  }
  EXPECT_EQ(with_session(other), 200);  // refusals changed nothing
  EXPECT_EQ(count("SELECT COUNT(*) AS n FROM login_failures WHERE email = :e", {{"e", acme.admin}}), 1);

  auto changed = change({{"currentPassword", acme.password}, {"newPassword", "a new password"}}, current);
  ASSERT_EQ(changed.status, 200) << changed.raw;
  EXPECT_EQ(with_session(other), 401);
  EXPECT_EQ(with_session(current), 200);
  EXPECT_EQ(login(acme.admin, acme.password).status, 401);
  EXPECT_EQ(login(acme.admin, "a new password").status, 200);
  EXPECT_EQ(with_key(acme.key), 200);  // keys have no password and stay
}

TEST_P(AccountSecurityTest, WrongCurrentPasswordsCountAsFailedSignIns) {
  std::string cookie = session(beta.admin, beta.password);
  json guess = {{"currentPassword", "guess"}, {"newPassword", "a new password"}};
  for (int i = 0; i < crm::kMaxLoginFailuresPerEmail; ++i)
    EXPECT_EQ(srv->call("POST", "/auth/change-password", guess, {}, cookie).status, 422);
  auto right = srv->call("POST", "/auth/change-password",
                         {{"currentPassword", beta.password}, {"newPassword", "a new password"}}, {}, cookie);
  EXPECT_EQ(right.status, 429) << right.raw;
  EXPECT_EQ(login(beta.admin, beta.password).status, 429);  // one count for both ways in
  EXPECT_EQ(with_session(cookie), 200);
}

TEST_P(AccountSecurityTest, OperatorPasswordResetEndsAllTheUsersSessions) {
  std::string in_acme = session(acme.admin, acme.password);
  std::string again = session(acme.admin, acme.password);
  std::string bystander = session(beta.admin, beta.password);
  auto unchanged = srv->accounts->add_user("acme", acme.admin, std::nullopt, crm::Role::Admin);
  ASSERT_TRUE(unchanged) << unchanged.error().log;
  EXPECT_EQ(with_session(in_acme), 200);  // no password given: nothing to end

  auto reset = srv->accounts->add_user("acme", acme.admin, std::string("reset by operator"), crm::Role::Admin);
  ASSERT_TRUE(reset) << reset.error().log;
  EXPECT_EQ(with_session(in_acme), 401);
  EXPECT_EQ(with_session(again), 401);
  EXPECT_EQ(with_session(bystander), 200);
  EXPECT_EQ(login(acme.admin, acme.password).status, 401);
  EXPECT_EQ(login(acme.admin, "reset by operator").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountSecurityTest, ::testing::ValuesIn(backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace settle::testing
