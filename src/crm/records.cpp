// Generic CRUD over the object catalog, plus the helpers of record_store.hpp.
#include "crm/records.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "common/crypto.hpp"
#include "common/money.hpp"
#include "crm/record_store.hpp"

namespace settle::crm {

using store::FieldType;
using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;

std::string_view to_string(Role role) { return role == Role::Admin ? "ADMIN" : "MEMBER"; }

Status require_admin(const Actor& actor) {
  if (actor.role != Role::Admin) return fail(Error::forbidden("only an ADMIN of this workspace can do this"));
  return {};
}

std::string_view to_string(RecordChange change) {
  switch (change) {
    case RecordChange::Created: return "created";
    case RecordChange::Updated: return "updated";
    case RecordChange::Deleted: return "deleted";
  }
  return "updated";
}
std::optional<Role> parse_role(std::string_view text) {
  if (text == "ADMIN") return Role::Admin;
  if (text == "MEMBER") return Role::Member;
  return std::nullopt;
}

namespace detail {
namespace {

constexpr const char* kInsertEvent =
    "INSERT INTO timeline_events (workspace_id, id, record_object, record_id, kind, field, old_value, new_value, "
    "actor_id, actor_label, created_at) VALUES (:ws, :id, :object, :record, :kind, :field, :old, :new, :actor, "
    ":label, :at)";
constexpr const char* kSelectLines =
    "SELECT document_id, position, description, quantity, unit_amount, amount, product_id FROM line_items "
    "WHERE workspace_id = :ws AND document_id IN (";

// Number of Unicode code points; the catalog's limits are in characters, not bytes.
size_t utf8_length(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Timeline ids sort in the order events happened: microseconds since the epoch, made
// strictly increasing within the process (several events share a millisecond inside one
// transaction), then random characters so that instances never collide.
std::string timeline_event_id() {
  static std::atomic<std::int64_t> last{0};
  std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::int64_t prev = last.load();
  std::int64_t next;
  do {
    next = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, next));
  char digits[24];
  std::snprintf(digits, sizeof digits, "%017lld", static_cast<long long>(next));
  return "tle_" + std::string(digits) + random_id("").substr(0, 8);
}

}  // namespace

std::string text_of(const SqlValue& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return {};
}

const std::string& select_columns(const ObjectDef& object) {
  // Built once per object at first use; the catalog is immutable, so no lock is needed
  // beyond the static initialisation of the map.
  static const std::unordered_map<std::string, std::string> kSelects = [] {
    std::unordered_map<std::string, std::string> m;
    for (const auto& o : all_objects()) {
      std::string sql = "SELECT ";
      for (size_t i = 0; i < o.fields.size(); ++i) {
        if (i) sql += ", ";
        sql += o.fields[i].spec.column;
      }
      sql += " FROM " + o.spec.table;
      m.emplace(o.name, std::move(sql));
    }
    return m;
  }();
  return kSelects.at(object.name);
}

json value_to_json(const FieldDef& field, const SqlValue& value) {
  if (std::holds_alternative<std::nullptr_t>(value)) return nullptr;
  switch (field.spec.type) {
    case FieldType::Integer:
      if (auto* i = std::get_if<std::int64_t>(&value)) return *i;
      return std::stoll(std::get<std::string>(value));
    case FieldType::Boolean:
      if (auto* i = std::get_if<std::int64_t>(&value)) return *i != 0;
      return std::get<std::string>(value) == "1";
    default:
      return text_of(value);
  }
}

json to_json(const ObjectDef& object, const Rows& rows, size_t index) {
  json out = json::object();
  const auto& row = rows.rows[index];
  // Columns come back in catalog order (select_columns), so index i is field i.
  for (size_t i = 0; i < object.fields.size() && i < row.size(); ++i)
    out[object.fields[i].spec.name] = value_to_json(object.fields[i], row[i]);
  return out;
}

namespace {

std::optional<Rows> load_row(Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                             bool include_deleted, std::string_view lock) {
  std::string sql = select_columns(object) + " WHERE workspace_id = :ws AND id = :id";
  if (!include_deleted) sql += " AND deleted_at IS NULL";
  sql += lock;
  return tx.query_one(sql, {{"ws", workspace_id}, {"id", std::string(id)}});
}

}  // namespace

std::optional<Rows> load(Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                         bool include_deleted) {
  return load_row(tx, object, workspace_id, id, include_deleted, "");
}

std::optional<Rows> load_for_update(Tx& tx, const ObjectDef& object, const std::string& workspace_id,
                                    std::string_view id, bool include_deleted) {
  return load_row(tx, object, workspace_id, id, include_deleted, tx.lock_suffix());
}

std::map<std::string, json> load_lines(Tx& tx, const std::string& workspace_id, const std::vector<std::string>& ids) {
  std::map<std::string, json> out;
  if (ids.empty()) return out;
  std::string sql = kSelectLines;
  store::Params params{{"ws", workspace_id}};
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string name = "d" + std::to_string(i);
    sql += (i ? ", :" : ":") + name;
    params.emplace_back(name, ids[i]);
    out[ids[i]] = json::array();
  }
  sql += ") ORDER BY document_id, position";
  Rows rows = tx.query(sql, params);
  for (size_t i = 0; i < rows.size(); ++i) {
    RowView r(rows, i);
    json line = {{"description", r.text("description")},
                 {"quantity", r.integer("quantity")},
                 {"unitAmount", r.integer("unit_amount")},
                 {"amount", r.integer("amount")},
                 {"productId", r.is_null("product_id") ? json(nullptr) : json(r.text("product_id"))}};
    out[r.text("document_id")].push_back(std::move(line));
  }
  return out;
}

Result<json> load_json(Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                       bool include_deleted) {
  auto rows = load(tx, object, workspace_id, id, include_deleted);
  if (!rows) return fail(Error::not_found(object.singular));
  json record = to_json(object, *rows, 0);
  if (object.has_line_items) record["lineItems"] = load_lines(tx, workspace_id, {std::string(id)})[std::string(id)];
  return record;
}

Result<Values> convert_input(const ObjectDef& object, const json& body, bool creating) {
  if (!body.is_object()) return fail(Error::bad_request("the request body must be a JSON object"));
  Values values;
  for (const auto& [key, value] : body.items()) {
    if (key == "lineItems" && object.has_line_items) continue;  // handled by the document code
    const FieldDef* fd = object.field(key);
    if (!fd) return fail(Error::validation(key, "unknown field '" + key + "' for " + object.name));
    if (fd->access == Access::ReadOnly) return fail(Error::validation(key, key + " is set by the server"));
    if (!creating && fd->access == Access::CreateOnly)
      return fail(Error::validation(key, key + " cannot be changed after creation"));
    const auto& spec = fd->spec;
    if (value.is_null()) {
      if (fd->required) return fail(Error::validation(key, key + " is required"));
      values[spec.column] = nullptr;
      continue;
    }
    switch (spec.type) {
      case FieldType::Integer:
        if (!value.is_number_integer())
          return fail(Error::validation(key, key + " must be an integer" +
                                                 std::string(fd->money ? " amount in minor units (e.g. cents)" : "")));
        if (fd->money && (value.get<std::int64_t>() > kMaxAmount || value.get<std::int64_t>() < -kMaxAmount))
          return fail(Error::validation(key, key + " is too large"));
        if (fd->money && value.get<std::int64_t>() < 0)
          return fail(Error::validation(key, key + " must not be negative"));
        values[spec.column] = value.get<std::int64_t>();
        break;
      case FieldType::Boolean:
        if (!value.is_boolean()) return fail(Error::validation(key, key + " must be true or false"));
        values[spec.column] = std::int64_t{value.get<bool>() ? 1 : 0};
        break;
      case FieldType::Timestamp: {
        auto ts = value.is_string() ? store::normalize_timestamp(value.get<std::string>()) : std::nullopt;
        if (!ts) return fail(Error::validation(key, key + " must be an ISO 8601 timestamp"));
        values[spec.column] = *ts;
        break;
      }
      case FieldType::Date: {
        auto d = value.is_string() ? store::normalize_date(value.get<std::string>()) : std::nullopt;
        if (!d) return fail(Error::validation(key, key + " must be a date (YYYY-MM-DD)"));
        values[spec.column] = *d;
        break;
      }
      case FieldType::Enum: {
        if (!value.is_string() ||
            std::find(spec.enum_values.begin(), spec.enum_values.end(), value.get<std::string>()) ==
                spec.enum_values.end()) {
          std::string allowed;
          for (const auto& v : spec.enum_values) allowed += (allowed.empty() ? "" : ", ") + v;
          return fail(Error::validation(key, key + " must be one of: " + allowed));
        }
        values[spec.column] = value.get<std::string>();
        break;
      }
      case FieldType::Id:
      case FieldType::Text: {
        if (!value.is_string()) return fail(Error::validation(key, key + " must be a string"));
        std::string s = value.get<std::string>();
        if (utf8_length(s) > fd->max_length)
          return fail(Error::validation(key, key + " must be at most " + std::to_string(fd->max_length) + " characters"));
        if (s.find('\0') != std::string::npos) return fail(Error::validation(key, key + " must not contain NUL"));
        if (key == "currency") {
          auto c = normalize_currency(s, key);
          if (!c) return fail(c.error());
          s = *c;
        } else if (fd->required && s.find_first_not_of(" \t\r\n") == std::string::npos) {
          return fail(Error::validation(key, key + " must not be empty"));
        }
        if (key == "email" && !s.empty() && (s.find('@') == std::string::npos || s.find(' ') != std::string::npos))
          return fail(Error::validation(key, "email must be an email address"));
        values[spec.column] = std::move(s);
        break;
      }
    }
  }
  if (creating)
    for (const auto& fd : object.fields)
      if (fd.required && !values.count(fd.spec.column))
        return fail(Error::validation(fd.spec.name, fd.spec.name + " is required"));
  return values;
}

namespace {

// A polymorphic reference: the object named in `target_object`, the record in `target_id`.
Status check_target(Tx& tx, const std::string& workspace_id, const Values& values, const RowView* before) {
  if (!values.count("target_object") && !values.count("target_id")) return {};
  auto current = [&](const char* column) -> SqlValue {
    if (auto it = values.find(column); it != values.end()) return it->second;
    return before ? before->at(column) : SqlValue(nullptr);
  };
  SqlValue object = current("target_object"), id = current("target_id");
  if (std::holds_alternative<std::nullptr_t>(id)) return {};
  if (std::holds_alternative<std::nullptr_t>(object))
    return fail(Error::validation("targetObject", "targetObject is required with targetId"));
  const ObjectDef* target = find_object(text_of(object));  // the enum admits catalog objects only
  if (!target) return fail(Error::validation("targetObject", "no such object"));
  if (!tx.query_one("SELECT 1 AS x FROM " + target->spec.table +
                        " WHERE workspace_id = :ws AND id = :id AND deleted_at IS NULL",
                    {{"ws", workspace_id}, {"id", id}}))
    return fail(Error::validation("targetId", "no such " + target->singular + " in this workspace"));
  return {};
}

}  // namespace

Status check_references(Tx& tx, const ObjectDef& object, const std::string& workspace_id, const Values& values,
                        const RowView* before) {
  if (object.field("targetId")) {
    if (auto st = check_target(tx, workspace_id, values, before); !st) return st;
  }
  for (const auto& fd : object.fields) {
    if (fd.spec.type != FieldType::Id || fd.spec.name == "id") continue;
    auto it = values.find(fd.spec.column);
    if (it == values.end() || std::holds_alternative<std::nullptr_t>(it->second)) continue;
    bool found = false;
    if (fd.references.empty() && fd.spec.name == "assigneeId") {
      found = tx.query_one("SELECT 1 AS x FROM workspace_members WHERE workspace_id = :ws AND user_id = :id",
                           {{"ws", workspace_id}, {"id", it->second}})
                  .has_value();
    } else if (!fd.references.empty()) {
      const ObjectDef* target = find_object(fd.references);
      found = tx.query_one("SELECT 1 AS x FROM " + target->spec.table +
                               " WHERE workspace_id = :ws AND id = :id AND deleted_at IS NULL",
                           {{"ws", workspace_id}, {"id", it->second}})
                  .has_value();
    } else {
      continue;
    }
    if (!found) return fail(Error::validation(fd.spec.name, "no such " + (fd.references.empty() ? std::string("member") : find_object(fd.references)->singular) + " in this workspace"));
  }
  return {};
}

void insert(Tx& tx, const ObjectDef& object, const std::string& workspace_id, const Values& values) {
  std::string cols = "workspace_id", marks = ":ws";
  store::Params params{{"ws", workspace_id}};
  int i = 0;
  for (const auto& [column, value] : values) {
    std::string name = "v" + std::to_string(i++);
    cols += ", " + column;
    marks += ", :" + name;
    params.emplace_back(name, value);
  }
  tx.exec("INSERT INTO " + object.spec.table + " (" + cols + ") VALUES (" + marks + ")", params);
}

void update_columns(Tx& tx, const ObjectDef& object, const std::string& workspace_id, std::string_view id,
                    const Values& values) {
  if (values.empty()) return;
  std::string sets;
  store::Params params{{"ws", workspace_id}, {"id", std::string(id)}};
  int i = 0;
  for (const auto& [column, value] : values) {
    std::string name = "v" + std::to_string(i++);
    sets += (sets.empty() ? "" : ", ") + column + " = :" + name;
    params.emplace_back(name, value);
  }
  tx.exec("UPDATE " + object.spec.table + " SET " + sets + " WHERE workspace_id = :ws AND id = :id", params);
}

void add_event(Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view record_id, std::string_view kind,
               std::string_view field, const SqlValue& old_value, const SqlValue& new_value) {
  auto opt = [](const SqlValue& v) -> SqlValue {
    if (std::holds_alternative<std::nullptr_t>(v)) return nullptr;
    return text_of(v);
  };
  tx.exec(kInsertEvent, {{"ws", actor.workspace_id},
                         {"id", timeline_event_id()},
                         {"object", object.name},
                         {"record", std::string(record_id)},
                         {"kind", std::string(kind)},
                         {"field", field.empty() ? SqlValue(nullptr) : SqlValue(std::string(field))},
                         {"old", opt(old_value)},
                         {"new", opt(new_value)},
                         {"actor", actor.user_id.empty() ? SqlValue(nullptr) : SqlValue(actor.user_id)},
                         {"label", actor.label},
                         {"at", store::now_timestamp()}});
}

}  // namespace detail

using namespace detail;

namespace {

bool mentions_field(const store::FilterNode& node, std::string_view name) {
  if (node.kind == store::FilterNode::Kind::Condition) return node.condition.field && node.condition.field->name == name;
  return std::any_of(node.children.begin(), node.children.end(),
                     [&](const store::FilterNode& c) { return mentions_field(c, name); });
}

store::Params named(const std::vector<SqlValue>& values, int first) {
  store::Params out;
  for (size_t i = 0; i < values.size(); ++i) out.emplace_back("p" + std::to_string(first + static_cast<int>(i)), values[i]);
  return out;
}

}  // namespace

Records::Records(std::shared_ptr<store::Database> db) : db_(std::move(db)) {}

void Records::add_timeline_entry(Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id,
                                 std::string_view kind, std::string_view detail) {
  detail::add_event(tx, actor, object, id, kind, {}, nullptr, SqlValue(std::string(detail)));
}

json Records::before_image(Tx& tx, const Actor& actor, const ObjectDef& object, RecordChange change,
                           std::string_view id) {
  if (!observer_ || change == RecordChange::Created || !observer_->watches(actor.workspace_id, object, change))
    return nullptr;
  auto before = load_json(tx, object, actor.workspace_id, id, true);
  return before ? *before : json(nullptr);
}

void Records::notify(Tx& tx, const Actor& actor, const ObjectDef& object, RecordChange change, const json& before,
                     std::string_view id) {
  if (!observer_ || !observer_->watches(actor.workspace_id, object, change)) return;
  auto after = load_json(tx, object, actor.workspace_id, id, true);
  if (!after) return;
  if (change == RecordChange::Updated && before == *after) return;  // nothing changed
  observer_->on_change(tx, actor, object, change, before, *after);
}

namespace {

// The two statements of a list page: the page itself (limit + 1 rows, to learn whether
// another follows) and its count, capped one past kExactCountLimit: an index range of ten
// thousand entries is a millisecond, where counting every match of a broad filter over a
// million rows is not.
struct ListStatements {
  std::string page, count;
  store::Params page_params, count_params;
};

ListStatements list_statements(const Actor& actor, const ObjectDef& object, const store::ListQuery& query,
                               store::Dialect dialect) {
  // Soft-deleted records are hidden unless the filter asks about deletedAt (Twenty's rule).
  bool with_deleted = query.filter && mentions_field(*query.filter, "deletedAt");
  std::string scope = " WHERE workspace_id = :ws" + std::string(with_deleted ? "" : " AND deleted_at IS NULL");
  ListStatements out;
  store::SqlFragment where = store::compile_where(query, dialect);
  out.page_params = named(where.params, 1);
  out.page_params.emplace_back("ws", actor.workspace_id);
  out.page_params.emplace_back("lim", std::int64_t{query.limit + 1});
  out.page = select_columns(object) + scope + " AND (" + where.sql + ") " + store::compile_order_by(query, dialect) +
             " LIMIT :lim";

  std::string filter_sql = "1=1";
  out.count_params = {{"ws", actor.workspace_id}};
  if (query.filter) {
    auto f = store::compile_filter(*query.filter, dialect);
    filter_sql = f.sql;
    auto p = named(f.params, 1);
    out.count_params.insert(out.count_params.end(), p.begin(), p.end());
  }
  out.count_params.emplace_back("cap", kExactCountLimit + 1);
  out.count = "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM " + object.spec.table + scope + " AND (" + filter_sql +
              ") LIMIT :cap) capped";
  return out;
}

}  // namespace

Result<Page> Records::list(const Actor& actor, const ObjectDef& object, const store::ListQuery& query) {
  // The page and its totalCount in one read transaction, which is one snapshot, so that
  // they agree while records are created or deleted beside them.
  return db_->read<Page>([&](Tx& tx) -> Result<Page> {
    const ListStatements sql = list_statements(actor, object, query, tx.dialect());
    Rows rows = tx.query(sql.page, sql.page_params);

    Page page;
    bool more = rows.size() > static_cast<size_t>(query.limit);
    if (more) rows.rows.resize(static_cast<size_t>(query.limit));
    if (store::rows_come_reversed(query)) std::reverse(rows.rows.begin(), rows.rows.end());
    if (query.before) {
      page.has_previous_page = more;
      page.has_next_page = true;
    } else {
      page.has_next_page = more;
      page.has_previous_page = query.after.has_value();
    }

    std::vector<std::string> ids;
    for (size_t i = 0; i < rows.size(); ++i) {
      page.records.push_back(to_json(object, rows, i));
      ids.push_back(page.records.back()["id"].get<std::string>());
    }
    if (object.has_line_items) {
      auto lines = load_lines(tx, actor.workspace_id, ids);
      for (auto& r : page.records) r["lineItems"] = lines[r["id"].get<std::string>()];
    }
    auto cursor_of = [&](size_t i) {
      std::vector<SqlValue> key;
      for (const auto& k : query.order) key.push_back(rows.rows[i][static_cast<size_t>(rows.column(k.field->column))]);
      return store::encode_cursor(query, key);
    };
    if (!rows.empty()) {
      // rows.columns is only filled when a row came back; the select lists catalog columns.
      page.start_cursor = cursor_of(0);
      page.end_cursor = cursor_of(rows.size() - 1);
    }

    Rows count = tx.query(sql.count, sql.count_params);
    std::int64_t n = RowView(count, 0).integer("n");
    page.total_count_exact = n <= kExactCountLimit;
    page.total_count = std::min(n, kExactCountLimit);
    return page;
  });
}

Result<std::vector<std::string>> Records::explain_list(const Actor& actor, const ObjectDef& object,
                                                       const store::ListQuery& query) {
  return db_->read<std::vector<std::string>>([&](Tx& tx) -> Result<std::vector<std::string>> {
    const ListStatements sql = list_statements(actor, object, query, tx.dialect());
    const bool sqlite = tx.dialect() == store::Dialect::Sqlite;
    std::vector<std::string> lines;
    auto explain = [&](const std::string& title, const std::string& statement, const store::Params& params) {
      lines.push_back(title);
      Rows plan = tx.query((sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN ") + statement, params);
      // SQLite: (id, parent, notused, detail), indented by depth; PostgreSQL: one text column.
      std::map<std::int64_t, int> depth;
      for (size_t i = 0; i < plan.size(); ++i) {
        RowView row(plan, i);
        if (!sqlite) {
          lines.push_back("  " + row.text(plan.columns.front()));
          continue;
        }
        int d = depth.count(row.integer("parent")) ? depth[row.integer("parent")] + 1 : 0;
        depth[row.integer("id")] = d;
        lines.push_back(std::string(static_cast<size_t>(2 + 2 * d), ' ') + row.text("detail"));
      }
    };
    explain("page:", sql.page, sql.page_params);
    explain("count:", sql.count, sql.count_params);
    return lines;
  });
}

Result<json> Records::get(const Actor& actor, const ObjectDef& object, std::string_view id) {
  return db_->read<json>([&](Tx& tx) { return load_json(tx, object, actor.workspace_id, id); });
}

Result<json> Records::get(Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id) {
  return load_json(tx, object, actor.workspace_id, id);
}

Result<json> Records::timeline(const Actor& actor, const ObjectDef& object, std::string_view id) {
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    if (!load(tx, object, actor.workspace_id, id, true)) return fail(Error::not_found(object.singular));
    Rows rows = tx.query(
        "SELECT id, kind, field, old_value, new_value, actor_id, actor_label, created_at FROM timeline_events "
        "WHERE workspace_id = :ws AND record_object = :object AND record_id = :id ORDER BY id",
        {{"ws", actor.workspace_id}, {"object", object.name}, {"id", std::string(id)}});
    json out = json::array();
    for (size_t i = 0; i < rows.size(); ++i) {
      RowView r(rows, i);
      auto opt = [&](std::string_view c) { return r.is_null(c) ? json(nullptr) : json(r.text(c)); };
      out.push_back({{"id", r.text("id")},
                     {"kind", r.text("kind")},
                     {"field", opt("field")},
                     {"oldValue", opt("old_value")},
                     {"newValue", opt("new_value")},
                     {"actorId", opt("actor_id")},
                     {"actorLabel", r.text("actor_label")},
                     {"createdAt", r.text("created_at")}});
    }
    return out;
  });
}

Result<json> Records::remove(const Actor& actor, const ObjectDef& object, std::string_view id) {
  return db_->write<json>([&](Tx& tx) -> Result<json> { return remove(tx, actor, object, id); });
}

Result<json> Records::remove(Tx& tx, const Actor& actor, const ObjectDef& object, std::string_view id) {
  {
    auto rows = load_for_update(tx, object, actor.workspace_id, id);
    if (!rows) return fail(Error::not_found(object.singular));
    RowView r(*rows, 0);
    // Financial documents in the books stay: void or cancel them instead.
    if (object.kind == DocumentKind::Invoice)
      if (auto st = billing::check_invoice_deletable(detail::invoice_amounts(r).status, !r.is_null("invoice_number"));
          !st)
        return fail(st.error());
    if (object.kind == DocumentKind::Quote)
      if (auto st = billing::check_quote_deletable(billing::parse_quote_status(r.text("status")).value(),
                                                   !r.is_null("order_id"));
          !st)
        return fail(st.error());
    if (object.kind == DocumentKind::Payment)
      return fail(Error::conflict("payments cannot be deleted; record a refund instead"));
    if (object.kind == DocumentKind::Order && !r.is_null("invoice_id"))
      return fail(Error::conflict("an invoiced order cannot be deleted", "invoiceId"));
    json before = before_image(tx, actor, object, RecordChange::Deleted, id);
    std::string now = store::now_timestamp();
    update_columns(tx, object, actor.workspace_id, id, {{"deleted_at", now}, {"updated_at", now}});
    if (object.kind == DocumentKind::Invoice && !r.is_null("order_id")) {
      // Deleting the draft frees its order to be invoiced again.
      tx.exec("UPDATE orders SET invoice_id = NULL WHERE workspace_id = :ws AND id = :id",
              {{"ws", actor.workspace_id}, {"id", r.text("order_id")}});
      // The draft held the order's unique slot; move it aside so a new draft can take it.
      tx.exec("UPDATE invoices SET order_id = NULL WHERE workspace_id = :ws AND id = :id",
              {{"ws", actor.workspace_id}, {"id", std::string(id)}});
    }
    add_event(tx, actor, object, id, "deleted");
    notify(tx, actor, object, RecordChange::Deleted, before, id);
    return load_json(tx, object, actor.workspace_id, id, true);
  }
}

Result<json> Records::restore(const Actor& actor, const ObjectDef& object, std::string_view id) {
  return db_->write<json>([&](Tx& tx) -> Result<json> {
    auto rows = load_for_update(tx, object, actor.workspace_id, id, true);
    if (!rows) return fail(Error::not_found(object.singular));
    if (RowView(*rows, 0).is_null("deleted_at")) return load_json(tx, object, actor.workspace_id, id);
    update_columns(tx, object, actor.workspace_id, id, {{"deleted_at", nullptr}, {"updated_at", store::now_timestamp()}});
    add_event(tx, actor, object, id, "restored");
    notify(tx, actor, object, RecordChange::Created, nullptr, id);  // back among the live records
    return load_json(tx, object, actor.workspace_id, id);
  });
}

}  // namespace settle::crm
