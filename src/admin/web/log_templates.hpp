// The templates of the message log and the broadcast pages (messages_page.cpp,
// broadcast_page.cpp), compiled into the binary like templates.hpp's; the same escaping rules.
#pragma once

#include <string_view>

namespace parley::admin::web::templates {

extern const std::string_view kMessages;           // filters, statuses[], messages[], next
extern const std::string_view kBroadcastForm;      // csrf, flows[], message, broadcasts[]
extern const std::string_view kBroadcastPreview;   // csrf, flow, counts, invalid[], list
extern const std::string_view kBroadcastProgress;  // broadcast's numbers, done

}  // namespace parley::admin::web::templates
