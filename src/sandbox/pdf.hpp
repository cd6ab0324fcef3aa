// A minimal PDF writer for invoice and quote documents: US Letter pages of Helvetica
// text lines, with a correct cross-reference table, so that PDF readers (and
// pdftotext) open what `invoice_pdf` and the quote PDF endpoint serve.
#pragma once

#include <string>
#include <vector>

namespace settle::sandbox {

// Characters outside printable ASCII are written as '?'.
std::string render_pdf(const std::string& title, const std::vector<std::string>& lines);

}  // namespace settle::sandbox
