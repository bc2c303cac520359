// SQLite schema versions. Never edit a released version: add the next one.
#include "store/sqlite/sqlite_migrations.hpp"

namespace parley::store::detail {
namespace {

// Times are INTEGER unix milliseconds. Every per-contact table carries contact_id so the
// data could be sharded by contact.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
);
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  phone TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active',
  wa_id TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT '',
  time_zone TEXT NOT NULL DEFAULT '',
  fields TEXT NOT NULL DEFAULT '{}',
  last_inbound_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  flow_id TEXT NOT NULL,
  flow_revision TEXT NOT NULL,
  state TEXT NOT NULL,
  variables TEXT NOT NULL,
  step INTEGER NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  ended_at INTEGER,
  end_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_one_active ON sessions (contact_id) WHERE status = 'active';
CREATE INDEX sessions_by_contact ON sessions (contact_id, id);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  session_id INTEGER REFERENCES sessions (id),
  direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  provider_sid TEXT NOT NULL DEFAULT '',
  from_addr TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  body TEXT NOT NULL,
  media TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL,
  error_code TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_inbound_sid ON messages (provider_sid)
  WHERE direction = 'inbound' AND provider_sid <> '';
CREATE INDEX messages_by_contact ON messages (contact_id, id);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages (id),
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  from_addr TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  body TEXT NOT NULL,
  media TEXT NOT NULL DEFAULT '[]',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  locked_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id);
CREATE TABLE timers (
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  contact_id INTEGER NOT NULL REFERENCES contacts (id),
  name TEXT NOT NULL,
  due INTEGER NOT NULL,
  step INTEGER NOT NULL,
  keep INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, name)
);
CREATE INDEX timers_due ON timers (due);
CREATE TABLE flows (
  id TEXT NOT NULL,
  revision TEXT NOT NULL,
  source TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  PRIMARY KEY (id, revision)
);
)sql";

// v2: what timers, delivery callbacks and the admin need. Timers are claimed with a lease
// (locked_until), like outbox rows; outbound messages are found by Twilio's sid (status
// callbacks); contacts by id (timer events).
constexpr std::string_view kV2 = R"sql(
ALTER TABLE timers ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_outbound_sid ON messages (provider_sid)
  WHERE direction = 'outbound' AND provider_sid <> '';
)sql";

// v3: an outbound message names the inbound message it answers, so a webhook retry gets the
// replies of the first delivery (docs/architecture.md, "Life of an event"). Replies recorded
// before v3 have none.
constexpr std::string_view kV3 = R"sql(
ALTER TABLE messages ADD COLUMN reply_to INTEGER REFERENCES messages (id);
CREATE INDEX messages_replies ON messages (reply_to) WHERE reply_to IS NOT NULL;
)sql";

// v4: the sender claims only the head of each contact's queue (the oldest row of its
// contact): this index makes "is there an older row of this contact?" one probe instead of
// a sort of the whole outbox on every claim.
constexpr std::string_view kV4 = R"sql(
CREATE INDEX outbox_by_contact ON outbox (contact_id, id);
)sql";

// v5: a WhatsApp template (Twilio's ContentSid and the rendered ContentVariables, a JSON
// object text) on an outbound message and its outbox row, so a flow's template reaches
// Twilio (docs/delivery.md). Empty: a free-form message, as every message before v5.
constexpr std::string_view kV5 = R"sql(
ALTER TABLE messages ADD COLUMN content_sid TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN content_variables TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN content_sid TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN content_variables TEXT NOT NULL DEFAULT '';
)sql";

// v6: what a recurring timer's next occurrence needs (docs/flow-format.md, "Timers"): its
// period, and for an `at` timer the local time of day and the zone. NULL every_seconds: a
// one-shot timer, as every timer before v6.
constexpr std::string_view kV6 = R"sql(
ALTER TABLE timers ADD COLUMN every_seconds INTEGER;
ALTER TABLE timers ADD COLUMN at_seconds INTEGER;
ALTER TABLE timers ADD COLUMN time_zone TEXT;
)sql";

// v7: the admin console (docs/admin.md): its users, their server-side sessions (only a hash
// of the cookie's token), the audit log; and indexes for its dashboard: messages by time,
// active sessions by flow.
constexpr std::string_view kV7 = R"sql(
CREATE TABLE admin_users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE admin_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES admin_users (id),
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  idle_expires_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX admin_sessions_by_user ON admin_sessions (user_id);
CREATE TABLE admin_audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  remote TEXT NOT NULL DEFAULT ''
);
CREATE INDEX messages_by_time ON messages (created_at);
CREATE INDEX sessions_active_by_flow ON sessions (flow_id) WHERE status = 'active';
)sql";

// v8: the history of transitions (docs/admin.md, "History"): every state change of a session,
// written in the event's transaction. Indexes for the contact page's transcript (a contact's
// transitions by time), the flow page's per-state numbers over a period (covering: an
// index-only range scan of the flow's period), retention (by time); and the live sessions
// per state of a flow (partial, covering; it replaces v7's sessions_active_by_flow, a prefix
// of it). The session is not a foreign key: a transition outlives nothing it names, and
// retention removes it on its own schedule.
constexpr std::string_view kV8 = R"sql(
CREATE TABLE transitions (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  flow_id TEXT NOT NULL,
  flow_revision TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  edge_index INTEGER,
  edge_label TEXT NOT NULL DEFAULT '',
  event TEXT NOT NULL,
  moved SMALLINT NOT NULL,
  ended TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL
);
CREATE INDEX transitions_by_contact ON transitions (contact_id, at);
CREATE INDEX transitions_by_flow ON transitions (flow_id, at, from_state, to_state, moved, ended);
CREATE INDEX transitions_by_time ON transitions (at);
CREATE INDEX sessions_active_by_state ON sessions (flow_id, state) WHERE status = 'active';
DROP INDEX sessions_active_by_flow;
)sql";

// v9: the admin's message log filters
// (status, error code; newest first by id) and broadcasts (docs/admin.md, "Broadcast"): one
// row per broadcast with its counts, and its recipients, the queue the background job works
// off in chunks (a claim leases rows, so an instance that stops leaves them to another).
constexpr std::string_view kV9 = R"sql(
CREATE INDEX messages_by_status ON messages (status, id);
CREATE INDEX messages_by_error ON messages (error_code, id) WHERE error_code <> '';
CREATE TABLE broadcasts (
  id INTEGER PRIMARY KEY,
  flow_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done')),
  total INTEGER NOT NULL,
  started INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER
);
CREATE TABLE broadcast_recipients (
  id INTEGER PRIMARY KEY,
  broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
  address TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  fields TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'claimed', 'started', 'failed')),
  lease_until INTEGER,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (id)
  WHERE status IN ('queued', 'claimed');
)sql";

// Version 10: the contact search index (admin contact list; docs/admin.md). A contentless
// FTS5 table with the trigram tokenizer over each contact's address, phone and name, kept in
// step by triggers (an update only when one of the three changes: UpdateContact rewrites the
// name on every event) and filled from the contacts already there. Contentless: the contacts
// table holds the text; the index answers only which rowids hold a substring.
constexpr std::string_view kV10 = R"sql(
CREATE VIRTUAL TABLE contacts_search USING fts5(
  search_address, search_phone, search_name, content = '', tokenize = 'trigram');
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contacts_search (rowid, search_address, search_phone, search_name)
    VALUES (new.id, new.address, new.phone, new.name);
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contacts_search (contacts_search, rowid, search_address, search_phone, search_name)
    VALUES ('delete', old.id, old.address, old.phone, old.name);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF id, address, phone, name ON contacts
  WHEN old.id IS NOT new.id OR old.address IS NOT new.address OR old.phone IS NOT new.phone
    OR old.name IS NOT new.name
BEGIN
  INSERT INTO contacts_search (contacts_search, rowid, search_address, search_phone, search_name)
    VALUES ('delete', old.id, old.address, old.phone, old.name);
  INSERT INTO contacts_search (rowid, search_address, search_phone, search_name)
    VALUES (new.id, new.address, new.phone, new.name);
END;
INSERT INTO contacts_search (rowid, search_address, search_phone, search_name)
  SELECT id, address, phone, name FROM contacts;
)sql";

// Version 11: the flow page's rollup (docs/admin.md, "The numbers of a flow"): entered, left
// and ended per flow, state and UTC day (day = at / 86400000), for the transitions recorded
// before the watermark `rolled_up_to`. Written only by the rollup job (app/transition_rollup.hpp),
// never in an event's transaction. The upgrade fills it from the transitions already there, up
// to two minutes before the latest one (what might still be in flight, as the job's lag).
constexpr std::string_view kV11 = R"sql(
CREATE TABLE transition_rollup (
  flow_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  state TEXT NOT NULL,
  entered_count INTEGER NOT NULL,
  left_count INTEGER NOT NULL,
  ended_count INTEGER NOT NULL,
  PRIMARY KEY (flow_id, day, state)
) WITHOUT ROWID;
CREATE TABLE transition_rollup_watermark (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  rolled_up_to INTEGER NOT NULL
);
INSERT INTO transition_rollup_watermark (id, rolled_up_to)
  SELECT 1, coalesce(max(at) - 120000, 0) FROM transitions;
INSERT INTO transition_rollup (flow_id, day, state, entered_count, left_count, ended_count)
  SELECT flow_id, day, state, sum(e), sum(l), sum(x) FROM (
    SELECT flow_id, at / 86400000 AS day, to_state AS state,
           CASE WHEN moved <> 0 THEN 1 ELSE 0 END AS e, 0 AS l,
           CASE WHEN ended <> '' THEN 1 ELSE 0 END AS x
      FROM transitions WHERE at < (SELECT rolled_up_to FROM transition_rollup_watermark)
    UNION ALL
    SELECT flow_id, at / 86400000, from_state, 0, 1, 0
      FROM transitions WHERE at < (SELECT rolled_up_to FROM transition_rollup_watermark)
        AND moved <> 0 AND from_state <> ''
  ) GROUP BY flow_id, day, state;
)sql";

// Version 12: a broadcast's failed recipients (docs/admin.md, "Broadcast"), listed a page
// at a time in list order and downloaded as CSV: a range of this index, so a page costs the
// same however large the broadcast and however many broadcasts the table holds.
constexpr std::string_view kV12 = R"sql(
CREATE INDEX broadcast_recipients_failed ON broadcast_recipients (broadcast_id, id)
  WHERE status = 'failed';
)sql";

constexpr Migration kMigrations[] = {{1, kV1}, {2, kV2},   {3, kV3},   {4, kV4},
                                     {5, kV5}, {6, kV6},   {7, kV7},   {8, kV8},
                                     {9, kV9}, {10, kV10}, {11, kV11}, {12, kV12}};

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

}  // namespace parley::store::detail
