// The Stripe-Signature header of incoming webhooks (stripe/webhook_signature.hpp).
//
// Input: the first line is the header, the rest is the payload. In the header, "{sig}" and
// "{sig1}" stand for the correct v1 signature of the payload at the fixed current time
// under the first and the second secret, so that mutations can explore what surrounds a
// valid signature (whitespace, repeats, other schemes, a different t).
//
// Beyond "does not crash", it checks that
//  * a header made by sign_payload verifies, at any time within the tolerance, naming the
//    secret that signed it; with an extra v1 of junk after it too;
//  * the same header is refused for another payload and outside the tolerance;
//  * a fuzzed header is accepted only if it holds a v1 equal to the HMAC of "t.payload"
//    under the secret reported as matched, with its t within the tolerance;
//  * verify_signature agrees with check_signature and refuses with BadRequest whose
//    details name the failure.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "stripe/webhook_signature.hpp"

namespace {

using namespace settle;
using stripe::SignatureFailure;

constexpr std::int64_t kNow = 1700000000;
const std::vector<std::string> kSecrets = {"whsec_fuzz_current", "whsec_fuzz_previous"};
const stripe::SignatureCheckOptions kOptions{stripe::kDefaultSignatureTolerance, kNow};

[[noreturn]] void violation(const char* what, std::string_view header) {
  std::fprintf(stderr, "fuzz_stripe_signature: %s: %.*s\n", what, static_cast<int>(header.size()), header.data());
  __builtin_trap();
}

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// The header's comma-separated items, trimmed of spaces and tabs as the parser does.
std::vector<std::string_view> items_of(std::string_view header) {
  std::vector<std::string_view> items;
  while (true) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    items.push_back(item);
    if (comma == std::string_view::npos) return items;
    header.remove_prefix(comma + 1);
  }
}

tl::expected<stripe::VerifiedSignature, SignatureFailure> check(std::string_view payload, std::string_view header,
                                                                const stripe::SignatureCheckOptions& options) {
  auto checked = stripe::check_signature(payload, header, kSecrets, options);
  auto status = stripe::verify_signature(payload, header, kSecrets, options);
  if (checked.has_value() != status.has_value()) violation("verify_signature disagrees with check_signature", header);
  if (!status) {
    if (status.error().code != ErrorCode::BadRequest) violation("refusal is not BadRequest", header);
    if (status.error().details.value("reason", "") != stripe::to_string(checked.error()))
      violation("refusal's reason differs from the failure", header);
  }
  return checked;
}

bool refused_for(std::string_view payload, std::string_view header, SignatureFailure failure) {
  auto checked = check(payload, header, kOptions);
  return !checked && checked.error() == failure;
}

void check_signed_headers(std::string_view payload) {
  for (std::int64_t offset : {std::int64_t{0}, std::int64_t{-300}, std::int64_t{300}}) {
    for (std::size_t secret = 0; secret < kSecrets.size(); ++secret) {
      const std::string header = stripe::sign_payload(payload, kSecrets[secret], kNow + offset);
      auto verified = check(payload, header, kOptions);
      if (!verified || verified->secret_index != secret || verified->timestamp != kNow + offset)
        violation("a header made by sign_payload does not verify", header);
      const std::string foreign = stripe::compute_v1_signature("whsec_fuzz_foreign", kNow, payload);
      if (!check(payload, header + ",v1=" + foreign, kOptions))
        violation("an extra v1 signature made a signed header fail", header);
      if (!refused_for(std::string(payload) + " ", header, SignatureFailure::NoMatchingSignature))
        violation("a signed header verifies another payload", header);
    }
  }
  const std::string stale = stripe::sign_payload(payload, kSecrets[0], kNow - 301);
  if (!refused_for(payload, stale, SignatureFailure::TimestampTooOld))
    violation("a header past the tolerance verifies", stale);
  const std::string early = stripe::sign_payload(payload, kSecrets[0], kNow + 301);
  if (!refused_for(payload, early, SignatureFailure::TimestampInFuture))
    violation("a header ahead of the tolerance verifies", early);
}

void check_fuzzed_header(std::string_view payload, std::string header) {
  replace_all(header, "{sig1}", stripe::compute_v1_signature(kSecrets[1], kNow, payload));
  replace_all(header, "{sig}", stripe::compute_v1_signature(kSecrets[0], kNow, payload));
  auto verified = check(payload, header, kOptions);
  if (!verified) return;
  const std::int64_t age = kNow - verified->timestamp;
  if (age > kOptions.tolerance.count() || -age > kOptions.tolerance.count())
    violation("accepted a timestamp outside the tolerance", header);
  const std::string expected =
      "v1=" + stripe::compute_v1_signature(kSecrets.at(verified->secret_index), verified->timestamp, payload);
  bool holds_signature = false;
  for (std::string_view item : items_of(header)) holds_signature = holds_signature || item == expected;
  if (!holds_signature) violation("accepted a header without the payload's signature", header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view header = input.substr(0, newline);
  const std::string_view payload = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  check_signed_headers(payload);
  check_fuzzed_header(payload, std::string(header));
  return 0;
}
