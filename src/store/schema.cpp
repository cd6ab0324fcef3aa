// Versioned migrations. Each migration is a list of statements valid on both SQLite 3.40
// and PostgreSQL 15 (TEXT, BIGINT, INTEGER only; timestamps as canonical ISO text; booleans
// as 0/1; the one dialect difference, NULLS FIRST in an index, is a marker). Every table is keyed by workspace_id first, and references between records are
// composite (workspace_id, id) foreign keys, so a record can never point into another
// workspace and the data can later be distributed by workspace.
// Never edit a released migration: add a new one.
#include <spdlog/spdlog.h>

#include "store/database.hpp"

namespace settle::store {
namespace {

struct Migration {
  int version;
  const char* name;
  std::vector<const char*> statements;
  // Run after `statements`, on that database only: the two differ in their text indexes.
  std::vector<const char*> sqlite_only = {};
  std::vector<const char*> postgres_only = {};
};

// Columns shared by every CRM record table.
#define SETTLE_RECORD_COLUMNS                                                   \
  "workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "    \
  "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT, "       \
  "created_by TEXT, "
#define SETTLE_NULLS_FIRST "\x01NULLS_FIRST\x01"

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       "core",
       {
           "CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, subdomain TEXT NOT NULL UNIQUE, "
           "quote_prefix TEXT NOT NULL DEFAULT 'QUO', order_prefix TEXT NOT NULL DEFAULT 'ORD', "
           "invoice_prefix TEXT NOT NULL DEFAULT 'INV', default_currency TEXT NOT NULL DEFAULT 'USD', "
           "locale TEXT NOT NULL DEFAULT 'en-US', created_at TEXT NOT NULL)",

           "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT, "
           "first_name TEXT NOT NULL DEFAULT '', last_name TEXT NOT NULL DEFAULT '', "
           "email_verified INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)",

           "CREATE TABLE workspace_members (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "user_id TEXT NOT NULL REFERENCES users(id), role TEXT NOT NULL CHECK (role IN ('ADMIN','MEMBER')), "
           "created_at TEXT NOT NULL, PRIMARY KEY (workspace_id, user_id))",
           "CREATE INDEX workspace_members_user ON workspace_members (user_id)",

           "CREATE TABLE api_keys (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE, key_last4 TEXT NOT NULL, role TEXT NOT NULL, "
           "created_by TEXT, expires_at TEXT, revoked_at TEXT, last_used_at TEXT, created_at TEXT NOT NULL, "
           "PRIMARY KEY (workspace_id, id))",

           // A session belongs to a user; workspace_id is the workspace it currently works in
           // (NULL until the user joins one).
           "CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), "
           "workspace_id TEXT REFERENCES workspaces(id), expires_at TEXT NOT NULL, created_at TEXT NOT NULL)",

           "CREATE TABLE email_verifications (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), "
           "expires_at TEXT NOT NULL, created_at TEXT NOT NULL)",

           "CREATE TABLE login_failures (email TEXT NOT NULL, remote TEXT NOT NULL, at TEXT NOT NULL)",
           "CREATE INDEX login_failures_email ON login_failures (email, at)",

           "CREATE TABLE approved_domains (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "domain TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('PENDING','VALIDATED')), "
           "validation_email TEXT NOT NULL, token_hash TEXT, token_expires_at TEXT, created_by TEXT, "
           "created_at TEXT NOT NULL, validated_at TEXT, PRIMARY KEY (workspace_id, id), UNIQUE (workspace_id, domain))",
           "CREATE INDEX approved_domains_domain ON approved_domains (domain, status)",

           // Mail waiting to be sent (src/mail delivers it); workspace_id is NULL for account mail
           // such as email verification.
           "CREATE TABLE outbox (id TEXT PRIMARY KEY, workspace_id TEXT REFERENCES workspaces(id), "
           "kind TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, "
           "created_at TEXT NOT NULL, sent_at TEXT)",
           "CREATE INDEX outbox_workspace ON outbox (workspace_id, created_at)",

           // Gapless per-workspace, per-year numbering: the row is incremented inside the
           // transaction that creates (or finalizes) the document, so a rollback returns the number.
           "CREATE TABLE document_counters (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "kind TEXT NOT NULL, year INTEGER NOT NULL, last_value BIGINT NOT NULL, "
           "PRIMARY KEY (workspace_id, kind, year))",

           "CREATE TABLE companies (" SETTLE_RECORD_COLUMNS
           "name TEXT NOT NULL, domain_name TEXT, address TEXT, stripe_customer_id TEXT, "
           "stripe_default_payment_method TEXT, PRIMARY KEY (workspace_id, id))",
           "CREATE INDEX companies_name ON companies (workspace_id, name)",

           "CREATE TABLE people (" SETTLE_RECORD_COLUMNS
           "first_name TEXT NOT NULL, last_name TEXT NOT NULL DEFAULT '', email TEXT, phone TEXT, company_id TEXT, "
           "PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id))",
           "CREATE INDEX people_company ON people (workspace_id, company_id)",

           "CREATE TABLE products (" SETTLE_RECORD_COLUMNS
           "name TEXT NOT NULL, description TEXT, unit_amount BIGINT NOT NULL, currency TEXT NOT NULL, "
           "active INTEGER NOT NULL DEFAULT 1, stripe_product_id TEXT, stripe_price_id TEXT, "
           "PRIMARY KEY (workspace_id, id))",

           "CREATE TABLE projects (" SETTLE_RECORD_COLUMNS
           "name TEXT NOT NULL, status TEXT NOT NULL, budget BIGINT, currency TEXT, company_id TEXT, "
           "PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id))",

           "CREATE TABLE quotes (" SETTLE_RECORD_COLUMNS
           "quote_number TEXT NOT NULL, status TEXT NOT NULL, company_id TEXT NOT NULL, person_id TEXT, "
           "currency TEXT NOT NULL, subtotal BIGINT NOT NULL, tax_amount BIGINT NOT NULL, total BIGINT NOT NULL, "
           "expires_at TEXT, accepted_date TEXT, expiration_reminder_sent INTEGER NOT NULL DEFAULT 0, "
           "order_id TEXT, notes TEXT, stripe_quote_id TEXT, stripe_customer_id TEXT, stripe_quote_url TEXT, "
           "stripe_pdf_url TEXT, PRIMARY KEY (workspace_id, id), UNIQUE (workspace_id, quote_number), "
           "FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id), "
           "FOREIGN KEY (workspace_id, person_id) REFERENCES people (workspace_id, id))",
           "CREATE INDEX quotes_status ON quotes (workspace_id, status)",

           "CREATE TABLE orders (" SETTLE_RECORD_COLUMNS
           "order_number TEXT NOT NULL, order_date TEXT NOT NULL, fulfillment_date TEXT, status TEXT NOT NULL, "
           "currency TEXT NOT NULL, subtotal BIGINT NOT NULL, tax_amount BIGINT NOT NULL, total_amount BIGINT NOT NULL, "
           "fulfillment_notes TEXT, shipping_info TEXT, company_id TEXT NOT NULL, quote_id TEXT, invoice_id TEXT, "
           "project_id TEXT, stripe_quote_id TEXT, stripe_customer_id TEXT, "
           "PRIMARY KEY (workspace_id, id), UNIQUE (workspace_id, order_number), "
           // One order per quote, even when the quote is accepted twice concurrently.
           "UNIQUE (workspace_id, quote_id), "
           "FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id), "
           "FOREIGN KEY (workspace_id, quote_id) REFERENCES quotes (workspace_id, id), "
           "FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id))",
           "CREATE INDEX orders_status ON orders (workspace_id, status)",

           "CREATE TABLE invoices (" SETTLE_RECORD_COLUMNS
           "invoice_number TEXT, status TEXT NOT NULL, company_id TEXT NOT NULL, order_id TEXT, project_id TEXT, "
           "issue_date TEXT, due_date TEXT, currency TEXT NOT NULL, subtotal BIGINT NOT NULL, "
           "tax_amount BIGINT NOT NULL, total BIGINT NOT NULL, amount_paid BIGINT NOT NULL DEFAULT 0, "
           "amount_refunded BIGINT NOT NULL DEFAULT 0, amount_due BIGINT NOT NULL, notes TEXT, "
           "stripe_invoice_id TEXT, stripe_customer_id TEXT, stripe_payment_intent_id TEXT, stripe_charge_id TEXT, "
           "stripe_invoice_url TEXT, stripe_pdf_url TEXT, stripe_payment_link TEXT, payment_link_expires_at TEXT, "
           "last_synced_at TEXT, PRIMARY KEY (workspace_id, id), UNIQUE (workspace_id, invoice_number), "
           // One invoice per order.
           "UNIQUE (workspace_id, order_id), "
           "FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id), "
           "FOREIGN KEY (workspace_id, order_id) REFERENCES orders (workspace_id, id), "
           "FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id))",
           "CREATE INDEX invoices_status ON invoices (workspace_id, status)",
           "CREATE INDEX invoices_due ON invoices (workspace_id, due_date)",

           // Lines of quotes, orders and invoices (document_id is unique across the three).
           "CREATE TABLE line_items (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "document_id TEXT NOT NULL, position INTEGER NOT NULL, description TEXT NOT NULL, "
           "quantity BIGINT NOT NULL, unit_amount BIGINT NOT NULL, amount BIGINT NOT NULL, product_id TEXT, "
           "PRIMARY KEY (workspace_id, document_id, position), "
           "FOREIGN KEY (workspace_id, product_id) REFERENCES products (workspace_id, id))",

           "CREATE TABLE payments (" SETTLE_RECORD_COLUMNS
           "invoice_id TEXT NOT NULL, company_id TEXT, kind TEXT NOT NULL CHECK (kind IN ('payment','refund')), "
           "amount BIGINT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, method TEXT NOT NULL, "
           "received_at TEXT NOT NULL, notes TEXT, stripe_payment_intent_id TEXT, stripe_charge_id TEXT, "
           "stripe_refund_id TEXT, PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (workspace_id, invoice_id) REFERENCES invoices (workspace_id, id), "
           "FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id))",
           "CREATE INDEX payments_invoice ON payments (workspace_id, invoice_id)",

           "CREATE TABLE expenses (" SETTLE_RECORD_COLUMNS
           "description TEXT NOT NULL, amount BIGINT NOT NULL, currency TEXT NOT NULL, date TEXT NOT NULL, "
           "vendor TEXT, category TEXT, project_id TEXT, PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (workspace_id, project_id) REFERENCES projects (workspace_id, id))",

           "CREATE TABLE tasks (" SETTLE_RECORD_COLUMNS
           "title TEXT NOT NULL, body TEXT, due_at TEXT, status TEXT NOT NULL, assignee_id TEXT, "
           "target_object TEXT, target_id TEXT, PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (assignee_id) REFERENCES users (id))",
           "CREATE INDEX tasks_target ON tasks (workspace_id, target_object, target_id)",

           "CREATE TABLE timeline_events (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "record_object TEXT NOT NULL, record_id TEXT NOT NULL, kind TEXT NOT NULL, field TEXT, "
           "old_value TEXT, new_value TEXT, actor_id TEXT, actor_label TEXT, created_at TEXT NOT NULL, "
           "PRIMARY KEY (workspace_id, id))",
           "CREATE INDEX timeline_record ON timeline_events (workspace_id, record_object, record_id, created_at)",
       }},
      {2,
       "stripe_settings_and_inbox",
       {
           // One row per workspace connected to Stripe. The secret key and the webhook
           // signing secrets (a JSON array, sealed whole) are SecretBox-sealed under the
           // master key, bound to the workspace and the column; the last 4 characters of
           // the secret key are kept apart for display.
           "CREATE TABLE stripe_settings (workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id), "
           "mode TEXT NOT NULL, secret_key_sealed TEXT, secret_key_masked TEXT, publishable_key TEXT, "
           "webhook_secrets_sealed TEXT, webhook_secret_count INTEGER NOT NULL DEFAULT 0, "
           "webhook_endpoint_id TEXT, webhook_endpoint_url TEXT, updated_at TEXT NOT NULL, updated_by TEXT)",

           // Verified Stripe webhook events, stored raw before Stripe is answered 200.
           "CREATE TABLE stripe_events (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "event_id TEXT NOT NULL, type TEXT NOT NULL, created BIGINT NOT NULL, livemode INTEGER NOT NULL, "
           "payload TEXT NOT NULL, received_at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', "
           "attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, processed_at TEXT, "
           "PRIMARY KEY (workspace_id, event_id))",
           "CREATE INDEX stripe_events_received ON stripe_events (workspace_id, received_at)",
           "CREATE INDEX stripe_events_status ON stripe_events (status, received_at)",
       }},
      {3,
       "stripe_sync",
       {
           // Outbound sync state of quotes and invoices: '' (never synced), 'synced' or
           // 'failed' with Stripe's reason, shown to the user beside a retry.
           "ALTER TABLE quotes ADD COLUMN stripe_sync_status TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE quotes ADD COLUMN stripe_sync_error TEXT",
           "ALTER TABLE invoices ADD COLUMN stripe_sync_status TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE invoices ADD COLUMN stripe_sync_error TEXT",
           // The invoice Stripe made when the order's quote was accepted: adopted by the
           // order's invoice instead of creating a second one.
           "ALTER TABLE orders ADD COLUMN stripe_invoice_id TEXT",
           // /pay/{token}: the random token of the invoice's current payment link.
           "ALTER TABLE invoices ADD COLUMN payment_link_token TEXT",
           "CREATE UNIQUE INDEX invoices_payment_link_token ON invoices (payment_link_token)",
           "CREATE INDEX invoices_stripe_invoice ON invoices (workspace_id, stripe_invoice_id)",
           "CREATE INDEX quotes_stripe_quote ON quotes (workspace_id, stripe_quote_id)",
           // A Stripe payment or refund is recorded once, however often its events arrive.
           "CREATE UNIQUE INDEX payments_stripe_payment ON payments (workspace_id, stripe_payment_intent_id) "
           "WHERE kind = 'payment'",
           "CREATE UNIQUE INDEX payments_stripe_refund ON payments (workspace_id, stripe_refund_id)",
           // The catalogue products a workspace's free-text and tax lines are sold as.
           "ALTER TABLE stripe_settings ADD COLUMN free_text_product_id TEXT",
           "ALTER TABLE stripe_settings ADD COLUMN tax_product_id TEXT",
           "ALTER TABLE stripe_settings ADD COLUMN reconciled_at TEXT",
           // Inbox processing: when the next attempt is due (a lease while one runs, the
           // back-off after a failure, NULL once done or given up) and what it did.
           "ALTER TABLE stripe_events ADD COLUMN next_attempt_at TEXT",
           "ALTER TABLE stripe_events ADD COLUMN outcome TEXT",
           "ALTER TABLE stripe_events ADD COLUMN source TEXT NOT NULL DEFAULT 'webhook'",
           // Which Settle instance holds an event's lease, so that it can end its own leases
           // when it restarts after a crash.
           "ALTER TABLE stripe_events ADD COLUMN claimed_by TEXT",
           "UPDATE stripe_events SET next_attempt_at = received_at WHERE status = 'pending'",
           "CREATE INDEX stripe_events_due ON stripe_events (next_attempt_at)",
       }},
      {4,
       "member_invitations_and_sealed_outbox",
       {
           // A member added without a password is sent a one-time link to choose one. Only the
           // SHA-256 of the token is kept; it is looked up by that hash alone (the link names no
           // workspace), hence the unique index.
           "CREATE TABLE member_invitations (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "token_hash TEXT NOT NULL, user_id TEXT NOT NULL REFERENCES users(id), invited_by TEXT, "
           "expires_at TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (workspace_id, token_hash))",
           "CREATE UNIQUE INDEX member_invitations_token ON member_invitations (token_hash)",
           "CREATE INDEX member_invitations_user ON member_invitations (workspace_id, user_id)",
           // Mail carrying a one-time code is stored SecretBox-sealed under the master key (bound
           // to the row id); body_sealed says which rows the mailer must open first.
           "ALTER TABLE outbox ADD COLUMN body_sealed INTEGER NOT NULL DEFAULT 0",
           // Rows queued before sealing hold their code in plain text, and SQL cannot seal them.
           // No mail was ever sent from the outbox, so nobody can be waiting for these bodies:
           // the codes are withheld rather than kept readable to anyone with the database.
           "UPDATE outbox SET body = '(withheld: this message held a one-time code in plain text)' "
           "WHERE kind IN ('email_verification', 'domain_validation') AND sent_at IS NULL",
       }},
      {5,
       "workflows",
       {
           // A workflow is a name and its versions; exactly one version may be ACTIVE (the
           // partial unique index), runs keep the version they started on. builtin_key names
           // the shipped definitions (WF-001 ...) so that each is installed once per workspace.
           // Hitting a rate limit is counted on the workflow, for the API and the UI to show.
           "CREATE TABLE workflows (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "name TEXT NOT NULL, description TEXT, builtin_key TEXT, max_runs_per_minute INTEGER NOT NULL DEFAULT 600, "
           "throttled_count INTEGER NOT NULL DEFAULT 0, last_throttled_at TEXT, webhook_secret_sealed TEXT, "
           "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT, created_by TEXT, "
           "PRIMARY KEY (workspace_id, id))",
           "CREATE UNIQUE INDEX workflows_builtin ON workflows (workspace_id, builtin_key)",
           "CREATE TABLE workflow_versions (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "workflow_id TEXT NOT NULL, number INTEGER NOT NULL, status TEXT NOT NULL, trigger_type TEXT NOT NULL, "
           "trigger_object TEXT, definition TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
           "created_by TEXT, PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (workspace_id, workflow_id) REFERENCES workflows (workspace_id, id))",
           "CREATE UNIQUE INDEX workflow_versions_active ON workflow_versions (workspace_id, workflow_id) "
           "WHERE status = 'ACTIVE'",
           "CREATE INDEX workflow_versions_trigger ON workflow_versions (status, trigger_type, trigger_object)",
           // A run: its trigger's data, its progress and its lease. next_attempt_at is when it
           // is due (a lease while an instance runs it, a back-off or a delay's end while it
           // waits, NULL once it ended). dedup_key makes a trigger fire once: a record event,
           // a Stripe event, a schedule tick.
           "CREATE TABLE workflow_runs (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "workflow_id TEXT NOT NULL, version_id TEXT NOT NULL, status TEXT NOT NULL, trigger_type TEXT NOT NULL, "
           "trigger_data TEXT NOT NULL, depth INTEGER NOT NULL DEFAULT 0, dedup_key TEXT, "
           "next_attempt_at TEXT, claimed_by TEXT, steps_executed INTEGER NOT NULL DEFAULT 0, "
           "error TEXT, error_step TEXT, created_at TEXT NOT NULL, started_at TEXT, ended_at TEXT, "
           "updated_at TEXT NOT NULL, PRIMARY KEY (workspace_id, id), "
           "FOREIGN KEY (workspace_id, version_id) REFERENCES workflow_versions (workspace_id, id))",
           "CREATE UNIQUE INDEX workflow_runs_dedup ON workflow_runs (workspace_id, dedup_key)",
           "CREATE INDEX workflow_runs_due ON workflow_runs (next_attempt_at)",
           "CREATE INDEX workflow_runs_workflow ON workflow_runs (workspace_id, workflow_id, created_at)",
           "CREATE INDEX workflow_runs_created ON workflow_runs (workspace_id, created_at)",
           // Each step of a run (an iterator's steps once per item: key "step#3"): status,
           // attempts, what it was given and what it answered. A step that changes only this
           // database commits its change together with its COMPLETED row, so it happens once.
           "CREATE TABLE workflow_run_steps (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "run_id TEXT NOT NULL, step_key TEXT NOT NULL, step_id TEXT NOT NULL, type TEXT NOT NULL, "
           "position INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
           "attempt_group INTEGER NOT NULL DEFAULT 0, input TEXT, output TEXT, error TEXT, started_at TEXT, "
           "ended_at TEXT, retry_at TEXT, attempt_log TEXT, PRIMARY KEY (workspace_id, run_id, step_key))",
           // The next tick of each active schedule; an instance fires a tick by moving
           // next_fire_at forward (compare-and-set), so exactly one instance fires it.
           "CREATE TABLE workflow_schedules (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "version_id TEXT NOT NULL, next_fire_at TEXT NOT NULL, last_fired_at TEXT, "
           "PRIMARY KEY (workspace_id, version_id))",
           // The workspace's zone: schedules and reports are in its local time.
           "ALTER TABLE workspaces ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC'",
           // What WF-008 matches an expense on, and WF-010 greets.
           "ALTER TABLE projects ADD COLUMN code TEXT",
           "ALTER TABLE projects ADD COLUMN start_date TEXT",
           "ALTER TABLE projects ADD COLUMN end_date TEXT",
           "ALTER TABLE expenses ADD COLUMN company_id TEXT",
           "ALTER TABLE companies ADD COLUMN primary_contact_id TEXT",
           // Notes on records (WF-009 keeps each budget report as one).
           "CREATE TABLE notes (workspace_id TEXT NOT NULL REFERENCES workspaces(id), id TEXT NOT NULL, "
           "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT, created_by TEXT, "
           "title TEXT NOT NULL, body TEXT, target_object TEXT, target_id TEXT, PRIMARY KEY (workspace_id, id))",
           "CREATE INDEX notes_target ON notes (workspace_id, target_object, target_id)",
           // Workflow mail: a follow-up may be queued as a draft for a person to review, and
           // may carry a quote's or invoice's PDF; the run step that queued it is kept.
           "ALTER TABLE outbox ADD COLUMN status TEXT NOT NULL DEFAULT 'queued'",
           "ALTER TABLE outbox ADD COLUMN attachment_object TEXT",
           "ALTER TABLE outbox ADD COLUMN attachment_id TEXT",
           "ALTER TABLE outbox ADD COLUMN source TEXT",
       }},
      {6,
       "mail_delivery",
       {
           // The outbox becomes a queue worked by src/mail: next_attempt_at is when a row is
           // due (a lease while an instance sends it, a back-off after a 4xx, NULL once it is
           // sent or failed for good). message_id is fixed when the row is queued, so a
           // resend after a crash carries the same Message-ID. `data` is the template's model
           // (sealed with the body when body_sealed); the record the mail is about gets the
           // timeline entry for its delivery.
           "ALTER TABLE outbox ADD COLUMN message_id TEXT",
           "ALTER TABLE outbox ADD COLUMN data TEXT",
           "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
           "ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT",
           "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
           "ALTER TABLE outbox ADD COLUMN last_error TEXT",
           "ALTER TABLE outbox ADD COLUMN target_object TEXT",
           "ALTER TABLE outbox ADD COLUMN target_id TEXT",
           "UPDATE outbox SET next_attempt_at = created_at WHERE status = 'queued' AND sent_at IS NULL",
           "UPDATE outbox SET status = 'sent' WHERE sent_at IS NOT NULL",
           "CREATE INDEX outbox_due ON outbox (next_attempt_at)",
           // A workspace's own mail server; the password is sealed under the master key (bound
           // to the workspace), never answered back.
           "CREATE TABLE mail_settings (workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id), "
           "host TEXT NOT NULL, port INTEGER NOT NULL, security TEXT NOT NULL, username TEXT, "
           "password_sealed TEXT, from_address TEXT NOT NULL, from_name TEXT, reply_to TEXT, "
           "updated_at TEXT NOT NULL, updated_by TEXT)",
           // A workspace's edits of the shipped templates (src/mail/templates.cpp), by kind.
           "CREATE TABLE mail_templates (workspace_id TEXT NOT NULL REFERENCES workspaces(id), kind TEXT NOT NULL, "
           "subject TEXT NOT NULL, html TEXT NOT NULL, text TEXT NOT NULL, updated_at TEXT NOT NULL, "
           "updated_by TEXT, PRIMARY KEY (workspace_id, kind))",
       }},
      {7,
       "reminders",
       {
           // A workspace's dunning rules (billing/dunning.hpp): up to three, by position.
           "CREATE TABLE reminder_rules (workspace_id TEXT NOT NULL REFERENCES workspaces(id), "
           "position INTEGER NOT NULL, offset_days INTEGER NOT NULL, late_fee_bp BIGINT NOT NULL DEFAULT 0, "
           "updated_at TEXT NOT NULL, updated_by TEXT, PRIMARY KEY (workspace_id, position))",
           // Each reminder an invoice got, once per rule day: the primary key is what makes a
           // reminder go once however many instances sweep. outbox_id is NULL when there was no
           // address to send it to (the timeline says so).
           "CREATE TABLE invoice_reminders (workspace_id TEXT NOT NULL, invoice_id TEXT NOT NULL, "
           "offset_days INTEGER NOT NULL, position INTEGER NOT NULL, outbox_id TEXT, created_at TEXT NOT NULL, "
           "PRIMARY KEY (workspace_id, invoice_id, offset_days), "
           "FOREIGN KEY (workspace_id, invoice_id) REFERENCES invoices (workspace_id, id))",
       }},
      {8,
       "documents",
       {
           // What a workspace's documents show of it (crm/workspace_profile.hpp): the logo is
           // a PNG, base64url, named by its hash.
           "ALTER TABLE workspaces ADD COLUMN address TEXT",
           "ALTER TABLE workspaces ADD COLUMN logo_png TEXT",
           "ALTER TABLE workspaces ADD COLUMN logo_sha256 TEXT",
           // A finalized quote's or invoice's PDF, made once (the first time it is sent or
           // downloaded) and served as those bytes ever after; its SHA-256 is on the record.
           "CREATE TABLE document_pdfs (workspace_id TEXT NOT NULL REFERENCES workspaces(id), object TEXT NOT NULL, "
           "record_id TEXT NOT NULL, sha256 TEXT NOT NULL, content TEXT NOT NULL, file_name TEXT NOT NULL, "
           "created_at TEXT NOT NULL, PRIMARY KEY (workspace_id, object, record_id))",
           "ALTER TABLE quotes ADD COLUMN pdf_sha256 TEXT",
           "ALTER TABLE invoices ADD COLUMN pdf_sha256 TEXT",
           // The terms a quote or an invoice is made on (payment terms, validity, warranty),
           // printed under its notes.
           "ALTER TABLE quotes ADD COLUMN terms TEXT",
           "ALTER TABLE invoices ADD COLUMN terms TEXT",
       }},
      {9,
       "list indexes",
       {
           // One index per list the web UI makes (docs/performance.md shows each plan):
           // workspace_id first, then the filtered or sorted column, then id, the keyset's
           // tie-breaker, so a page is one index range read in order and LIMIT stops it.
           // Partial on live rows: every list says deleted_at IS NULL.
           "CREATE INDEX invoices_list_created ON invoices (workspace_id, created_at, id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_status_created ON invoices (workspace_id, status, created_at, id) "
           "WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_status ON invoices (workspace_id, status, id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_company ON invoices (workspace_id, company_id, id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_total ON invoices (workspace_id, total, id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_currency_total ON invoices (workspace_id, currency, total, id) "
           "WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_status_currency_total ON invoices (workspace_id, status, currency, total, id) "
           "WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_amount_due ON invoices (workspace_id, amount_due, id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_number ON invoices (workspace_id, invoice_number" SETTLE_NULLS_FIRST
           ", id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_due ON invoices (workspace_id, due_date" SETTLE_NULLS_FIRST
           ", id) WHERE deleted_at IS NULL",
           "CREATE INDEX invoices_list_issue ON invoices (workspace_id, issue_date" SETTLE_NULLS_FIRST
           ", id) WHERE deleted_at IS NULL",
           "CREATE INDEX quotes_list_created ON quotes (workspace_id, created_at, id) WHERE deleted_at IS NULL",
           "CREATE INDEX orders_list_created ON orders (workspace_id, created_at, id) WHERE deleted_at IS NULL",
           "CREATE INDEX payments_list_received ON payments (workspace_id, received_at" SETTLE_NULLS_FIRST
           ", id) WHERE deleted_at IS NULL",
           "CREATE INDEX companies_list_name ON companies (workspace_id, name, id) WHERE deleted_at IS NULL",
       },
       // The UI's search is a substring match (ilike '%text%') on the number and the notes,
       // which no B-tree serves: trigram indexes do (store/query.hpp says how they are used).
       {
           // External content: the trigrams only, keyed by the invoice's rowid, kept by
           // triggers. (A VACUUM may renumber rowids of a table without an INTEGER PRIMARY
           // KEY; after one, INSERT INTO invoices_search(invoices_search) VALUES('rebuild').)
           "CREATE VIRTUAL TABLE invoices_search USING fts5(invoice_number, notes, content='invoices', "
           "content_rowid='rowid', tokenize='trigram')",
           "INSERT INTO invoices_search (invoices_search) VALUES ('rebuild')",
           "CREATE TRIGGER invoices_search_insert AFTER INSERT ON invoices BEGIN "
           "INSERT INTO invoices_search (rowid, invoice_number, notes) VALUES (new.rowid, new.invoice_number, "
           "new.notes); END",
           "CREATE TRIGGER invoices_search_delete AFTER DELETE ON invoices BEGIN "
           "INSERT INTO invoices_search (invoices_search, rowid, invoice_number, notes) "
           "VALUES ('delete', old.rowid, old.invoice_number, old.notes); END",
           "CREATE TRIGGER invoices_search_update AFTER UPDATE OF invoice_number, notes ON invoices BEGIN "
           "INSERT INTO invoices_search (invoices_search, rowid, invoice_number, notes) "
           "VALUES ('delete', old.rowid, old.invoice_number, old.notes); "
           "INSERT INTO invoices_search (rowid, invoice_number, notes) VALUES (new.rowid, new.invoice_number, "
           "new.notes); END",
       },
       {
           // pg_trgm ships with PostgreSQL and is a trusted extension: the database's owner
           // may create it.
           "CREATE EXTENSION IF NOT EXISTS pg_trgm",
           "CREATE INDEX invoices_search_number ON invoices USING gin (invoice_number gin_trgm_ops)",
           "CREATE INDEX invoices_search_notes ON invoices USING gin (notes gin_trgm_ops)",
       }},
  };
  return kMigrations;
}

#undef SETTLE_RECORD_COLUMNS
#undef SETTLE_NULLS_FIRST

// Marks where PostgreSQL needs NULLS FIRST in an index on a nullable column: SQLite sorts
// NULLs first, so its index scans give AscNullsFirst forwards and DescNullsLast backwards,
// and PostgreSQL's give the same only when told (its default is NULLS LAST).
constexpr std::string_view kNullsFirstMarker = "\x01NULLS_FIRST\x01";

std::string for_dialect(std::string_view statement, Dialect dialect) {
  std::string out(statement);
  for (auto at = out.find(kNullsFirstMarker); at != std::string::npos; at = out.find(kNullsFirstMarker)) {
    out.replace(at, kNullsFirstMarker.size(), dialect == Dialect::Postgres ? " NULLS FIRST" : "");
  }
  return out;
}

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at TEXT NOT NULL)";
constexpr const char* kSelectVersion = "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations";
constexpr const char* kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, :at)";
// Serialises concurrent `migrate` runs of several instances on one PostgreSQL database.
constexpr const char* kPgMigrationLock =
    "SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(7415012026)) AS l";  // the lock itself returns void

}  // namespace

int latest_schema_version() { return migrations().back().version; }

Status Database::migrate() {
  auto applied = write<int>([&](Tx& tx) -> Result<int> {
    if (tx.dialect() == Dialect::Postgres) tx.query(kPgMigrationLock);
    tx.exec(kCreateMigrationsTable);
    auto rows = tx.query(kSelectVersion);
    std::int64_t current = RowView(rows, 0).integer("v");
    int count = 0;
    for (const auto& m : migrations()) {
      if (m.version <= current) continue;
      for (const char* stmt : m.statements) tx.exec(for_dialect(stmt, tx.dialect()));
      for (const char* stmt : tx.dialect() == Dialect::Sqlite ? m.sqlite_only : m.postgres_only) tx.exec(stmt);
      tx.exec(kInsertMigration, {{"version", std::int64_t{m.version}}, {"name", std::string(m.name)},
                                 {"at", now_timestamp()}});
      ++count;
    }
    return count;
  });
  if (!applied) return fail(applied.error());
  if (*applied > 0) spdlog::info("applied {} migration(s) to {}", *applied, url_for_log_);
  return {};
}

Status Database::refresh_statistics() {
  if (dialect_ != Dialect::Sqlite) return {};
  auto done = write<int>([&](Tx& tx) -> Result<int> {
    // Rows examined per index: enough to rank the list indexes, without reading them whole.
    tx.exec("PRAGMA analysis_limit = 1000");
    tx.exec("ANALYZE");
    return 0;
  });
  if (!done) return fail(done.error());
  return {};
}

Result<int> Database::schema_version() {
  // A write transaction: the first call on an empty database creates the bookkeeping table.
  return write<int>([&](Tx& tx) -> Result<int> {
    tx.exec(kCreateMigrationsTable);
    auto rows = tx.query(kSelectVersion);
    return static_cast<int>(RowView(rows, 0).integer("v"));
  });
}

}  // namespace settle::store
