#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"

namespace parley::admin::web {

Result<http::Response> DashboardPage(store::Store& store, const Clock& clock, const http::Request&,
                                     const Principal& who) {
  const TimePoint midnight = std::chrono::floor<std::chrono::days>(clock.Now());
  auto counts = store.admin().CountMessagesSince(midnight);
  if (!counts.ok()) {
    return counts.status();
  }
  auto flows = store.admin().ActiveSessionsByFlow();
  if (!flows.ok()) {
    return flows.status();
  }
  Data d;
  d.set("day", FormatUtc(midnight).substr(0, 10));
  d.set("inbound", std::to_string(counts->inbound));
  d.set("outbound", std::to_string(counts->outbound));
  List rows;
  for (const store::FlowSessionCount& f : *flows) {
    Data row;
    row.set("flow", f.flow_id);
    row.set("active", std::to_string(f.active));
    rows.push_back(row);
  }
  d.set("has_flows", !rows.empty());
  d.set("flows", rows);
  return Html(200, Layout("Dashboard", Render(templates::kDashboard, d), &who, "/admin"));
}

}  // namespace parley::admin::web
