#include "crm/stripe_settings.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "stripe/stripe.hpp"

namespace settle::crm {

using nlohmann::json;
using store::Rows;
using store::RowView;
using store::SqlValue;
using store::Tx;

namespace {

constexpr const char* kSelectSettings =
    "SELECT mode, secret_key_sealed, secret_key_masked, publishable_key, webhook_secrets_sealed, "
    "webhook_secret_count, webhook_endpoint_id, webhook_endpoint_url, updated_at, updated_by "
    "FROM stripe_settings WHERE workspace_id = :ws";
constexpr const char* kUpsertSettings =
    "INSERT INTO stripe_settings (workspace_id, mode, secret_key_sealed, secret_key_masked, publishable_key, "
    "webhook_secrets_sealed, webhook_secret_count, webhook_endpoint_id, webhook_endpoint_url, updated_at, updated_by) "
    "VALUES (:ws, :mode, :sk, :skmask, :pk, :whs, :whcount, :epid, :epurl, :at, :by) "
    "ON CONFLICT (workspace_id) DO UPDATE SET mode = excluded.mode, secret_key_sealed = excluded.secret_key_sealed, "
    "secret_key_masked = excluded.secret_key_masked, publishable_key = excluded.publishable_key, "
    "webhook_secrets_sealed = excluded.webhook_secrets_sealed, webhook_secret_count = excluded.webhook_secret_count, "
    "webhook_endpoint_id = excluded.webhook_endpoint_id, webhook_endpoint_url = excluded.webhook_endpoint_url, "
    "updated_at = excluded.updated_at, updated_by = excluded.updated_by";
constexpr const char* kConnectedWorkspaces =
    "SELECT workspace_id FROM stripe_settings WHERE secret_key_sealed IS NOT NULL ORDER BY workspace_id";
constexpr const char* kSelectSubdomain = "SELECT subdomain FROM workspaces WHERE id = :ws";
constexpr const char* kSelectWorkspaceBySubdomain = "SELECT id FROM workspaces WHERE subdomain = :sub";
constexpr const char* kSelectWebhookSecrets =
    "SELECT webhook_secrets_sealed FROM stripe_settings WHERE workspace_id = :ws";
constexpr const char* kWorkspacesWithWebhookSecrets =
    "SELECT workspace_id FROM stripe_settings WHERE webhook_secret_count > 0 ORDER BY workspace_id LIMIT 2";

// The associated data binding a sealed value to its workspace and column.
std::string secret_key_ad(const std::string& ws) { return "workspace:" + ws + ":stripe_secret_key"; }
std::string webhook_secrets_ad(const std::string& ws) { return "workspace:" + ws + ":stripe_webhook_secrets"; }

bool all_of_class(std::string_view s, bool allow_dash_underscore) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (allow_dash_underscore && (c == '-' || c == '_'));
  });
}

// A workspace's settings as stored, with the secrets opened.
struct Stored {
  std::string mode = "test";
  std::optional<std::string> secret_key;
  std::string secret_key_masked;
  std::optional<std::string> publishable_key;
  std::vector<std::string> webhook_secrets;
  std::optional<std::string> endpoint_id, endpoint_url;
  std::string updated_at, updated_by;
};

}  // namespace

const std::vector<std::string>& stripe_webhook_events() {
  static const std::vector<std::string> kEvents = {
      "quote.created",          "quote.finalized",
      "quote.accepted",         "quote.canceled",
      "quote.will_expire",      "invoice.created",
      "invoice.finalized",      "invoice.sent",
      "invoice.updated",        "invoice.paid",
      "invoice.payment_failed", "invoice.payment_succeeded",
      "invoice.voided",         "invoice.marked_uncollectible",
      "invoice.overdue",        "invoice.deleted",
      "invoice_payment.paid",   "payment_intent.succeeded",
      "payment_intent.payment_failed", "charge.succeeded",
      "charge.refunded",        "refund.created",
  };
  return kEvents;
}

bool is_valid_publishable_key(std::string_view key) {
  if (key.size() > 255) return false;
  for (std::string_view prefix : {"pk_test_", "pk_live_"})
    if (key.substr(0, prefix.size()) == prefix) {
      auto rest = key.substr(prefix.size());
      return rest.size() >= 10 && all_of_class(rest, false);
    }
  return false;
}

bool is_valid_webhook_secret(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.size() > 255 || secret.substr(0, kPrefix.size()) != kPrefix) return false;
  auto rest = secret.substr(kPrefix.size());
  return rest.size() >= 10 && all_of_class(rest, true);
}

std::string mask_webhook_secret(std::string_view secret) {
  // Valid secrets have at least 10 characters after the prefix, so 4 of them say little.
  return "whsec_\u2026" + std::string(secret.size() >= 16 ? secret.substr(secret.size() - 4) : "");
}

Result<SecretBox> load_master_key(const std::string& env_value, const std::filesystem::path& key_file) {
  namespace fs = std::filesystem;
  if (!env_value.empty()) {
    auto box = SecretBox::from_base64url_key(env_value);
    if (!box) return fail(Error::validation("SETTLE_MASTER_KEY", "SETTLE_MASTER_KEY is not a base64url 32-byte key"));
    return box;
  }
  std::error_code ec;
  if (!fs::exists(key_file, ec)) {
    if (key_file.has_parent_path()) fs::create_directories(key_file.parent_path(), ec);
    // O_EXCL through "x": two instances starting at once cannot both write a key.
    mode_t old = ::umask(0077);
    std::FILE* f = std::fopen(key_file.c_str(), "wx");
    ::umask(old);
    if (f) {
      std::string key = generate_master_key();
      bool ok = std::fputs((key + "\n").c_str(), f) >= 0;
      ok = std::fclose(f) == 0 && ok;
      ::chmod(key_file.c_str(), 0600);
      if (!ok) return fail(Error::internal("cannot write the master key file " + key_file.string()));
      spdlog::info("created a new master key file {} (keep it: secrets stored under it cannot be read without it)",
                   key_file.string());
    }
  }
  std::ifstream in(key_file);
  if (!in) return fail(Error::internal("cannot read the master key file " + key_file.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  auto box = SecretBox::from_base64url_key(ss.str());
  if (!box) return fail(Error::internal("the master key file " + key_file.string() + " does not hold a valid key"));
  return box;
}

StripeSettings::StripeSettings(std::shared_ptr<store::Database> db, SecretBox box, StripeSettingsOptions options)
    : db_(std::move(db)), box_(std::move(box)), options_(std::move(options)) {}

namespace {

Result<std::optional<Stored>> load(Tx& tx, const SecretBox& box, const std::string& ws) {
  auto row = tx.query_one(kSelectSettings, {{"ws", ws}});
  if (!row) return std::optional<Stored>();
  RowView r(*row, 0);
  Stored s;
  s.mode = r.text("mode");
  if (auto sealed = r.opt_text("secret_key_sealed")) {
    auto key = box.open(*sealed, secret_key_ad(ws));
    if (!key) return fail(key.error());
    s.secret_key = *key;
  }
  s.secret_key_masked = r.text("secret_key_masked");
  s.publishable_key = r.opt_text("publishable_key");
  if (auto sealed = r.opt_text("webhook_secrets_sealed")) {
    auto text = box.open(*sealed, webhook_secrets_ad(ws));
    if (!text) return fail(text.error());
    auto arr = json::parse(*text, nullptr, false);
    if (!arr.is_array()) return fail(Error::internal("stripe_settings.webhook_secrets_sealed is not a JSON array"));
    for (const auto& v : arr) s.webhook_secrets.push_back(v.get<std::string>());
  }
  s.endpoint_id = r.opt_text("webhook_endpoint_id");
  s.endpoint_url = r.opt_text("webhook_endpoint_url");
  s.updated_at = r.text("updated_at");
  s.updated_by = r.text("updated_by");
  return std::optional<Stored>(std::move(s));
}

void save(Tx& tx, const SecretBox& box, const std::string& ws, const Stored& s, const std::string& by) {
  auto opt = [](const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); };
  tx.exec(kUpsertSettings,
          {{"ws", ws},
           {"mode", s.mode},
           {"sk", s.secret_key ? SqlValue(box.seal(*s.secret_key, secret_key_ad(ws))) : SqlValue(nullptr)},
           {"skmask", s.secret_key ? SqlValue(stripe::mask_key(*s.secret_key)) : SqlValue(nullptr)},
           {"pk", opt(s.publishable_key)},
           {"whs", s.webhook_secrets.empty() ? SqlValue(nullptr)
                                             : SqlValue(box.seal(json(s.webhook_secrets).dump(), webhook_secrets_ad(ws)))},
           {"whcount", static_cast<std::int64_t>(s.webhook_secrets.size())},
           {"epid", opt(s.endpoint_id)},
           {"epurl", opt(s.endpoint_url)},
           {"at", store::now_timestamp()},
           {"by", by}});
}

json render(const std::optional<Stored>& s) {
  if (!s)
    return {{"configured", false}, {"mode", "test"}, {"secretKey", nullptr}, {"publishableKey", nullptr},
            {"webhookSecrets", json::array()}, {"webhookEndpoint", nullptr}, {"updatedAt", nullptr}};
  json secrets = json::array();
  for (const auto& w : s->webhook_secrets) secrets.push_back(mask_webhook_secret(w));
  return {{"configured", s->secret_key.has_value()},
          {"mode", s->mode},
          {"secretKey", s->secret_key ? json(s->secret_key_masked) : json(nullptr)},
          {"publishableKey", s->publishable_key ? json(*s->publishable_key) : json(nullptr)},
          {"webhookSecrets", secrets},
          {"webhookEndpoint", s->endpoint_id ? json{{"id", *s->endpoint_id}, {"url", s->endpoint_url.value_or("")}}
                                             : json(nullptr)},
          {"updatedAt", s->updated_at}};
}

// The mode a key's prefix names ("test" or "live").
std::string_view mode_of_publishable(std::string_view pk) { return pk.substr(3, 4); }

// Checks the whole settings after an update: every key must belong to the mode.
Status check_consistent(const Stored& s) {
  if (s.secret_key) {
    auto m = stripe::key_mode(*s.secret_key);
    if (stripe::to_string(m) != s.mode)
      return fail(Error::validation("secretKey", s.mode == "test"
                                                     ? "a test-mode workspace needs a test secret key (sk_test_...)"
                                                     : "a live-mode workspace needs a live secret key (sk_live_...)"));
  }
  if (s.publishable_key && mode_of_publishable(*s.publishable_key) != s.mode)
    return fail(Error::validation("publishableKey", s.mode == "test"
                                                        ? "a test-mode workspace needs a pk_test_ publishable key"
                                                        : "a live-mode workspace needs a pk_live_ publishable key"));
  return {};
}

std::string actor_id(const Actor& a) { return a.user_id.empty() ? a.label : a.user_id; }

}  // namespace

Result<json> StripeSettings::get(const Actor& actor) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  return db_->read<json>([&](Tx& tx) -> Result<json> {
    auto s = load(tx, box_, actor.workspace_id);
    if (!s) return fail(s.error());
    return render(*s);
  });
}

Result<json> StripeSettings::put(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_object()) return fail(Error::bad_request("the body must be a JSON object"));
  static const std::vector<std::string> kFields = {"mode", "secretKey", "publishableKey", "webhookSecrets"};
  for (const auto& [k, _] : body.items())
    if (std::find(kFields.begin(), kFields.end(), k) == kFields.end())
      return fail(Error::validation(k, "unknown field '" + k + "'"));

  // Parse and check the fields given, before any storage.
  std::optional<std::string> mode, secret_key, publishable_key;
  std::optional<std::vector<std::string>> webhook_secrets;
  if (body.contains("mode")) {
    const auto& v = body["mode"];
    if (!v.is_string() || (v != "test" && v != "live"))
      return fail(Error::validation("mode", "mode must be \"test\" or \"live\""));
    mode = v.get<std::string>();
  }
  if (body.contains("secretKey")) {
    const auto& v = body["secretKey"];
    if (!v.is_string()) return fail(Error::validation("secretKey", "secretKey must be a string"));
    if (auto st = stripe::validate_api_key(v.get_ref<const std::string&>(), "secretKey"); !st) return fail(st.error());
    secret_key = v.get<std::string>();
  }
  if (body.contains("publishableKey")) {
    const auto& v = body["publishableKey"];
    if (!v.is_string() || !is_valid_publishable_key(v.get_ref<const std::string&>()))
      return fail(Error::validation("publishableKey", "publishableKey must be a Stripe publishable key (pk_test_... or pk_live_...)"));
    publishable_key = v.get<std::string>();
  }
  if (body.contains("webhookSecrets")) {
    const auto& v = body["webhookSecrets"];
    if (!v.is_array()) return fail(Error::validation("webhookSecrets", "webhookSecrets must be an array of whsec_... secrets"));
    if (v.size() > kMaxWebhookSecrets)
      return fail(Error::validation("webhookSecrets",
                                    "at most " + std::to_string(kMaxWebhookSecrets) + " webhook secrets can be active"));
    std::vector<std::string> list;
    for (const auto& e : v) {
      if (!e.is_string() || !is_valid_webhook_secret(e.get_ref<const std::string&>()))
        return fail(Error::validation("webhookSecrets", "every webhook secret must be a Stripe signing secret (whsec_...)"));
      if (std::find(list.begin(), list.end(), e.get<std::string>()) == list.end()) list.push_back(e.get<std::string>());
    }
    webhook_secrets = std::move(list);
  }

  auto saved = db_->write<json>([&](Tx& tx) -> Result<json> {
    auto current = load(tx, box_, actor.workspace_id);
    if (!current) return fail(current.error());
    Stored s = current->value_or(Stored{});
    if (mode) s.mode = *mode;
    if (secret_key) s.secret_key = *secret_key;
    if (publishable_key) s.publishable_key = *publishable_key;
    if (webhook_secrets) s.webhook_secrets = *webhook_secrets;
    if (auto st = check_consistent(s); !st) return fail(st.error());
    save(tx, box_, actor.workspace_id, s, actor_id(actor));
    std::string changed;  // field names only, never values
    for (const auto& [k, _] : body.items()) changed += (changed.empty() ? "" : ", ") + k;
    spdlog::info("stripe settings of workspace {} updated by {} ({})", actor.workspace_id, actor.label, changed);
    auto saved = load(tx, box_, actor.workspace_id);
    if (!saved) return fail(saved.error());
    return render(*saved);
  });
  // After the commit, so that the receive path cannot remember the secrets from before it.
  forget_webhook_secrets(actor.workspace_id);
  return saved;
}

Result<std::vector<std::string>> StripeSettings::webhook_secrets(const std::string& workspace_id) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = webhook_secrets_cache_.find(workspace_id);
    if (it != webhook_secrets_cache_.end() && now - it->second.read_at < options_.webhook_secrets_ttl)
      return it->second.secrets;
    generation = cache_generation_;
  }
  auto secrets = db_->read<std::vector<std::string>>([&](Tx& tx) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    auto row = tx.query_one(kSelectWebhookSecrets, {{"ws", workspace_id}});
    if (!row) return out;
    auto sealed = RowView(*row, 0).opt_text("webhook_secrets_sealed");
    if (!sealed) return out;
    auto text = box_.open(*sealed, webhook_secrets_ad(workspace_id));
    if (!text) return fail(text.error());
    auto arr = json::parse(*text, nullptr, false);
    if (!arr.is_array()) return fail(Error::internal("stripe_settings.webhook_secrets_sealed is not a JSON array"));
    for (const auto& v : arr) out.push_back(v.get<std::string>());
    return out;
  });
  if (!secrets) return secrets;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (generation == cache_generation_) webhook_secrets_cache_[workspace_id] = CachedSecrets{*secrets, now};
  return secrets;
}

void StripeSettings::forget_webhook_secrets(const std::string& workspace_id) {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  ++cache_generation_;
  webhook_secrets_cache_.erase(workspace_id);
  client_cache_.erase(workspace_id);
}

Result<std::optional<std::string>> StripeSettings::workspace_for_subdomain(const std::string& subdomain) {
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = workspace_by_subdomain_.find(subdomain);
    if (it != workspace_by_subdomain_.end()) return std::optional<std::string>(it->second);
  }
  auto found = db_->read<std::optional<std::string>>([&](Tx& tx) -> Result<std::optional<std::string>> {
    auto row = tx.query_one(kSelectWorkspaceBySubdomain, {{"sub", subdomain}});
    return row ? std::optional<std::string>(RowView(*row, 0).text("id")) : std::nullopt;
  });
  // Only subdomains that exist are remembered, so unknown ones cannot fill the memory.
  if (found && *found) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    workspace_by_subdomain_.emplace(subdomain, **found);
  }
  return found;
}

Result<std::optional<std::string>> StripeSettings::only_workspace_with_webhook_secrets() {
  return db_->read<std::optional<std::string>>([&](Tx& tx) -> Result<std::optional<std::string>> {
    Rows rows = tx.query(kWorkspacesWithWebhookSecrets);
    if (rows.size() != 1) return std::optional<std::string>();
    return std::optional<std::string>(RowView(rows, 0).text("workspace_id"));
  });
}

Result<std::optional<stripe::Client>> StripeSettings::client(const std::string& workspace_id) {
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = client_cache_.find(workspace_id);
    if (it != client_cache_.end() && now - it->second.read_at < options_.webhook_secrets_ttl) return it->second.client;
    generation = cache_generation_;
  }
  auto stored = db_->read<std::optional<Stored>>([&](Tx& tx) { return load(tx, box_, workspace_id); });
  if (!stored) return fail(stored.error());
  std::optional<stripe::Client> client;
  if (*stored && (*stored)->secret_key) {
    stripe::ClientConfig config;
    config.api_key = *(*stored)->secret_key;
    config.api_base = options_.api_base;
    config.timeout_ms = options_.request_timeout_ms;
    auto made = stripe::Client::create(config);
    if (!made) return fail(made.error());
    client = std::move(*made);
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  if (generation == cache_generation_) client_cache_[workspace_id] = CachedClient{client, now};
  return client;
}

Result<std::vector<std::string>> StripeSettings::connected_workspaces() {
  return db_->read<std::vector<std::string>>([&](Tx& tx) -> Result<std::vector<std::string>> {
    Rows rows = tx.query(kConnectedWorkspaces);
    std::vector<std::string> out;
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(RowView(rows, i).text("workspace_id"));
    return out;
  });
}

Result<json> StripeSettings::register_webhook_endpoint(const Actor& actor, const json& body) {
  if (auto st = require_admin(actor); !st) return fail(st.error());
  if (!body.is_null() && !body.is_object()) return fail(Error::bad_request("the body must be a JSON object"));
  struct Current {
    std::optional<Stored> settings;
    std::string subdomain;
  };
  auto current = db_->read<Current>([&](Tx& tx) -> Result<Current> {
    auto s = load(tx, box_, actor.workspace_id);
    if (!s) return fail(s.error());
    auto sub = tx.query_one(kSelectSubdomain, {{"ws", actor.workspace_id}});
    if (!sub) return fail(Error::not_found("workspace"));
    return Current{std::move(*s), RowView(*sub, 0).text("subdomain")};
  });
  if (!current) return fail(current.error());
  if (!current->settings || !current->settings->secret_key)
    return fail(Error::validation("secretKey", "set the workspace's Stripe secret key first (PUT /rest/settings/stripe)"));
  const Stored& s = *current->settings;

  std::string url;
  if (body.is_object() && body.contains("url")) {
    if (!body["url"].is_string()) return fail(Error::validation("url", "url must be a string"));
    url = body["url"].get<std::string>();
  } else {
    if (options_.public_url.empty())
      return fail(Error::validation("url", "give url, or set SETTLE_PUBLIC_URL on the server for the default"));
    std::string base = options_.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url = base + "/api/webhooks/stripe/" + current->subdomain;
  }
  bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0) return fail(Error::validation("url", "url must be an http(s) URL"));
  if (url.size() > 2048 || url.size() <= 8) return fail(Error::validation("url", "url is not a valid URL"));
  if (!https && s.mode == "live") return fail(Error::validation("url", "a live-mode workspace needs an https:// url"));

  stripe::ClientConfig config;
  config.api_key = *s.secret_key;
  config.api_base = options_.api_base;
  auto client = stripe::Client::create(config);
  if (!client) return fail(client.error());
  stripe::FormParams params = stripe::FormParams::object();
  params["url"] = url;
  params["enabled_events"] = stripe_webhook_events();
  params["api_version"] = std::string(stripe::kApiVersion);
  params["description"] = "Settle workspace " + current->subdomain;
  params["metadata"] = {{"settleWorkspaceId", actor.workspace_id}};
  std::string idempotency_key =
      "settle:" + actor.workspace_id + ":webhook-endpoint:" + sha256_hex(url).substr(0, 16);
  auto endpoint = client->create_webhook_endpoint(idempotency_key, params);
  if (!endpoint) return fail(endpoint.error());
  if (!endpoint->secret || !is_valid_webhook_secret(*endpoint->secret))
    return fail(Error::upstream("Stripe did not return the webhook endpoint's signing secret",
                                "webhook endpoint " + endpoint->id + " answered without a usable secret"));

  // Keep the new secret beside the others (a rotation), dropping the oldest over the limit.
  auto saved = db_->write<json>([&](Tx& tx) -> Result<json> {
    auto latest = load(tx, box_, actor.workspace_id);
    if (!latest) return fail(latest.error());
    Stored t = latest->value_or(s);
    auto& list = t.webhook_secrets;
    if (std::find(list.begin(), list.end(), *endpoint->secret) == list.end()) list.push_back(*endpoint->secret);
    while (list.size() > kMaxWebhookSecrets) list.erase(list.begin());
    t.endpoint_id = endpoint->id;
    t.endpoint_url = endpoint->url;
    save(tx, box_, actor.workspace_id, t, actor_id(actor));
    return json{{"id", endpoint->id},
                {"url", endpoint->url},
                {"enabledEvents", endpoint->enabled_events},
                {"livemode", endpoint->livemode},
                {"status", endpoint->status}};
  });
  forget_webhook_secrets(actor.workspace_id);
  if (saved)
    spdlog::info("stripe webhook endpoint {} registered for workspace {} by {}", endpoint->id, actor.workspace_id,
                 actor.label);
  return saved;
}

}  // namespace settle::crm
