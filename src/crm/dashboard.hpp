// The home screen's figures (GET /rest/dashboard): open quotes, orders awaiting
// fulfilment, receivables by age, payments this month. One read transaction of a few
// GROUP BY queries, scoped to the caller's workspace; amounts stay in minor units, one row
// per currency (nothing is converted).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "crm/records.hpp"
#include "store/database.hpp"

namespace settle::crm {

// {asOf, currency, openQuotes[], quotesByStatus[], ordersAwaitingFulfillment[],
//  receivables[{bucket, currency, count, amountDue}], paymentsThisMonth{since, totals[], byDay[]}}
// Receivables are the unpaid invoices (Open, Partially Paid, Payment Failed) by days past
// their due date: "current" (not yet due, or no due date), "1-30", "31-60", "61-90", "90+".
// Payments this month are the succeeded payments (not refunds) received since the first of
// the month (UTC).
Result<nlohmann::json> dashboard(store::Database& db, const Actor& actor);

// The same as of a given day (YYYY-MM-DD, UTC): for tests.
Result<nlohmann::json> dashboard(store::Database& db, const Actor& actor, const std::string& today);

}  // namespace settle::crm
