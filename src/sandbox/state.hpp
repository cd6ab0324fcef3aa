// Everything the sandbox remembers: one Account per API key (each sk_test_/rk_test_ key
// is an account of its own), holding Stripe objects as the JSON Stripe would return,
// their creation order per object type (for lists), sandbox-private facts that are no
// part of a Stripe object (e.g. how a test card behaves, an endpoint's secret), and
// idempotency records. Plus the sandbox clock: wall time shifted by an offset that the
// control API advances. Not thread-safe: the Sandbox guards one State with one mutex.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace settle::sandbox {

using nlohmann::json;

// The first answer to a request made with an Idempotency-Key, replayed for retries.
struct IdempotencyRecord {
  std::string fingerprint;  // method, path and body of the first request
  int status = 200;
  std::string body;
  std::string request_id;
  std::int64_t created = 0;
};

struct Account {
  std::string key;
  std::string api_version;  // the Stripe-Version of the account's latest request; stamped on events
  std::map<std::string, json> objects;                   // by id
  std::map<std::string, std::vector<std::string>> order;  // object type -> ids, oldest first
  std::map<std::string, json> internal;                  // object id -> sandbox-private facts
  std::map<std::string, IdempotencyRecord> idempotency;  // by Idempotency-Key

  // Stores a new object (it must carry "id" and "object") and returns the stored copy.
  json& insert(json object);
  json* find(const std::string& id);
  // Only an object of that type ("customer", "invoice", ...).
  json* find(const std::string& id, std::string_view type);
  // Like find, but refuses a missing object with Stripe's "No such <kind>: 'id'".
  json& get(const std::string& id, std::string_view type, const std::string& kind, const std::string& param = "id");
  void erase(const std::string& id);
  std::vector<std::string> newest_first(const std::string& type) const;
  // Private facts about an object, created empty on first use.
  json& facts(const std::string& id);
};

class State {
 public:
  // Unix seconds on the sandbox clock.
  std::int64_t now() const;
  std::int64_t clock_offset() const { return clock_offset_; }
  void advance_clock(std::int64_t seconds) { clock_offset_ += seconds; }

  // The account of an API key, created on first use.
  Account& account(const std::string& key);
  // The account holding an object (hosted pages know an id, not a key), or nullptr.
  Account* account_owning(const std::string& object_id);
  std::map<std::string, Account>& accounts() { return accounts_; }

  void clear();
  json to_json() const;
  // Replaces the whole state; throws nlohmann::json::exception on a malformed document.
  void load(const json& document);

 private:
  std::int64_t clock_offset_ = 0;
  std::map<std::string, Account> accounts_;  // by API key
};

// "<prefix>_<random base62>", e.g. new_id("cus", 14) -> "cus_QXg1o8vcGmoR32".
std::string new_id(std::string_view prefix, std::size_t random_chars = 24);
// Random base62 characters, for ids, secrets and invoice prefixes.
std::string random_token(std::size_t length, std::string_view alphabet = {});

}  // namespace settle::sandbox
