// What the contacts page's search box becomes: a LIKE pattern for
// store::AdminStore::ListContacts.
#pragma once

#include <string>
#include <string_view>

namespace parley::admin {

// Searches longer than this are cut (a search box, not a document).
inline constexpr size_t kMaxSearchLength = 100;

// "" for an empty search. A search that looks like a phone number ("+1 (555) 123-4567",
// "5551234") matches addresses and phones containing its digits; anything else matches
// the text anywhere in the address, phone or name. LIKE's wildcards (%, _) and the escape
// character (\) in the search are matched literally. Text (or digits) of three characters
// or more is found through the trigram index of schema version 10 (docs/admin.md);
// shorter searches scan the contacts newest first.
std::string ContactSearchPattern(std::string_view search);

}  // namespace parley::admin
