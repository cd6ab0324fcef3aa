// Stripe-Signature verification and signing (see webhook_signature.hpp).
#include "stripe/webhook_signature.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include "common/crypto.hpp"

namespace settle::stripe {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct ParsedHeader {
  std::int64_t timestamp = 0;
  std::vector<std::string_view> v1;
};

tl::expected<ParsedHeader, SignatureFailure> parse_header(std::string_view header) {
  ParsedHeader parsed;
  bool have_timestamp = false;
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t comma = header.find(',', start);
    std::string_view item = trim(header.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? header.size() + 1 : comma + 1;
    auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return tl::unexpected(SignatureFailure::MalformedHeader);
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      // Digits only: from_chars alone would accept a leading '-'.
      if (have_timestamp || value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos)
        return tl::unexpected(SignatureFailure::MalformedHeader);
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed.timestamp);
      if (ec != std::errc{} || end != value.data() + value.size()) return tl::unexpected(SignatureFailure::MalformedHeader);
      have_timestamp = true;
    } else if (key == "v1") {
      parsed.v1.push_back(value);
    }
    // v0 (a legacy test-mode scheme) and unknown schemes are ignored, as Stripe's SDKs do.
  }
  if (!have_timestamp) return tl::unexpected(SignatureFailure::MalformedHeader);
  return parsed;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string_view to_string(SignatureFailure failure) {
  switch (failure) {
    case SignatureFailure::NoSecret: return "no_secret";
    case SignatureFailure::MissingHeader: return "missing_header";
    case SignatureFailure::MalformedHeader: return "malformed_header";
    case SignatureFailure::NoV1Signature: return "no_v1_signature";
    case SignatureFailure::TimestampTooOld: return "timestamp_too_old";
    case SignatureFailure::TimestampInFuture: return "timestamp_in_future";
    case SignatureFailure::NoMatchingSignature: return "no_matching_signature";
  }
  return "unknown";
}

std::string_view describe(SignatureFailure failure) {
  switch (failure) {
    case SignatureFailure::NoSecret: return "no webhook signing secret is configured";
    case SignatureFailure::MissingHeader: return "the Stripe-Signature header is missing";
    case SignatureFailure::MalformedHeader:
      return "the Stripe-Signature header is malformed (expected t=<unix time>,v1=<signature>)";
    case SignatureFailure::NoV1Signature: return "the Stripe-Signature header has no v1 signature";
    case SignatureFailure::TimestampTooOld:
      return "the webhook's timestamp is outside the tolerance (too old; a replayed event?)";
    case SignatureFailure::TimestampInFuture:
      return "the webhook's timestamp is outside the tolerance (in the future; check the server clock)";
    case SignatureFailure::NoMatchingSignature:
      return "no signature matches the payload under the configured signing secrets";
  }
  return "the webhook signature is invalid";
}

std::string compute_v1_signature(std::string_view secret, std::int64_t timestamp, std::string_view payload) {
  std::string signed_payload = std::to_string(timestamp);
  signed_payload += '.';
  signed_payload.append(payload);
  return hmac_sha256_hex(secret, signed_payload);
}

std::string sign_payload(std::string_view payload, std::string_view secret, std::int64_t timestamp) {
  return "t=" + std::to_string(timestamp) + ",v1=" + compute_v1_signature(secret, timestamp, payload);
}

tl::expected<VerifiedSignature, SignatureFailure> check_signature(std::string_view payload,
                                                                  std::string_view signature_header,
                                                                  std::span<const std::string> secrets,
                                                                  const SignatureCheckOptions& options) {
  bool have_secret = false;
  for (const auto& s : secrets) have_secret = have_secret || !s.empty();
  if (!have_secret) return tl::unexpected(SignatureFailure::NoSecret);
  if (trim(signature_header).empty()) return tl::unexpected(SignatureFailure::MissingHeader);
  auto parsed = parse_header(signature_header);
  if (!parsed) return tl::unexpected(parsed.error());
  if (parsed->v1.empty()) return tl::unexpected(SignatureFailure::NoV1Signature);

  const std::int64_t now = options.now != 0 ? options.now : unix_now();
  const std::int64_t tolerance = options.tolerance.count();
  // Compared as differences so that a huge t cannot overflow.
  if (parsed->timestamp < now && now - parsed->timestamp > tolerance) return tl::unexpected(SignatureFailure::TimestampTooOld);
  if (parsed->timestamp > now && parsed->timestamp - now > tolerance)
    return tl::unexpected(SignatureFailure::TimestampInFuture);

  // Every candidate is compared (no early exit on the first secret) so that the time
  // taken does not tell which secret or signature came close.
  std::optional<std::size_t> matched;
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].empty()) continue;
    const std::string expected = compute_v1_signature(secrets[i], parsed->timestamp, payload);
    for (std::string_view candidate : parsed->v1)
      if (constant_time_equals(expected, candidate) && !matched) matched = i;
  }
  if (!matched) return tl::unexpected(SignatureFailure::NoMatchingSignature);
  return VerifiedSignature{parsed->timestamp, *matched};
}

Status verify_signature(std::string_view payload, std::string_view signature_header,
                        std::span<const std::string> secrets, const SignatureCheckOptions& options) {
  auto checked = check_signature(payload, signature_header, secrets, options);
  if (checked) return {};
  Error e = Error::bad_request("invalid Stripe webhook: " + std::string(describe(checked.error())), "Stripe-Signature");
  e.details = {{"reason", to_string(checked.error())}};
  return fail(std::move(e));
}

}  // namespace settle::stripe
