// Accounts: workspaces, users, their membership and role (ADMIN or MEMBER), API keys,
// login sessions, invitations, and approved access domains. Secrets (passwords, keys,
// session, invitation and validation tokens) are stored only as hashes; a key or token is
// shown once, when made, and mail carrying one is sealed in the outbox. Only an ADMIN
// manages members, API keys and domains: every such function checks the actor's role
// itself, so no caller can forget to. A workspace's ADMIN never gains power over a user's
// account: adding an existing user to a workspace changes nothing of that user.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "crm/outbox.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"

namespace settle::crm {

struct NewWorkspace {
  std::string workspace_id, user_id, api_key;  // api_key in plain text, shown once
};

struct Session {
  std::string token;  // plain text, for the cookie; stored hashed
  std::string user_id;
  std::optional<std::string> workspace_id;
  std::string expires_at;
};

// Login attempts allowed per email (and, more loosely, per client address) in the window.
inline constexpr int kMaxLoginFailuresPerEmail = 5;
inline constexpr int kMaxLoginFailuresPerAddress = 30;
inline constexpr int kLoginWindowMinutes = 15;
inline constexpr int kSessionDays = 14;
inline constexpr int kDomainTokenDays = 7;
inline constexpr int kInvitationDays = 7;

struct AccountsOptions {
  PasswordHashCost cost = PasswordHashCost::Interactive;
  // SETTLE_PUBLIC_URL: the only base of links in mail. Never taken from a request's Host
  // header, which the requester chooses.
  std::string public_url;
  // Seals outbox mail that carries a one-time code. Without it such mail cannot be queued
  // (the call fails), so commands that never send it need no master key.
  std::optional<SecretBox> outbox_box;

  // For a command or test that queues no mail with a code: only the hashing cost matters.
  static AccountsOptions without_mail(PasswordHashCost cost) { return {cost, {}, std::nullopt}; }
};

class Accounts {
 public:
  Accounts(std::shared_ptr<store::Database> db, AccountsOptions options);

  // --- administration (CLI) -------------------------------------------------------------
  // Creates the workspace, its first ADMIN (a new user, or an existing one by email) and an
  // ADMIN API key. Without a password the user can only use the API key until one is set.
  Result<NewWorkspace> create_workspace(const std::string& name, const std::string& subdomain,
                                        const std::string& admin_email, const std::optional<std::string>& password);
  // Called with the new workspace's id once its creation committed: the workflow engine
  // installs the built-in workflows there, so that they watch its first records. Set while
  // wiring, before any request; a failure of the hook is the hook's to log (the server's
  // housekeeping installs what is missing later).
  void set_on_workspace_created(std::function<void(const std::string& workspace_id)> hook) {
    on_workspace_created_ = std::move(hook);
  }
  // Adds (or updates the password of) a user and makes them a member with `role`. This is
  // the operator's password reset: setting a password ends all that user's sessions.
  Result<nlohmann::json> add_user(const std::string& subdomain, const std::string& email,
                                  const std::optional<std::string>& password, Role role);
  // The supported way back in for a workspace whose admin lost access.
  Result<nlohmann::json> set_role_by_email(const std::string& subdomain, const std::string& email, Role role);
  Result<std::string> workspace_id_for(const std::string& subdomain);

  // --- authentication -------------------------------------------------------------------
  Result<Actor> authenticate_api_key(std::string_view key);
  Result<Actor> authenticate_session(std::string_view token);
  // The user of a live session, whether or not it has a workspace yet.
  Result<std::string> session_user(std::string_view token);
  // subdomain picks the workspace when the user belongs to several (else their first).
  Result<Session> login(const std::string& email, const std::string& password, const std::string& remote,
                        const std::optional<std::string>& subdomain);
  Status logout(std::string_view token);
  Result<nlohmann::json> workspaces_of(const std::string& user_id);  // member of, and joinable
  Result<Session> switch_workspace(std::string_view token, const std::string& workspace_id);
  // Self-service: a user with a verified email at a validated domain joins as MEMBER.
  Result<Session> join(std::string_view token, const std::string& workspace_id);
  Result<nlohmann::json> signup(const std::string& email, const std::string& password, const std::string& first_name,
                                const std::string& last_name);
  Status verify_email(const std::string& token);
  // Redeems a member invitation (one-time): sets the password if the user has none yet
  // (else `password` must be theirs), marks the email verified, and signs in to the
  // inviting workspace.
  Result<Session> accept_invitation(const std::string& token, const std::string& password,
                                    const std::string& first_name, const std::string& last_name);
  // Ends every other session of the user; a wrong current password counts as a failed
  // sign-in (same limit), so this cannot be used to guess it.
  Status change_password(std::string_view session_token, const std::string& current_password,
                         const std::string& new_password, const std::string& remote);

  // --- members (GET any member; changes ADMIN only) ------------------------------------------
  Result<nlohmann::json> me(const Actor& actor);
  Result<nlohmann::json> list_members(const Actor& actor);
  // An existing user becomes a member (status "invited", mailed) without any change to
  // their account: a password in the body is ignored. A new email becomes a user, with the
  // given password (status "created", email not verified) or none and a one-time
  // invitation link by mail (status "invited").
  Result<nlohmann::json> add_member(const Actor& actor, const nlohmann::json& body);
  Result<nlohmann::json> set_member_role(const Actor& actor, const std::string& user_id, const nlohmann::json& body);
  // In one transaction: also ends the member's sessions in this workspace, revokes the API
  // keys they created here and drops their pending invitation.
  Status remove_member(const Actor& actor, const std::string& user_id);

  // --- API keys (ADMIN) -----------------------------------------------------------------------
  Result<nlohmann::json> create_api_key(const Actor& actor, const nlohmann::json& body);  // includes "key" once
  Result<nlohmann::json> list_api_keys(const Actor& actor);
  Status revoke_api_key(const Actor& actor, const std::string& id);

  // --- approved domains (ADMIN) ----------------------------------------------------------------
  // Pending until validated with the one-time token sent to an address at that domain.
  // Until mail delivery exists the token is also returned to the ADMIN (and queued in the
  // outbox).
  Result<nlohmann::json> add_domain(const Actor& actor, const nlohmann::json& body);
  Result<nlohmann::json> list_domains(const Actor& actor);
  Status delete_domain(const Actor& actor, const std::string& id);
  Result<nlohmann::json> validate_domain(const std::string& token);

  // --- outbox (the mailer) ------------------------------------------------------------------
  Result<OutboxMessage> open_outbox_message(const std::string& id);

 private:
  Result<Session> new_session(store::Tx& tx, const std::string& user_id, const std::optional<std::string>& workspace);
  // Adds user_id to the workspace and mails them (with a one-time link if they have no
  // password yet).
  Status invite_member(store::Tx& tx, const Actor& actor, const std::string& user_id, const std::string& email,
                       bool has_password, Role role);
  Result<bool> too_many_login_failures(const std::string& email, const std::string& remote);

  std::shared_ptr<store::Database> db_;
  std::function<void(const std::string&)> on_workspace_created_;
  AccountsOptions options_;
  std::string dummy_hash_;  // verified against when the email is unknown, so timing does not tell
};

// Pure checks, exposed for tests.
bool is_valid_subdomain(std::string_view s);  // 3-63 of [a-z0-9-], no leading/trailing '-'
bool is_valid_domain(std::string_view s);     // lower-case host name with at least one dot
bool is_free_mail_domain(std::string_view domain);
std::optional<std::string> email_domain(std::string_view email);  // lower-cased part after '@'
bool is_valid_email(std::string_view email);

}  // namespace settle::crm
