#include "crm/accounts.hpp"
#include "common/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace settle::crm {

using nlohmann::json;
using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;

namespace {

constexpr const char* kInsertWorkspace =
    "INSERT INTO workspaces (id, name, subdomain, created_at) VALUES (:id, :name, :sub, :at)";
constexpr const char* kSelectWorkspaceBySubdomain = "SELECT id, name, subdomain FROM workspaces WHERE subdomain = :sub";
constexpr const char* kSelectUserByEmail =
    "SELECT id, email, password_hash, email_verified FROM users WHERE email = :email";
constexpr const char* kInsertUser =
    "INSERT INTO users (id, email, password_hash, first_name, last_name, email_verified, created_at) "
    "VALUES (:id, :email, :hash, :first, :last, :verified, :at)";
constexpr const char* kSetPassword = "UPDATE users SET password_hash = :hash WHERE id = :id";
constexpr const char* kDeleteUserSessions = "DELETE FROM sessions WHERE user_id = :user";
constexpr const char* kDeleteOtherSessions = "DELETE FROM sessions WHERE user_id = :user AND token_hash <> :hash";
constexpr const char* kInsertMember =
    "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (:ws, :user, :role, :at)";
constexpr const char* kUpsertMember =
    "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (:ws, :user, :role, :at) "
    "ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role";
constexpr const char* kSelectMember =
    "SELECT m.role, u.email FROM workspace_members m JOIN users u ON u.id = m.user_id "
    "WHERE m.workspace_id = :ws AND m.user_id = :user";
constexpr const char* kSelectMembers =
    "SELECT u.id, u.email, u.first_name, u.last_name, m.role, m.created_at FROM workspace_members m "
    "JOIN users u ON u.id = m.user_id WHERE m.workspace_id = :ws ORDER BY u.email";
constexpr const char* kCountAdmins =
    "SELECT COUNT(*) AS n FROM workspace_members WHERE workspace_id = :ws AND role = 'ADMIN'";
constexpr const char* kInsertApiKey =
    "INSERT INTO api_keys (workspace_id, id, name, key_hash, key_last4, role, created_by, expires_at, created_at) "
    "VALUES (:ws, :id, :name, :hash, :last4, :role, :by, :expires, :at)";
// member_id is NULL when the key's creator is no longer a member of its workspace.
constexpr const char* kSelectApiKey =
    "SELECT k.workspace_id, k.id, k.name, k.role, k.expires_at, k.revoked_at, k.created_by, m.user_id AS member_id, "
    "m.role AS member_role "
    "FROM api_keys k LEFT JOIN workspace_members m ON m.workspace_id = k.workspace_id AND m.user_id = k.created_by "
    "WHERE k.key_hash = :hash";
constexpr const char* kSelectApiKeys =
    "SELECT id, name, key_last4, role, created_by, expires_at, revoked_at, last_used_at, created_at FROM api_keys "
    "WHERE workspace_id = :ws ORDER BY created_at, id";
constexpr const char* kSelectSession =
    "SELECT s.user_id, s.workspace_id, s.expires_at, u.email FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = :hash";
constexpr const char* kSelectSessionPassword =
    "SELECT s.user_id, s.expires_at, u.email, u.password_hash FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.token_hash = :hash";
constexpr const char* kInsertSession =
    "INSERT INTO sessions (token_hash, user_id, workspace_id, expires_at, created_at) "
    "VALUES (:hash, :user, :ws, :expires, :at)";
constexpr const char* kCountFailuresByEmail =
    "SELECT COUNT(*) AS n FROM login_failures WHERE email = :email AND at > :since";
constexpr const char* kCountFailuresByAddress =
    "SELECT COUNT(*) AS n FROM login_failures WHERE remote = :remote AND at > :since";
constexpr const char* kInsertFailure = "INSERT INTO login_failures (email, remote, at) VALUES (:email, :remote, :at)";
constexpr const char* kInsertInvitation =
    "INSERT INTO member_invitations (workspace_id, token_hash, user_id, invited_by, expires_at, created_at) "
    "VALUES (:ws, :hash, :user, :by, :expires, :at)";
constexpr const char* kSelectInvitation =
    "SELECT i.workspace_id, i.user_id, i.expires_at, u.password_hash FROM member_invitations i "
    "JOIN users u ON u.id = i.user_id WHERE i.token_hash = :hash";
constexpr const char* kDeleteInvitation = "DELETE FROM member_invitations WHERE token_hash = :hash";
constexpr const char* kSetFirstPassword =
    "UPDATE users SET password_hash = :hash, first_name = :first, last_name = :last "
    "WHERE id = :id AND password_hash IS NULL";
constexpr const char* kSelectDomains =
    "SELECT id, domain, status, validation_email, token_expires_at, created_at, validated_at FROM approved_domains "
    "WHERE workspace_id = :ws ORDER BY domain";
// Workspaces a user may join by the domain of their (verified) email.
constexpr const char* kJoinableWorkspaces =
    "SELECT w.id, w.name, w.subdomain FROM approved_domains d JOIN workspaces w ON w.id = d.workspace_id "
    "WHERE d.domain = :domain AND d.status = 'VALIDATED' AND NOT EXISTS (SELECT 1 FROM workspace_members m "
    "WHERE m.workspace_id = w.id AND m.user_id = :user) ORDER BY w.name";
constexpr const char* kMemberWorkspaces =
    "SELECT w.id, w.name, w.subdomain, m.role FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id "
    "WHERE m.user_id = :user ORDER BY w.name";

// Domains of public mail providers: anyone can have an address there, so approving one
// would let the whole internet join.
constexpr std::array kFreeMailDomains = {
    "gmail.com",   "googlemail.com", "yahoo.com",   "yahoo.co.uk",   "yahoo.fr",    "ymail.com",  "hotmail.com",
    "hotmail.co.uk", "hotmail.fr",   "outlook.com", "live.com",      "msn.com",     "icloud.com", "me.com",
    "mac.com",     "aol.com",        "proton.me",   "protonmail.com", "pm.me",      "gmx.com",    "gmx.de",
    "gmx.net",     "web.de",         "yandex.ru",   "yandex.com",    "mail.ru",     "qq.com",     "163.com",
    "126.com",     "zoho.com",       "fastmail.com", "hey.com",      "tutanota.com", "tuta.io",   "mail.com",
    "laposte.net", "orange.fr",      "free.fr",     "comcast.net",   "att.net",     "verizon.net"};

// Mail carrying a one-time code is sealed: whoever reads the database must not be able to use it.
Status queue_sealed(Tx& tx, QueuedMail mail, const std::optional<SecretBox>& box) {
  mail.sealed = true;
  auto id = queue_mail(tx, mail, box ? &*box : nullptr);
  if (!id) return fail(id.error());
  return {};
}

Result<std::string> validate_password(const std::string& password, const char* field = "password") {
  if (password.size() < 8) return fail(Error::validation(field, std::string(field) + " must be at least 8 characters"));
  if (password.size() > 1024) return fail(Error::validation(field, std::string(field) + " is too long"));
  return password;
}

// The operator's reset: whoever held the old password may hold a session, so all end.
void reset_password(Tx& tx, const std::string& user_id, const std::string& hash) {
  tx.exec(kSetPassword, {{"hash", hash}, {"id", user_id}});
  tx.exec(kDeleteUserSessions, {{"user", user_id}});
}

bool is_live(const RowView& row, const char* expires_column) {
  return row.text(expires_column) > store::now_timestamp();
}

std::string get_string(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json user_workspaces(Tx& tx, const std::string& user_id, const std::string& email_domain_or_empty) {
  json out = {{"member", json::array()}, {"joinable", json::array()}};
  Rows m = tx.query(kMemberWorkspaces, {{"user", user_id}});
  for (size_t i = 0; i < m.size(); ++i) {
    RowView r(m, i);
    out["member"].push_back(
        {{"id", r.text("id")}, {"name", r.text("name")}, {"subdomain", r.text("subdomain")}, {"role", r.text("role")}});
  }
  if (!email_domain_or_empty.empty()) {
    Rows j = tx.query(kJoinableWorkspaces, {{"domain", email_domain_or_empty}, {"user", user_id}});
    for (size_t i = 0; i < j.size(); ++i) {
      RowView r(j, i);
      out["joinable"].push_back({{"id", r.text("id")}, {"name", r.text("name")}, {"subdomain", r.text("subdomain")}});
    }
  }
  return out;
}

}  // namespace

bool is_valid_subdomain(std::string_view s) {
  if (s.size() < 3 || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool is_valid_domain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  auto tld = s.substr(s.rfind('.') + 1);
  return std::any_of(tld.begin(), tld.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool is_free_mail_domain(std::string_view domain) {
  return std::find(kFreeMailDomains.begin(), kFreeMailDomains.end(), domain) != kFreeMailDomains.end();
}

std::optional<std::string> email_domain(std::string_view email) {
  auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= email.size()) return std::nullopt;
  return ascii_lower(email.substr(at + 1));
}

bool is_valid_email(std::string_view email) {
  if (email.size() > 320 || email.find(' ') != std::string_view::npos) return false;
  auto d = email_domain(email);
  return d && email.find('@') == email.rfind('@') && is_valid_domain(*d);
}

Accounts::Accounts(std::shared_ptr<store::Database> db, AccountsOptions options)
    : db_(std::move(db)),
      options_(std::move(options)),
      dummy_hash_(hash_password("not a real password", options_.cost)) {}

Result<std::string> Accounts::workspace_id_for(const std::string& subdomain) {
  return db_->read<std::string>([&](Tx& tx) -> Result<std::string> {
    auto r = tx.query_one(kSelectWorkspaceBySubdomain, {{"sub", subdomain}});
    if (!r) return fail(Error::not_found("workspace '" + subdomain + "'"));
    return RowView(*r, 0).text("id");
  });
}

Result<NewWorkspace> Accounts::create_workspace(const std::string& name, const std::string& subdomain,
                                                const std::string& admin_email,
                                                const std::optional<std::string>& password) {
  if (name.empty() || name.size() > 200) return fail(Error::validation("name", "name must be 1 to 200 characters"));
  if (!is_valid_subdomain(subdomain))
    return fail(Error::validation("subdomain", "subdomain must be 3-63 lower-case letters, digits or '-'"));
  std::string email = ascii_lower(admin_email);
  if (!is_valid_email(email)) return fail(Error::validation("adminEmail", "not a valid email address"));
  std::optional<std::string> hash;
  if (password) {
    if (auto ok = validate_password(*password); !ok) return fail(ok.error());
    hash = hash_password(*password, options_.cost);
  }
  auto made = db_->write<NewWorkspace>([&](Tx& tx) -> Result<NewWorkspace> {
    if (tx.query_one(kSelectWorkspaceBySubdomain, {{"sub", subdomain}}))
      return fail(Error::conflict("the subdomain '" + subdomain + "' is taken", "subdomain"));
    NewWorkspace out;
    std::string now = store::now_timestamp();
    out.workspace_id = random_id("ws");
    tx.exec(kInsertWorkspace, {{"id", out.workspace_id}, {"name", name}, {"sub", subdomain}, {"at", now}});
    auto user = tx.query_one(kSelectUserByEmail, {{"email", email}});
    if (user) {
      out.user_id = RowView(*user, 0).text("id");
      if (hash) reset_password(tx, out.user_id, *hash);
    } else {
      out.user_id = random_id("usr");
      tx.exec(kInsertUser, {{"id", out.user_id}, {"email", email}, {"hash", hash ? SqlValue(*hash) : SqlValue(nullptr)},
                            {"first", std::string()}, {"last", std::string()}, {"verified", std::int64_t{1}}, {"at", now}});
    }
    tx.exec(kUpsertMember, {{"ws", out.workspace_id}, {"user", out.user_id}, {"role", std::string("ADMIN")}, {"at", now}});
    out.api_key = "sk_settle_" + random_token(32);
    tx.exec(kInsertApiKey, {{"ws", out.workspace_id}, {"id", random_id("key")}, {"name", std::string("admin")},
                            {"hash", sha256_hex(out.api_key)}, {"last4", out.api_key.substr(out.api_key.size() - 4)},
                            {"role", std::string("ADMIN")}, {"by", out.user_id}, {"expires", nullptr}, {"at", now}});
    return out;
  });
  if (made && on_workspace_created_) on_workspace_created_(made->workspace_id);
  return made;
}

Result<json> Accounts::add_user(const std::string& subdomain, const std::string& email_in,
                                const std::optional<std::string>& password, Role role) {
  std::string email = ascii_lower(email_in);
  if (!is_valid_email(email)) return fail(Error::validation("email", "not a valid email address"));
  std::optional<std::string> hash;
  if (password) {
    if (auto ok = validate_password(*password); !ok) return fail(ok.error());
    hash = hash_password(*password, options_.cost);
  }
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto ws = tx.query_one(kSelectWorkspaceBySubdomain, {{"sub", subdomain}});
    if (!ws) return fail(Error::not_found("workspace '" + subdomain + "'"));
    std::string ws_id = RowView(*ws, 0).text("id");
    std::string now = store::now_timestamp();
    std::string user_id;
    auto user = tx.query_one(kSelectUserByEmail, {{"email", email}});
    if (user) {
      user_id = RowView(*user, 0).text("id");
      if (hash) reset_password(tx, user_id, *hash);
    } else {
      user_id = random_id("usr");
      tx.exec(kInsertUser, {{"id", user_id}, {"email", email}, {"hash", hash ? SqlValue(*hash) : SqlValue(nullptr)},
                            {"first", std::string()}, {"last", std::string()}, {"verified", std::int64_t{1}}, {"at", now}});
    }
    tx.exec(kUpsertMember, {{"ws", ws_id}, {"user", user_id}, {"role", std::string(to_string(role))}, {"at", now}});
    return json{{"userId", user_id}, {"workspaceId", ws_id}, {"email", email}, {"role", to_string(role)}};
  });
}

Result<json> Accounts::set_role_by_email(const std::string& subdomain, const std::string& email, Role role) {
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto ws = tx.query_one(kSelectWorkspaceBySubdomain, {{"sub", subdomain}});
    if (!ws) return fail(Error::not_found("workspace '" + subdomain + "'"));
    std::string ws_id = RowView(*ws, 0).text("id");
    auto user = tx.query_one(kSelectUserByEmail, {{"email", ascii_lower(email)}});
    if (!user) return fail(Error::not_found("user '" + email + "'"));
    std::string user_id = RowView(*user, 0).text("id");
    if (!tx.query_one(kSelectMember, {{"ws", ws_id}, {"user", user_id}}))
      return fail(Error::not_found("member '" + email + "' of this workspace"));
    if (role == Role::Member) {
      auto admins = tx.query(kCountAdmins, {{"ws", ws_id}});
      auto current = tx.query_one(kSelectMember, {{"ws", ws_id}, {"user", user_id}});
      if (RowView(*current, 0).text("role") == "ADMIN" && RowView(admins, 0).integer("n") <= 1)
        return fail(Error::conflict("a workspace must keep at least one ADMIN", "role"));
    }
    tx.exec("UPDATE workspace_members SET role = :role WHERE workspace_id = :ws AND user_id = :user",
            {{"role", std::string(to_string(role))}, {"ws", ws_id}, {"user", user_id}});
    return json{{"userId", user_id}, {"workspaceId", ws_id}, {"email", ascii_lower(email)}, {"role", to_string(role)}};
  });
}

Result<Actor> Accounts::authenticate_api_key(std::string_view key) {
  if (key.empty() || key.size() > 200) return fail(Error::unauthenticated("invalid API key"));
  return db_->read<Actor>([&](Tx& tx) -> Result<Actor> {
    // The lookup is by SHA-256 of the key; an index lookup on a hash reveals nothing useful
    // through timing, as an attacker cannot choose hashes.
    auto r = tx.query_one(kSelectApiKey, {{"hash", sha256_hex(key)}});
    if (!r) return fail(Error::unauthenticated("invalid API key"));
    RowView k(*r, 0);
    if (!k.is_null("revoked_at")) return fail(Error::unauthenticated("this API key was revoked"));
    if (!k.is_null("expires_at") && k.text("expires_at") <= store::now_timestamp())
      return fail(Error::unauthenticated("this API key has expired"));
    // Covers keys left behind by removals made before removal revoked them.
    if (!k.is_null("created_by") && k.is_null("member_id"))
      return fail(Error::unauthenticated("this API key's owner is no longer a member"));
    Actor a;
    a.workspace_id = k.text("workspace_id");
    a.user_id = k.text("created_by");
    a.label = "api key '" + k.text("name") + "'";
    a.role = parse_role(k.text("role")).value_or(Role::Member);
    // A key never acts above its creator's present role: an ADMIN demoted to MEMBER keeps
    // the keys they made, but not their ADMIN power.
    if (!k.is_null("member_id") && parse_role(k.text("member_role")) == Role::Member) a.role = Role::Member;
    return a;
  });
}

Result<Actor> Accounts::authenticate_session(std::string_view token) {
  if (token.empty() || token.size() > 200) return fail(Error::unauthenticated());
  return db_->read<Actor>([&](Tx& tx) -> Result<Actor> {
    auto r = tx.query_one(kSelectSession, {{"hash", sha256_hex(token)}});
    if (!r) return fail(Error::unauthenticated("your session has ended; sign in again"));
    RowView s(*r, 0);
    if (s.text("expires_at") <= store::now_timestamp())
      return fail(Error::unauthenticated("your session has ended; sign in again"));
    Actor a;
    a.user_id = s.text("user_id");
    a.label = s.text("email");
    if (s.is_null("workspace_id")) return fail(Error::forbidden("join or choose a workspace first"));
    a.workspace_id = s.text("workspace_id");
    // The role is read live, so a demotion takes effect on the next request.
    auto m = tx.query_one(kSelectMember, {{"ws", a.workspace_id}, {"user", a.user_id}});
    if (!m) return fail(Error::forbidden("you are no longer a member of this workspace"));
    a.role = parse_role(RowView(*m, 0).text("role")).value_or(Role::Member);
    return a;
  });
}

Result<std::string> Accounts::session_user(std::string_view token) {
  if (token.empty() || token.size() > 200) return fail(Error::unauthenticated("sign in first"));
  return db_->read<std::string>([&](Tx& tx) -> Result<std::string> {
    auto r = tx.query_one(kSelectSession, {{"hash", sha256_hex(token)}});
    if (!r || RowView(*r, 0).text("expires_at") <= store::now_timestamp())
      return fail(Error::unauthenticated("your session has ended; sign in again"));
    return RowView(*r, 0).text("user_id");
  });
}

Result<Session> Accounts::new_session(Tx& tx, const std::string& user_id, const std::optional<std::string>& ws) {
  Session s;
  s.token = random_token(32);
  s.user_id = user_id;
  s.workspace_id = ws;
  s.expires_at = store::timestamp_from_now(std::chrono::days(kSessionDays));
  tx.exec(kInsertSession, {{"hash", sha256_hex(s.token)}, {"user", user_id}, {"ws", ws ? SqlValue(*ws) : SqlValue(nullptr)},
                           {"expires", s.expires_at}, {"at", store::now_timestamp()}});
  return s;
}

Result<Session> Accounts::login(const std::string& email_in, const std::string& password, const std::string& remote,
                                const std::optional<std::string>& subdomain) {
  std::string email = ascii_lower(email_in);
  // Refuse before verifying: a locked-out attacker learns nothing and costs no argon2 time.
  auto limited = too_many_login_failures(email, remote);
  if (!limited) return fail(limited.error());
  if (*limited)
    return fail(Error{ErrorCode::RateLimited, "too many failed sign-in attempts; try again in 15 minutes", "email", {}, nullptr});

  auto user = db_->read<std::optional<std::pair<std::string, std::string>>>(
      [&](Tx& tx) -> Result<std::optional<std::pair<std::string, std::string>>> {
        auto r = tx.query_one(kSelectUserByEmail, {{"email", email}});
        if (!r) return std::optional<std::pair<std::string, std::string>>();
        RowView u(*r, 0);
        return std::optional<std::pair<std::string, std::string>>({u.text("id"), u.text("password_hash")});
      });
  if (!user) return fail(user.error());
  bool ok = *user && !(*user)->second.empty() ? verify_password((*user)->second, password)
                                              : (verify_password(dummy_hash_, password), false);
  return db_->write<Session>([&](Tx& tx) -> Result<Session> {
    if (!ok) {
      tx.exec(kInsertFailure, {{"email", email}, {"remote", remote}, {"at", store::now_timestamp()}});
      // Committed even though the login fails: the failure must count.
      return Session{};
    }
    tx.exec("DELETE FROM login_failures WHERE email = :email", {{"email", email}});
    // The requested workspace, else the user's first; none yet is fine (they may join one).
    std::optional<std::string> ws;
    Rows m = tx.query(kMemberWorkspaces, {{"user", (*user)->first}});
    for (size_t i = 0; i < m.size(); ++i) {
      RowView r(m, i);
      if (subdomain ? r.text("subdomain") == *subdomain : !ws) ws = r.text("id");
    }
    if (subdomain && !ws) return fail(Error::forbidden("you are not a member of workspace '" + *subdomain + "'"));
    return new_session(tx, (*user)->first, ws);
  }).and_then([](Session s) -> Result<Session> {
    if (s.token.empty()) return fail(Error::unauthenticated("wrong email or password"));
    return s;
  });
}

Result<bool> Accounts::too_many_login_failures(const std::string& email, const std::string& remote) {
  std::string since = store::timestamp_from_now(-std::chrono::minutes(kLoginWindowMinutes));
  return db_->read<bool>([&](Tx& tx) -> Result<bool> {
    auto by_email = tx.query(kCountFailuresByEmail, {{"email", email}, {"since", since}});
    auto by_addr = tx.query(kCountFailuresByAddress, {{"remote", remote}, {"since", since}});
    return RowView(by_email, 0).integer("n") >= kMaxLoginFailuresPerEmail ||
           RowView(by_addr, 0).integer("n") >= kMaxLoginFailuresPerAddress;
  });
}

Status Accounts::logout(std::string_view token) {
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    tx.exec("DELETE FROM sessions WHERE token_hash = :hash", {{"hash", sha256_hex(token)}});
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

Result<json> Accounts::workspaces_of(const std::string& user_id) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    auto u = tx.query_one("SELECT email, email_verified FROM users WHERE id = :id", {{"id", user_id}});
    if (!u) return fail(Error::not_found("user"));
    RowView r(*u, 0);
    std::string domain = r.integer("email_verified") ? email_domain(r.text("email")).value_or("") : "";
    return user_workspaces(tx, user_id, domain);
  });
}

Result<Session> Accounts::switch_workspace(std::string_view token, const std::string& workspace_id) {
  return db_->write<Session>([&](Tx& tx) -> Result<Session> {
    auto s = tx.query_one(kSelectSession, {{"hash", sha256_hex(token)}});
    if (!s || RowView(*s, 0).text("expires_at") <= store::now_timestamp()) return fail(Error::unauthenticated());
    std::string user_id = RowView(*s, 0).text("user_id");
    if (!tx.query_one(kSelectMember, {{"ws", workspace_id}, {"user", user_id}}))
      return fail(Error::not_found("workspace"));
    tx.exec("UPDATE sessions SET workspace_id = :ws WHERE token_hash = :hash",
            {{"ws", workspace_id}, {"hash", sha256_hex(token)}});
    return Session{std::string(token), user_id, workspace_id, RowView(*s, 0).text("expires_at")};
  });
}

Result<Session> Accounts::join(std::string_view token, const std::string& workspace_id) {
  return db_->write<Session>([&](Tx& tx) -> Result<Session> {
    auto s = tx.query_one(kSelectSession, {{"hash", sha256_hex(token)}});
    if (!s || RowView(*s, 0).text("expires_at") <= store::now_timestamp()) return fail(Error::unauthenticated());
    std::string user_id = RowView(*s, 0).text("user_id");
    auto u = tx.query_one("SELECT email, email_verified FROM users WHERE id = :id", {{"id", user_id}});
    RowView user(*u, 0);
    if (!user.integer("email_verified"))
      return fail(Error::forbidden("verify your email address before joining a workspace"));
    json ws = user_workspaces(tx, user_id, email_domain(user.text("email")).value_or(""));
    bool joinable = std::any_of(ws["joinable"].begin(), ws["joinable"].end(),
                                [&](const json& w) { return w["id"] == workspace_id; });
    if (!joinable) return fail(Error::forbidden("your email domain is not approved for that workspace"));
    tx.exec(kUpsertMember, {{"ws", workspace_id}, {"user", user_id}, {"role", std::string("MEMBER")},
                            {"at", store::now_timestamp()}});
    tx.exec("UPDATE sessions SET workspace_id = :ws WHERE token_hash = :hash",
            {{"ws", workspace_id}, {"hash", sha256_hex(token)}});
    return Session{std::string(token), user_id, workspace_id, RowView(*s, 0).text("expires_at")};
  });
}

Result<json> Accounts::signup(const std::string& email_in, const std::string& password, const std::string& first_name,
                              const std::string& last_name) {
  std::string email = ascii_lower(email_in);
  if (!is_valid_email(email)) return fail(Error::validation("email", "not a valid email address"));
  if (auto ok = validate_password(password); !ok) return fail(ok.error());
  if (first_name.size() > 200 || last_name.size() > 200) return fail(Error::validation("firstName", "name is too long"));
  std::string hash = hash_password(password, options_.cost);
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    if (tx.query_one(kSelectUserByEmail, {{"email", email}}))
      return fail(Error::conflict("an account with this email exists; sign in instead", "email"));
    std::string id = random_id("usr"), now = store::now_timestamp();
    tx.exec(kInsertUser, {{"id", id}, {"email", email}, {"hash", hash}, {"first", first_name}, {"last", last_name},
                          {"verified", std::int64_t{0}}, {"at", now}});
    std::string token = random_token(24);
    tx.exec("INSERT INTO email_verifications (token_hash, user_id, expires_at, created_at) VALUES (:h, :u, :e, :at)",
            {{"h", sha256_hex(token)}, {"u", id}, {"e", store::timestamp_from_now(std::chrono::days(kDomainTokenDays))}, {"at", now}});
    QueuedMail mail{std::nullopt, "email_verification", email, "Confirm your email address for Settle",
                    "Your verification code: " + token};
    mail.data = {{"email", email}, {"firstName", first_name}, {"code", token}, {"expiresInDays", kDomainTokenDays},
                 {"link", options_.public_url + "/verify-email?token=" + token}};
    if (auto st = queue_sealed(tx, std::move(mail), options_.outbox_box); !st)
      return fail(st.error());
    return json{{"userId", id}, {"email", email}, {"emailVerified", false}};
  });
}

Status Accounts::verify_email(const std::string& token) {
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    auto v = tx.query_one("SELECT user_id, expires_at FROM email_verifications WHERE token_hash = :h",
                          {{"h", sha256_hex(token)}});
    if (!v || RowView(*v, 0).text("expires_at") <= store::now_timestamp())
      return fail(Error::validation("token", "this verification code is invalid or has expired"));
    tx.exec("UPDATE users SET email_verified = 1 WHERE id = :id", {{"id", RowView(*v, 0).text("user_id")}});
    tx.exec("DELETE FROM email_verifications WHERE token_hash = :h", {{"h", sha256_hex(token)}});
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

Result<Session> Accounts::accept_invitation(const std::string& token, const std::string& password,
                                            const std::string& first_name, const std::string& last_name) {
  auto refused = [] {
    return fail(Error::validation("token", "this invitation is invalid, used or expired; ask an ADMIN for a new one"));
  };
  if (token.empty() || token.size() > 200) return refused();
  if (first_name.size() > 200) return fail(Error::validation("firstName", "firstName is too long"));
  if (last_name.size() > 200) return fail(Error::validation("lastName", "lastName is too long"));
  std::string token_hash = sha256_hex(token);
  // Read first, so that argon2 runs outside the write transaction.
  auto existing_hash = db_->read<std::string>([&](Tx& tx) -> Result<std::string> {
    auto r = tx.query_one(kSelectInvitation, {{"hash", token_hash}});
    if (!r || !is_live(RowView(*r, 0), "expires_at")) return refused();
    return RowView(*r, 0).text("password_hash");
  });
  if (!existing_hash) return fail(existing_hash.error());
  std::optional<std::string> new_hash;
  if (!existing_hash->empty()) {
    // The account already has a password (set through another invitation): the link is no way around it.
    if (!verify_password(*existing_hash, password))
      return fail(Error::validation("password", "this account already has a password; enter it to accept"));
  } else {
    if (auto ok = validate_password(password); !ok) return fail(ok.error());
    new_hash = hash_password(password, options_.cost);
  }
  return db_->write<Session>([&](Tx& tx) -> Result<Session> {
    auto r = tx.query_one(kSelectInvitation, {{"hash", token_hash}});
    if (!r || !is_live(RowView(*r, 0), "expires_at")) return refused();
    RowView inv(*r, 0);
    std::string user_id = inv.text("user_id"), workspace_id = inv.text("workspace_id");
    // Of concurrent redemptions, only the one whose delete finds the row goes on.
    if (tx.exec(kDeleteInvitation, {{"hash", token_hash}}) != 1) return refused();
    if (new_hash && tx.exec(kSetFirstPassword, {{"hash", *new_hash}, {"first", first_name}, {"last", last_name},
                                                {"id", user_id}}) != 1)
      return fail(Error::conflict("a password was set for this account meanwhile; accept with that password", "password"));
    // Opening the mailed link proves the address.
    tx.exec("UPDATE users SET email_verified = 1 WHERE id = :id", {{"id", user_id}});
    return new_session(tx, user_id, workspace_id);
  });
}

Status Accounts::change_password(std::string_view session_token, const std::string& current_password,
                                 const std::string& new_password, const std::string& remote) {
  if (session_token.empty() || session_token.size() > 200) return fail(Error::unauthenticated("sign in first"));
  if (auto ok = validate_password(new_password, "newPassword"); !ok) return fail(ok.error());
  std::string session_hash = sha256_hex(session_token);
  struct Holder {
    std::string user_id, email, password_hash;
  };
  auto holder = db_->read<Holder>([&](Tx& tx) -> Result<Holder> {
    auto r = tx.query_one(kSelectSessionPassword, {{"hash", session_hash}});
    if (!r || !is_live(RowView(*r, 0), "expires_at"))
      return fail(Error::unauthenticated("your session has ended; sign in again"));
    RowView s(*r, 0);
    return Holder{s.text("user_id"), s.text("email"), s.text("password_hash")};
  });
  if (!holder) return fail(holder.error());
  auto limited = too_many_login_failures(holder->email, remote);
  if (!limited) return fail(limited.error());
  if (*limited)
    return fail(Error{ErrorCode::RateLimited, "too many failed attempts; try again in 15 minutes", "currentPassword", {}, nullptr});
  bool ok = !holder->password_hash.empty() ? verify_password(holder->password_hash, current_password)
                                           : (verify_password(dummy_hash_, current_password), false);
  std::string new_hash = ok ? hash_password(new_password, options_.cost) : std::string();
  auto changed = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    if (!ok) {
      // Committed: the failure must count, as a failed sign-in does.
      tx.exec(kInsertFailure, {{"email", holder->email}, {"remote", remote}, {"at", store::now_timestamp()}});
      return false;
    }
    if (!tx.query_one(kSelectSession, {{"hash", session_hash}}))
      return fail(Error::unauthenticated("your session has ended; sign in again"));
    tx.exec(kSetPassword, {{"hash", new_hash}, {"id", holder->user_id}});
    tx.exec(kDeleteOtherSessions, {{"user", holder->user_id}, {"hash", session_hash}});
    tx.exec("DELETE FROM login_failures WHERE email = :email", {{"email", holder->email}});
    return true;
  });
  if (!changed) return fail(changed.error());
  if (!*changed) return fail(Error::validation("currentPassword", "the current password is wrong"));
  return {};
}

Result<json> Accounts::me(const Actor& actor) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    auto w = tx.query_one("SELECT id, name, subdomain, default_currency, locale FROM workspaces WHERE id = :id",
                          {{"id", actor.workspace_id}});
    RowView ws(*w, 0);
    json out = {{"role", to_string(actor.role)},
                {"userId", actor.user_id.empty() ? json(nullptr) : json(actor.user_id)},
                {"label", actor.label},
                {"workspace",
                 {{"id", ws.text("id")}, {"name", ws.text("name")}, {"subdomain", ws.text("subdomain")},
                  {"defaultCurrency", ws.text("default_currency")}, {"locale", ws.text("locale")}}}};
    if (!actor.user_id.empty()) {
      auto u = tx.query_one("SELECT email, first_name, last_name FROM users WHERE id = :id", {{"id", actor.user_id}});
      if (u) {
        RowView r(*u, 0);
        out["email"] = r.text("email");
        out["firstName"] = r.text("first_name");
        out["lastName"] = r.text("last_name");
      }
    }
    return out;
  });
}

Result<json> Accounts::list_members(const Actor& actor) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    Rows rows = tx.query(kSelectMembers, {{"ws", actor.workspace_id}});
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView r(rows, i);
      out.push_back({{"userId", r.text("id")}, {"email", r.text("email")}, {"firstName", r.text("first_name")},
                     {"lastName", r.text("last_name")}, {"role", r.text("role")}, {"createdAt", r.text("created_at")}});
    }
    return out;
  });
}

Result<json> Accounts::add_member(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the request body must be a JSON object"));
  std::string email = ascii_lower(get_string(body, "email"));
  if (!is_valid_email(email)) return fail(Error::validation("email", "not a valid email address"));
  auto role = parse_role(body.value("role", std::string("MEMBER")));
  if (!role) return fail(Error::validation("role", "role must be ADMIN or MEMBER"));
  // Hashed before knowing whether the user exists: the answer takes as long either way.
  std::optional<std::string> hash;
  if (body.contains("password")) {
    if (!body["password"].is_string()) return fail(Error::validation("password", "password must be a string"));
    if (auto ok = validate_password(body["password"].get<std::string>()); !ok) return fail(ok.error());
    hash = hash_password(body["password"].get<std::string>(), options_.cost);
  }
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    std::string user_id, status = "invited";
    bool has_password = false;
    if (auto user = tx.query_one(kSelectUserByEmail, {{"email", email}})) {
      // Someone else's account: nothing of it changes, whatever the body says.
      RowView u(*user, 0);
      user_id = u.text("id");
      has_password = !u.text("password_hash").empty();
      if (tx.query_one(kSelectMember, {{"ws", actor.workspace_id}, {"user", user_id}}))
        return fail(Error::conflict(email + " is already a member of this workspace", "email"));
    } else {
      user_id = random_id("usr");
      has_password = hash.has_value();
      if (hash) status = "created";
      // Not verified: the ADMIN chose the address, its owner never proved it. A verified
      // address would let this account join other workspaces that approved its domain.
      tx.exec(kInsertUser, {{"id", user_id}, {"email", email}, {"hash", hash ? SqlValue(*hash) : SqlValue(nullptr)},
                            {"first", std::string()}, {"last", std::string()}, {"verified", std::int64_t{0}},
                            {"at", store::now_timestamp()}});
    }
    if (auto st = invite_member(tx, actor, user_id, email, has_password, *role); !st) return fail(st.error());
    return json{{"userId", user_id}, {"email", email}, {"role", to_string(*role)}, {"status", status}};
  });
}

Status Accounts::invite_member(Tx& tx, const Actor& actor, const std::string& user_id, const std::string& email,
                               bool has_password, Role role) {
  std::string now = store::now_timestamp();
  tx.exec(kInsertMember, {{"ws", actor.workspace_id}, {"user", user_id}, {"role", std::string(to_string(role))}, {"at", now}});
  std::string workspace =
      RowView(*tx.query_one("SELECT name FROM workspaces WHERE id = :id", {{"id", actor.workspace_id}}), 0).text("name");
  std::string inviter = actor.label;
  if (!actor.user_id.empty())
    if (auto u = tx.query_one("SELECT email FROM users WHERE id = :id", {{"id", actor.user_id}}))
      inviter = RowView(*u, 0).text("email");
  QueuedMail mail{actor.workspace_id, "member_invitation", email, "You were added to " + workspace + " on Settle",
                  inviter + " added you to the workspace " + workspace + " as " + std::string(to_string(role)) + ". "};
  mail.data = {{"workspace", {{"name", workspace}}}, {"inviter", inviter}, {"role", to_string(role)},
               {"email", email}, {"hasPassword", has_password}};
  if (has_password) {
    mail.body += "Sign in at " + options_.public_url + "/";
    mail.data["link"] = options_.public_url + "/";
    auto id = queue_mail(tx, mail, nullptr);
    if (!id) return fail(id.error());
    return {};
  }
  std::string token = random_token(32);
  tx.exec(kInsertInvitation, {{"ws", actor.workspace_id}, {"hash", sha256_hex(token)}, {"user", user_id},
                              {"by", actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id)},
                              {"expires", store::timestamp_from_now(std::chrono::days(kInvitationDays))}, {"at", now}});
  std::string link = options_.public_url + "/accept-invitation?token=" + token;
  mail.body += "Choose your password to sign in (the link works once, for " + std::to_string(kInvitationDays) +
               " days): " + link;
  mail.data["link"] = link;
  mail.data["expiresInDays"] = kInvitationDays;
  return queue_sealed(tx, std::move(mail), options_.outbox_box);
}

Result<json> Accounts::set_member_role(const Actor& actor, const std::string& user_id, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object() || !body.contains("role")) return fail(Error::validation("role", "role is required"));
  auto role = body["role"].is_string() ? parse_role(body["role"].get<std::string>()) : std::nullopt;
  if (!role) return fail(Error::validation("role", "role must be ADMIN or MEMBER"));
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto m = tx.query_one(kSelectMember, {{"ws", actor.workspace_id}, {"user", user_id}});
    if (!m) return fail(Error::not_found("member"));
    if (*role == Role::Member && RowView(*m, 0).text("role") == "ADMIN" &&
        RowView(tx.query(kCountAdmins, {{"ws", actor.workspace_id}}), 0).integer("n") <= 1)
      return fail(Error::conflict("a workspace must keep at least one ADMIN", "role"));
    tx.exec("UPDATE workspace_members SET role = :role WHERE workspace_id = :ws AND user_id = :user",
            {{"role", std::string(to_string(*role))}, {"ws", actor.workspace_id}, {"user", user_id}});
    return json{{"userId", user_id}, {"email", RowView(*m, 0).text("email")}, {"role", to_string(*role)}};
  });
}

Status Accounts::remove_member(const Actor& actor, const std::string& user_id) {
  if (auto st = require_admin(actor); !st) return st;
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    auto m = tx.query_one(kSelectMember, {{"ws", actor.workspace_id}, {"user", user_id}});
    if (!m) return fail(Error::not_found("member"));
    if (RowView(*m, 0).text("role") == "ADMIN" &&
        RowView(tx.query(kCountAdmins, {{"ws", actor.workspace_id}}), 0).integer("n") <= 1)
      return fail(Error::conflict("a workspace must keep at least one ADMIN", "role"));
    // Everything that let them act in this workspace ends with the membership, at once.
    store::Params member = {{"ws", actor.workspace_id}, {"user", user_id}};
    tx.exec("DELETE FROM workspace_members WHERE workspace_id = :ws AND user_id = :user", member);
    tx.exec("DELETE FROM sessions WHERE workspace_id = :ws AND user_id = :user", member);
    tx.exec("DELETE FROM member_invitations WHERE workspace_id = :ws AND user_id = :user", member);
    tx.exec("UPDATE api_keys SET revoked_at = :at WHERE workspace_id = :ws AND created_by = :user AND revoked_at IS NULL",
            {{"at", store::now_timestamp()}, {"ws", actor.workspace_id}, {"user", user_id}});
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

Result<json> Accounts::create_api_key(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the request body must be a JSON object"));
  std::string name = get_string(body, "name");
  if (name.empty() || name.size() > 100) return fail(Error::validation("name", "name must be 1 to 100 characters"));
  auto role = parse_role(body.value("role", std::string("MEMBER")));
  if (!role) return fail(Error::validation("role", "role must be ADMIN or MEMBER"));
  std::optional<std::string> expires;
  if (body.contains("expiresAt") && !body["expiresAt"].is_null()) {
    expires = body["expiresAt"].is_string() ? store::normalize_timestamp(body["expiresAt"].get<std::string>()) : std::nullopt;
    if (!expires) return fail(Error::validation("expiresAt", "expiresAt must be an ISO 8601 timestamp"));
    if (*expires <= store::now_timestamp()) return fail(Error::validation("expiresAt", "expiresAt must be in the future"));
  }
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    std::string key = "sk_settle_" + random_token(32), id = random_id("key"), now = store::now_timestamp();
    tx.exec(kInsertApiKey, {{"ws", actor.workspace_id}, {"id", id}, {"name", name}, {"hash", sha256_hex(key)},
                            {"last4", key.substr(key.size() - 4)}, {"role", std::string(to_string(*role))},
                            {"by", actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id)},
                            {"expires", expires ? SqlValue(*expires) : SqlValue(nullptr)}, {"at", now}});
    return json{{"id", id},   {"name", name}, {"role", to_string(*role)}, {"key", key},
                {"last4", key.substr(key.size() - 4)}, {"expiresAt", expires ? json(*expires) : json(nullptr)},
                {"createdAt", now}};
  });
}

Result<json> Accounts::list_api_keys(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    Rows rows = tx.query(kSelectApiKeys, {{"ws", actor.workspace_id}});
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView r(rows, i);
      auto opt = [&](const char* c) { return r.is_null(c) ? json(nullptr) : json(r.text(c)); };
      out.push_back({{"id", r.text("id")}, {"name", r.text("name")}, {"last4", r.text("key_last4")},
                     {"role", r.text("role")}, {"createdBy", opt("created_by")}, {"expiresAt", opt("expires_at")},
                     {"revokedAt", opt("revoked_at")}, {"createdAt", r.text("created_at")}});
    }
    return out;
  });
}

Status Accounts::revoke_api_key(const Actor& actor, const std::string& id) {
  if (auto st = require_admin(actor); !st) return st;
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    long long n = tx.exec("UPDATE api_keys SET revoked_at = :at WHERE workspace_id = :ws AND id = :id AND revoked_at IS NULL",
                          {{"at", store::now_timestamp()}, {"ws", actor.workspace_id}, {"id", id}});
    if (n == 0) return fail(Error::not_found("API key"));
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

Result<json> Accounts::add_domain(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the request body must be a JSON object"));
  std::string domain = ascii_lower(get_string(body, "domain"));
  if (!is_valid_domain(domain)) return fail(Error::validation("domain", "not a valid domain name"));
  if (is_free_mail_domain(domain))
    return fail(Error::validation("domain", domain + " is a public mail provider; approve your own domain instead"));
  // Proof of control of the domain: a link mailed to its postmaster, its admin, or the
  // requesting member's own address there. Any other address at the domain could be a
  // mailbox anyone may get (a support alias, a student's), so it proves nothing.
  std::string own;
  if (!actor.user_id.empty())
    own = db_->read<std::string>([&](Tx& tx) -> Result<std::string> {
               auto u = tx.query_one("SELECT email FROM users WHERE id = :id", {{"id", actor.user_id}});
               return u ? RowView(*u, 0).text("email") : std::string();
             }).value_or("");
  own = ascii_lower(own);
  std::string to = ascii_lower(get_string(body, "validationEmail"));
  if (to.empty()) to = email_domain(own).value_or("") == domain ? own : "postmaster@" + domain;
  if (!is_valid_email(to) || email_domain(to) != domain ||
      !(to == "postmaster@" + domain || to == "admin@" + domain || (to == own && !own.empty())))
    return fail(Error::validation("validationEmail", "the validation link goes to postmaster@" + domain + ", admin@" +
                                                         domain + " or your own address at " + domain));
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    if (tx.query_one("SELECT 1 AS x FROM approved_domains WHERE workspace_id = :ws AND domain = :d",
                     {{"ws", actor.workspace_id}, {"d", domain}}))
      return fail(Error::conflict(domain + " is already on this workspace's list", "domain"));
    std::string id = random_id("dom"), token = random_token(24), now = store::now_timestamp();
    std::string expires = store::timestamp_from_now(std::chrono::days(kDomainTokenDays));
    tx.exec("INSERT INTO approved_domains (workspace_id, id, domain, status, validation_email, token_hash, "
            "token_expires_at, created_by, created_at) VALUES (:ws, :id, :d, 'PENDING', :to, :h, :exp, :by, :at)",
            {{"ws", actor.workspace_id}, {"id", id}, {"d", domain}, {"to", to}, {"h", sha256_hex(token)},
             {"exp", expires}, {"by", actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id)}, {"at", now}});
    // The code travels only in the mail: the ADMIN asking is not the proof.
    std::string link = options_.public_url + "/validate-domain?token=" + token;
    QueuedMail mail{actor.workspace_id, "domain_validation", to, "Approve " + domain + " for Settle",
                    "Open this link to approve " + domain + " (it works once, for " + std::to_string(kDomainTokenDays) +
                        " days): " + link};
    std::string workspace =
        RowView(*tx.query_one("SELECT name FROM workspaces WHERE id = :id", {{"id", actor.workspace_id}}), 0).text("name");
    mail.data = {{"domain", domain}, {"link", link}, {"code", token}, {"expiresInDays", kDomainTokenDays},
                 {"workspace", {{"name", workspace}}}, {"requestedBy", own.empty() ? actor.label : own}};
    if (auto st = queue_sealed(tx, std::move(mail), options_.outbox_box); !st) return fail(st.error());
    return json{{"id", id}, {"domain", domain}, {"status", "PENDING"}, {"validationEmail", to},
                {"tokenExpiresAt", expires}, {"createdAt", now}};
  });
}

Result<json> Accounts::list_domains(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    Rows rows = tx.query(kSelectDomains, {{"ws", actor.workspace_id}});
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView r(rows, i);
      auto opt = [&](const char* c) { return r.is_null(c) ? json(nullptr) : json(r.text(c)); };
      out.push_back({{"id", r.text("id")}, {"domain", r.text("domain")}, {"status", r.text("status")},
                     {"validationEmail", r.text("validation_email")}, {"tokenExpiresAt", opt("token_expires_at")},
                     {"createdAt", r.text("created_at")}, {"validatedAt", opt("validated_at")}});
    }
    return out;
  });
}

Status Accounts::delete_domain(const Actor& actor, const std::string& id) {
  if (auto st = require_admin(actor); !st) return st;
  auto r = db_->write<bool>([&](Tx& tx) -> Result<bool> {
    if (tx.exec("DELETE FROM approved_domains WHERE workspace_id = :ws AND id = :id", {{"ws", actor.workspace_id}, {"id", id}}) == 0)
      return fail(Error::not_found("approved domain"));
    return true;
  });
  if (!r) return fail(r.error());
  return {};
}

Result<json> Accounts::validate_domain(const std::string& token) {
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto r = tx.query_one("SELECT workspace_id, id, domain, status, token_expires_at FROM approved_domains "
                          "WHERE token_hash = :h", {{"h", sha256_hex(token)}});
    if (!r) return fail(Error::validation("token", "this validation code is invalid"));
    RowView d(*r, 0);
    if (d.text("token_expires_at") <= store::now_timestamp())
      return fail(Error::validation("token", "this validation code has expired; ask an ADMIN to add the domain again"));
    std::string now = store::now_timestamp();
    // One-time: the token hash is cleared with the validation.
    tx.exec("UPDATE approved_domains SET status = 'VALIDATED', validated_at = :at, token_hash = NULL, "
            "token_expires_at = NULL WHERE workspace_id = :ws AND id = :id",
            {{"at", now}, {"ws", d.text("workspace_id")}, {"id", d.text("id")}});
    return json{{"id", d.text("id")}, {"domain", d.text("domain")}, {"status", "VALIDATED"}, {"validatedAt", now}};
  });
}

Result<OutboxMessage> Accounts::open_outbox_message(const std::string& id) {
  return db_->read<OutboxMessage>([&](Tx& tx) -> Result<OutboxMessage> {
    auto r = tx.query_one(std::string("SELECT ") + kOutboxMessageColumns + " FROM outbox WHERE id = :id", {{"id", id}});
    if (!r) return fail(Error::not_found("outbox message"));
    return open_outbox_row(RowView(*r, 0), options_.outbox_box ? &*options_.outbox_box : nullptr);
  });
}

}  // namespace settle::crm
