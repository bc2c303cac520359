// The admin benchmark's database (issue 11, "Performance"): contacts, their messages and
// sessions in bulk, written with INSERT ... SELECT over a series (generate_series on
// PostgreSQL, a recursive CTE on SQLite) as test/support/timer_seed does, so ten million
// messages take minutes, not the hours the Store's per-row calls would.
//
// Contact i (1-based) is AdminSeedPhone(i) (every tenth on WhatsApp, "whatsapp:" + phone),
// named from 37 first and 53 last names (every tenth has no name, one in 100,000 is the rare
// "Zebulon Quartermaine"), with a city and a plan in its fields; one in 50 opted out. The
// messages go round the contacts (about messages / contacts each, alternately inbound and
// outbound, one in 97 failed with 30003), except that contact kHeavyContact(contacts) gets
// exactly 1,000 spread over the whole id range. Every fifth contact has a completed session,
// every twentieth an active one too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::bench {

struct AdminSeed {
  int64_t contacts = 1'000'000;
  int64_t messages = 10'000'000;  // a multiple of 1,000, at least 1,000
};

// "+1" + a 3-digit area code + 7 digits: unique for i < 10,000,000.
std::string AdminSeedPhone(int64_t i);
// The contact with exactly 1,000 messages (a multiple of 20: it has an active session).
int64_t HeavyContact(const AdminSeed& seed);

// Writes the rows into a migrated, empty database; `progress` hears one line per step.
Status SeedAdmin(std::string_view database_url, const AdminSeed& seed,
                 const std::function<void(const std::string&)>& progress);

}  // namespace parley::bench
