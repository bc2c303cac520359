// `parley import-lima`: LIMA's users become contacts and their active sessions parley
// sessions of one flow (docs/migrating-from-lima.md, "Importing contacts and sessions").
//
// Per user: the number is normalised (chat type "WhatsApp" -> "whatsapp:+E164", a missing
// '+' added, then E.164 by libphonenumber), the name kept; of the user's active sessions the
// newest (created, then id) is imported at the state its pickled pysm machine was in
// (lima/pysm_machine.hpp) — which must be a state of the flow — with the variables
// last_user_bgcheck_value and stop_session_flag when LIMA had them. Each user is one
// transaction: its contact and session are written together or not at all.
//
// Idempotent: an existing contact (same address) is reused (its name is filled in only when
// it has none); a contact with an active session already keeps it — reported as already
// imported when it is this flow at that state, else as a row that cannot be imported — as
// is a session for a contact that is not active in parley (opted out, invalid).
// Every row that cannot be imported is reported with why (and skipped rows too: inactive
// users, older active sessions); the others are imported.
#pragma once

#include <ostream>
#include <string>

#include "app/lima_source.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/address.hpp"
#include "flow/model.hpp"
#include "store/store.hpp"

namespace parley::app {

struct LimaImportOptions {
  bool dry_run = false;  // report what would be imported; write nothing
  std::string default_region = "US";
  TimePoint now{};  // the sessions' updated_at
};

struct LimaImportSummary {
  int contacts_created = 0;
  int contacts_existing = 0;
  int sessions_imported = 0;
  int sessions_existing = 0;  // already imported by an earlier run
  int refused = 0;            // rows that cannot be imported
  int skipped = 0;            // inactive users, older active sessions
};

// LIMA's phone_number and chat_type as a parley address. InvalidArgument saying why (the
// number as LIMA has it, unmasked: this is for the operator, not a log).
Result<conversation::Address> LimaAddress(const LimaUser& user, std::string_view default_region);

// Imports `data` into `store` as sessions of `flow` (whose revision must be recorded in the
// store unless dry_run), writing one line per user, session and refused or skipped row to
// `out`, then a summary line. A store error stops the import (what was committed stays: a
// second run completes it).
Result<LimaImportSummary> ImportLima(const LimaData& data, const flow::Flow& flow,
                                     store::Store& store, const LimaImportOptions& options,
                                     std::ostream& out);

}  // namespace parley::app
