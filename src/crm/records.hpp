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
#include <utility>

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
  Actor() = default;
  Actor(std::string workspace, std::string user, std::string who, Role r)
      : workspace_id(std::move(workspace)), user_id(std::move(user)), label(std::move(who)), role(r) {}

  std::string workspace_id;
  std::string user_id;  // empty for an API key
  std::string label;    // "ada@phos-ind.com" or "api key 'zapier'" for the timeline
  Role role = Role::Member;
  // Set when a workflow run acts: how deep in a chain of runs triggered by runs' own writes
  // it is (loop safety), and which run it is (for the timeline and the runs it triggers).
  int workflow_depth = 0;
  std::string workflow_run_id;
};

// Every mutation an ADMIN alone may make starts with this: forbidden for a MEMBER.
Status require_admin(const Actor& actor);

enum class RecordChange { Created, Updated, Deleted };
std::string_view to_string(RecordChange change);

// Told of every record change, inside the transaction that makes it: what it does there
// (the workflow engine queues runs of record-triggered workflows) commits or rolls back
// with the change itself, so no change is missed and none is seen twice.
class RecordObserver {
 public:
  virtual ~RecordObserver() = default;
  // Cheap, called first: whether a change of this kind on `object` interests the observer
  // (when not, Records does not read the record's before image for it).
  virtual bool watches(const std::string& workspace_id, const ObjectDef& object, RecordChange change) = 0;
  // `before` is null on Created, `after` is the record as the API shows it (deleted: as it
  // was deleted). Throws to roll the change back when it cannot record what it must.
  virtual void on_change(store::Tx& tx, const Actor& actor, const ObjectDef& object, RecordChange change,
                         const json& before, const json& after) = 0;
};

struct Page {
  json records = json::array();
  bool has_next_page = false;
  bool has_previous_page = false;
  std::optional<std::string> start_cursor, end_cursor;
  // Exact up to kExactCountLimit matches; above it the count stops there (total_count_exact
  // false: "at least"), so a page of a million-row list does not count a million rows.
  std::int64_t total_count = 0;
  bool total_count_exact = true;
};

inline constexpr std::int64_t kExactCountLimit = 10'000;

class Records {
 public:
  explicit Records(std::shared_ptr<store::Database> db);

  Result<Page> list(const Actor& actor, const ObjectDef& object, const store::ListQuery& query);
  // The database's plan for list()'s two statements (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
  // on PostgreSQL), one line per plan node: what docs/performance.md shows for each list.
  Result<std::vector<std::string>> explain_list(const Actor& actor, const ObjectDef& object,
                                                const store::ListQuery& query);
  Result<json> get(const Actor& actor, const ObjectDef& object, std::string_view id);
  Result<json> create(const Actor& actor, const ObjectDef& object, const json& body);
  Result<json> update(const Actor& actor, const ObjectDef& object, std::string_view id, const json& patch);
  Result<json> remove(const Actor& actor, const ObjectDef& object, std::string_view id);   // soft delete
  Result<json> restore(const Actor& actor, const ObjectDef& object, std::string_view id);
  // create, update and remove inside the caller's transaction (a workflow step commits its
  // change together with the record of having made it).
  Result<json> create(store::Tx& tx, const Actor& actor, const ObjectDef& object, const json& body);
  Result<json> update(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id,
                      const json& patch);
  Result<json> remove(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id);
  Result<json> get(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id);
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
  // act() in the caller's transaction (a workflow step commits its record with the move).
  Result<json> act(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id,
                   std::string_view action, const json& body, const std::map<std::string, store::SqlValue>& also_set = {});

  // The daily expiry (WF-003): Open quotes whose expiresAt has passed become Expired, and
  // each gets one follow-up Task for its sales rep (the quote's creator), marked by
  // expirationReminderSent so that no quote gets two. Answers the ids of the quotes it expired.
  Result<std::vector<std::string>> expire_due_quotes(const Actor& actor);
  Result<std::vector<std::string>> expire_due_quotes(store::Tx& tx, const Actor& actor);

  // A line on a record's timeline written by another capability in its own transaction (the
  // mailer's "email sent" and "email failed"): `kind` names the event, `detail` says it.
  void add_timeline_entry(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id,
                          std::string_view kind, std::string_view detail);

  store::Database& db() { return *db_; }
  const std::shared_ptr<store::Database>& database() const { return db_; }

  // Set once before serving (not guarded: never changed while requests run).
  void set_observer(std::shared_ptr<RecordObserver> observer) { observer_ = std::move(observer); }
  // For the other writers of records (the Stripe sync): the record's before image when the
  // observer watches this change (else null), and the notification after it.
  json before_image(store::Tx& tx, const Actor& actor, const ObjectDef& object, RecordChange change,
                    std::string_view id);
  void notify(store::Tx& tx, const Actor& actor, const ObjectDef& object, RecordChange change, const json& before,
              std::string_view id);

 private:
  Result<json> create_in(store::Tx& tx, const Actor& actor, const ObjectDef& object, const json& body,
                         const std::map<std::string, store::SqlValue>& input);
  Result<json> update_in(store::Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id,
                         const json& patch, const std::map<std::string, store::SqlValue>& input);

  std::shared_ptr<store::Database> db_;
  std::shared_ptr<RecordObserver> observer_;
};

}  // namespace settle::crm
