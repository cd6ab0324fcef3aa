// CRM records: the domain operations behind /rest/{object}. Every operation runs in one
// transaction, is scoped to the caller's workspace (a record of another workspace is
// simply "not found"), validates its input against the object catalog, keeps totals and
// document numbers right, and writes the record's timeline. Nothing here knows HTTP.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "crm/objects.hpp"
#include "store/database.hpp"

namespace settle::crm {

using json = nlohmann::json;

enum class Role { Admin, Member };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

// Who is acting: every operation is scoped to actor.workspace_id.
struct Actor {
  std::string workspace_id;
  std::string user_id;  // empty for an API key
  std::string label;    // "ada@phos-ind.com" or "api key 'zapier'" for the timeline
  Role role = Role::Member;
};

struct Page {
  json records = json::array();
  bool has_next_page = false;
  bool has_previous_page = false;
  std::optional<std::string> start_cursor, end_cursor;
  std::int64_t total_count = 0;
};

class Records {
 public:
  explicit Records(std::shared_ptr<store::Database> db);

  Result<Page> list(const Actor& actor, const ObjectDef& object, const store::ListQuery& query);
  Result<json> get(const Actor& actor, const ObjectDef& object, std::string_view id);
  Result<json> create(const Actor& actor, const ObjectDef& object, const json& body);
  Result<json> update(const Actor& actor, const ObjectDef& object, std::string_view id, const json& patch);
  Result<json> remove(const Actor& actor, const ObjectDef& object, std::string_view id);   // soft delete
  Result<json> restore(const Actor& actor, const ObjectDef& object, std::string_view id);
  Result<json> timeline(const Actor& actor, const ObjectDef& object, std::string_view id);

  // Lifecycle actions (POST /rest/{object}/{id}/{action}), each one transaction.
  // quotes: finalize | accept | cancel; orders: start | fulfill | cancel | invoice;
  // invoices: finalize | void | mark-uncollectible. Answers the updated record; `invoice`
  // answers the new draft invoice and `accept` the quote (with orderId set).
  Result<json> act(const Actor& actor, const ObjectDef& object, std::string_view id, std::string_view action,
                   const json& body);
  // act() that also sets `also_set` (catalog columns of the record acted on) in the same
  // transaction: the Stripe sync records what Stripe answered together with the move.
  Result<json> act(const Actor& actor, const ObjectDef& object, std::string_view id, std::string_view action,
                   const json& body, const std::map<std::string, store::SqlValue>& also_set);

  // The daily expiry (WF-003): Open quotes whose expiresAt has passed become Expired, and
  // each gets one follow-up Task for its sales rep (the quote's creator), marked by
  // expirationReminderSent so that no quote gets two. Answers the ids of the quotes it expired.
  Result<std::vector<std::string>> expire_due_quotes(const Actor& actor);

  store::Database& db() { return *db_; }

 private:
  std::shared_ptr<store::Database> db_;
};

}  // namespace settle::crm
