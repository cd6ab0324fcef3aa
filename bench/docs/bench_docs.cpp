// Quote and invoice PDF rendering (src/docs), in process: a one-page invoice and a 200-line
// invoice, against a same-run baseline — serialising the same invoice as the API's JSON,
// what GET /rest/invoices/{id} does for it. Prints one JSON object (scripts/bench_docs.sh).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

#include "docs/document_pdf.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

json invoice_record(int lines) {
  json items = json::array();
  for (int i = 0; i < lines; ++i)
    items.push_back({{"description", "Laser head service, visit " + std::to_string(i + 1)},
                     {"quantity", 2},
                     {"unitAmount", 12500},
                     {"amount", 25000}});
  return {{"id", "inv_bench"},
          {"invoiceNumber", "INV-2026-042"},
          {"status", "Open"},
          {"issueDate", "2026-12-03"},
          {"dueDate", "2027-01-02"},
          {"currency", "USD"},
          {"lineItems", items},
          {"subtotal", 25000LL * lines},
          {"taxAmount", 1000},
          {"total", 25000LL * lines + 1000},
          {"amountPaid", 0},
          {"amountDue", 25000LL * lines + 1000},
          {"notes", "Thank you for your business."},
          {"stripeInvoiceUrl", "https://invoice.stripe.com/i/acct_123/test_YWNjdF8xMjM"}};
}

struct Timing {
  double p50_us = 0, p99_us = 0;
};

template <class F>
Timing measure(int iterations, F&& f) {
  for (int i = 0; i < std::max(3, iterations / 20); ++i) f();  // warm the font caches
  std::vector<double> us;
  us.reserve(iterations);
  for (int i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    f();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_docs: PDF rendering against JSON serialisation of the same invoice"};
  int iterations = 300;
  app.add_option("--iterations", iterations, "renders per case")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  json company = {{"name", "Lumen Clinics"}, {"address", "5 Main Street\nBoston, MA 02110"}};
  json workspace = {{"name", "Phos Industries"}, {"locale", "en-US"}};
  json out = {{"iterations", iterations}};
  for (int lines : {1, 200}) {
    json record = invoice_record(lines);
    std::string url = record["stripeInvoiceUrl"];
    size_t bytes = 0, json_bytes = 0;
    int pages = 0;
    Timing pdf = measure(lines == 1 ? iterations : std::max(20, iterations / 5), [&] {
      auto d = settle::docs::document_from_record(settle::docs::PdfDocument::Kind::Invoice, record, company, workspace, url);
      auto r = settle::docs::render_pdf(d);
      if (!r) {
        std::cerr << "render failed: " << r.error().log << "\n";
        std::exit(1);
      }
      bytes = r->size();
      pages = 0;
      // Page objects: "/Type /Page", not "/Type /Pages".
      for (size_t at = r->find("/Type /Page"); at != std::string::npos; at = r->find("/Type /Page", at + 1))
        if (at + 11 < r->size() && (*r)[at + 11] != 's') ++pages;
    });
    Timing js = measure(iterations * 10, [&] { json_bytes = record.dump().size(); });
    std::string key = lines == 1 ? "onePage" : "twoHundredLines";
    out[key] = {{"lines", lines},          {"pdfP50Us", pdf.p50_us}, {"pdfP99Us", pdf.p99_us},
                {"pdfBytes", bytes},       {"pages", pages},         {"jsonP50Us", js.p50_us},
                {"jsonBytes", json_bytes}, {"ratio", pdf.p50_us / std::max(js.p50_us, 0.001)}};
  }
  std::cout << out.dump(2) << std::endl;
  return 0;
}
