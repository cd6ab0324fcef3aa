// Mail templates (kainjow mustache): per kind a subject, an HTML part and a plain-text part,
// shipped here and editable per workspace. The HTML part is drawn inside one fixed layout and
// its variables are HTML-escaped; the subject and text parts are not escaped (they are not HTML).
// A template names its variables as {{invoice.number}}, {{workspace.name}}, {{link}} ...;
// each kind's model is described by its sample, which the preview renders.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "store/database.hpp"

namespace settle::mail {

struct Template {
  std::string subject, html, text;
};

struct TemplateKind {
  const char* kind;
  const char* title;        // for Settings: "Invoice sent"
  const char* description;  // when it is sent
};

// Every kind Settle sends, in the order Settings lists them.
const std::vector<TemplateKind>& template_kinds();
const TemplateKind* find_template_kind(std::string_view kind);

// The shipped template of a kind (every kind in template_kinds() has one).
const Template& default_template(std::string_view kind);
// The workspace's edit of the kind's template, else the shipped one; not found for a kind
// that is not one.
Result<Template> workspace_template(store::Tx& tx, const std::string& workspace_id, std::string_view kind);
// Whether a workflow's SEND_EMAIL step may send the kind: the customer-facing ones, not the
// account mail that carries links or codes (invitation, validation, verification) nor the test.
bool workflow_may_send(std::string_view kind);
// A model with every variable the kind's mails carry, for previews.
nlohmann::json sample_model(std::string_view kind);

struct RenderedMail {
  std::string subject, html, text;
};

// Checks that each part parses; the error names the part ("subject", "html", "text").
Status validate_template(const Template& t);
// Renders the template with `model`; the HTML inside the layout (titled by the workspace's
// name, `model.workspace.name`). Fails only on a template that does not parse.
Result<RenderedMail> render(const Template& t, const nlohmann::json& model);
// A plain-text mail (a workflow's own) as HTML inside the same layout, its lines kept.
std::string html_of_text(const std::string& text, const std::string& workspace_name);

}  // namespace settle::mail
