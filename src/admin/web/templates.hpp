// The admin's HTML templates (mustache: `{{x}}` is HTML-escaped, `{{{x}}}` is not and is
// used only for HTML the admin rendered itself) and its stylesheet, compiled into the binary.
#pragma once

#include <string_view>

namespace parley::admin::web::templates {

extern const std::string_view kLayout;             // title, user, role, csrf, nav items, body
extern const std::string_view kLogin;              // csrf, email, message
extern const std::string_view kDashboard;          // day, inbound, outbound, flows[]
extern const std::string_view kContacts;           // q, contacts[], next
extern const std::string_view kContact;            // see contact_page.cpp
extern const std::string_view kTranscriptEntries;  // entries[] (transcript.hpp)
extern const std::string_view kFlows;              // flows[]
extern const std::string_view kFlow;               // see flows_page.cpp
extern const std::string_view kUsers;              // users[]
extern const std::string_view kAudit;              // entries[], next
extern const std::string_view kError;              // status, message
extern const std::string_view kStylesheet;

}  // namespace parley::admin::web::templates
