// Stripe settings of a workspace (ADMIN only): the secret and publishable API keys, the
// webhook signing secrets (several during a rotation) and the mode (test or live), and
// the registration of Settle's webhook endpoint with Stripe.
//
// Secrets are stored sealed with a SecretBox under the server's master key, each bound to
// its workspace and column by associated data, and are shown only masked (last 4
// characters). No key or secret ever goes into a log line or an error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "common/error.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"
#include "stripe/client.hpp"

namespace settle::crm {

// At most this many webhook signing secrets are active at once (old and new during a
// rotation, one per registered endpoint).
inline constexpr size_t kMaxWebhookSecrets = 5;

struct StripeSettingsOptions {
  // Stripe's API base (SETTLE_STRIPE_API_BASE; the sandbox in development and tests).
  std::string api_base = "https://api.stripe.com";
  // Settle's public URL (SETTLE_PUBLIC_URL), for the default webhook endpoint URL.
  std::string public_url;
  // How long one attempt of a Stripe call may take before it is retried.
  long request_timeout_ms = 30000;
  // How long a workspace's webhook secrets, once read, are used from memory by the
  // webhook receive path (webhook_secrets()). A change made through this instance drops
  // them at once; another instance sharing the database sees it within this time.
  std::chrono::milliseconds webhook_secrets_ttl{1000};
};

// The webhook events Settle subscribes its endpoint to.
const std::vector<std::string>& stripe_webhook_events();

class StripeSettings {
 public:
  StripeSettings(std::shared_ptr<store::Database> db, SecretBox box, StripeSettingsOptions options = {});

  // GET /rest/settings/stripe: {mode, secretKey (masked), publishableKey, webhookSecrets
  // (masked), webhookEndpoint {id, url}, configured, updatedAt}.
  Result<nlohmann::json> get(const Actor& actor);
  // PUT /rest/settings/stripe: a partial update (omitted fields stay); answers as get().
  Result<nlohmann::json> put(const Actor& actor, const nlohmann::json& body);
  // POST /rest/stripe/webhook-endpoint: registers the endpoint with Stripe, keeps its
  // signing secret (never answered) and answers {id, url, enabledEvents, livemode}.
  Result<nlohmann::json> register_webhook_endpoint(const Actor& actor, const nlohmann::json& body);

  // The active webhook signing secrets of a workspace (empty when none are configured).
  // Every webhook delivery asks for them: they are kept unsealed in memory for
  // options().webhook_secrets_ttl (see there).
  Result<std::vector<std::string>> webhook_secrets(const std::string& workspace_id);
  // The workspace a webhook URL's subdomain names, nullopt for an unknown one. Known
  // subdomains are remembered: a workspace's subdomain never changes.
  Result<std::optional<std::string>> workspace_for_subdomain(const std::string& subdomain);
  // The one workspace that has webhook secrets, if exactly one does.
  Result<std::optional<std::string>> only_workspace_with_webhook_secrets();

  // A client for the workspace's Stripe account, or nullopt when it has no secret key
  // (the workspace then works without Stripe).
  Result<std::optional<stripe::Client>> client(const std::string& workspace_id);
  // The workspaces that have a secret key, for the jobs that visit each of them.
  Result<std::vector<std::string>> connected_workspaces();
  const StripeSettingsOptions& options() const { return options_; }

 private:
  // Drops the remembered webhook secrets and client of a workspace (after its settings changed).
  void forget_webhook_secrets(const std::string& workspace_id);

  std::shared_ptr<store::Database> db_;
  SecretBox box_;
  StripeSettingsOptions options_;

  struct CachedSecrets {
    std::vector<std::string> secrets;
    std::chrono::steady_clock::time_point read_at;
  };
  struct CachedClient {
    std::optional<stripe::Client> client;
    std::chrono::steady_clock::time_point read_at;
  };
  std::mutex cache_mutex_;  // guards the four members below
  std::unordered_map<std::string, CachedSecrets> webhook_secrets_cache_;
  // The workspace's Stripe client (secret key unsealed), for the same TTL: the inbox
  // processor asks for it once per event.
  std::unordered_map<std::string, CachedClient> client_cache_;
  std::unordered_map<std::string, std::string> workspace_by_subdomain_;
  // Bumped by every forget: a read that began before it is not remembered.
  std::uint64_t cache_generation_ = 0;
};

// The master key for secrets at rest: `env_value` (SETTLE_MASTER_KEY, base64url as
// generate_master_key() makes it) when not empty, else the key file at `key_file`,
// created with mode 0600 (and its directory) holding a fresh key when it does not exist.
Result<SecretBox> load_master_key(const std::string& env_value, const std::filesystem::path& key_file);

// Pure checks, exposed for tests.
bool is_valid_publishable_key(std::string_view key);     // pk_test_ / pk_live_ + 10..247 of [A-Za-z0-9]
bool is_valid_webhook_secret(std::string_view secret);   // whsec_ + 10..249 of [A-Za-z0-9_-]
std::string mask_webhook_secret(std::string_view secret);  // "whsec_…1234"

}  // namespace settle::crm
