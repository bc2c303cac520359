// The dashboard (docs/admin.md, "Dashboard"): today's messages, the last 24 hours' delivery
// rate and failures, an hourly chart, and the active sessions per flow. Every number is one
// range of an index (messages_by_time, the active sessions' partial index).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"

namespace parley::admin::web {
namespace {

using std::chrono::hours;

// Inline SVG (no script, no style attribute: the admin's CSP allows it; the stylesheet colours
// the bars by class): two bars an hour, inbound and outbound, scaled to the busiest hour, each
// with a <title> a screen reader and a hover read.
std::string HourlyChart(const std::vector<store::HourlyMessages>& hours_seen, TimePoint first) {
  constexpr int kHours = 24, kBarWidth = 8, kSlot = 2 * kBarWidth + 6, kHeight = 80, kAxis = 14;
  std::vector<store::HourlyMessages> slots(kHours);
  int64_t peak = 1;
  for (int i = 0; i < kHours; ++i) {
    slots[i].hour = first + hours(i);
  }
  for (const store::HourlyMessages& h : hours_seen) {
    const auto i = std::chrono::duration_cast<hours>(h.hour - first).count();
    if (i >= 0 && i < kHours) {
      slots[i].inbound = h.inbound;
      slots[i].outbound = h.outbound;
      peak = std::max({peak, h.inbound, h.outbound});
    }
  }
  const int width = kHours * kSlot;
  std::string svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + std::to_string(width) +
                    " " + std::to_string(kHeight + kAxis) +
                    "\" aria-label=\"Messages per hour over the last 24 hours (UTC)\">";
  const auto bar = [&](int x, int64_t n, const char* cls, const std::string& title) {
    const int h = static_cast<int>(n * kHeight / peak);
    svg += "<rect class=\"" + std::string(cls) + "\" x=\"" + std::to_string(x) + "\" y=\"" +
           std::to_string(kHeight - h) + "\" width=\"" + std::to_string(kBarWidth) +
           "\" height=\"" + std::to_string(h) + "\"><title>" + title + "</title></rect>";
  };
  for (int i = 0; i < kHours; ++i) {
    const std::string hour = FormatUtc(slots[i].hour).substr(11, 5);
    const int x = i * kSlot;
    bar(x, slots[i].inbound, "in", hour + " UTC: " + std::to_string(slots[i].inbound) + " in");
    bar(x + kBarWidth, slots[i].outbound, "out",
        hour + " UTC: " + std::to_string(slots[i].outbound) + " out");
    if (i % 6 == 0) {
      svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(kHeight + kAxis - 2) +
             "\">" + hour + "</text>";
    }
  }
  return svg + "</svg>";
}

}  // namespace

Result<http::Response> DashboardPage(store::Store& store, const Clock& clock, const http::Request&,
                                     const Principal& who) {
  const TimePoint now = clock.Now();
  const TimePoint midnight = std::chrono::floor<std::chrono::days>(now);
  const TimePoint first_hour = std::chrono::floor<hours>(now) - hours(23);
  auto counts = store.admin().CountMessagesSince(midnight);
  if (!counts.ok()) {
    return counts.status();
  }
  auto flows = store.admin().ActiveSessionsByFlow();
  if (!flows.ok()) {
    return flows.status();
  }
  auto per_hour = store.admin().MessagesPerHour(first_hour);
  if (!per_hour.ok()) {
    return per_hour.status();
  }
  auto statuses = store.admin().OutboundStatusesSince(now - hours(24));
  if (!statuses.ok()) {
    return statuses.status();
  }
  // Delivered of those whose fate is known (delivered, failed, undelivered); the rest is
  // still on its way and counts for neither.
  int64_t delivered = 0, failed = 0, undelivered = 0, pending = 0;
  for (const store::StatusCount& s : *statuses) {
    (s.status == "delivered"     ? delivered
     : s.status == "failed"      ? failed
     : s.status == "undelivered" ? undelivered
                                 : pending) += s.count;
  }
  Data d;
  d.set("day", FormatUtc(midnight).substr(0, 10));
  d.set("inbound", std::to_string(counts->inbound));
  d.set("outbound", std::to_string(counts->outbound));
  const int64_t settled = delivered + failed + undelivered;
  char rate[16] = "\u2014";
  if (settled > 0) {
    std::snprintf(rate, sizeof rate, "%.1f%%",
                  100.0 * static_cast<double>(delivered) / static_cast<double>(settled));
  }
  d.set("rate", std::string(rate));
  d.set("delivered", std::to_string(delivered));
  d.set("failed", std::to_string(failed));
  d.set("undelivered", std::to_string(undelivered));
  d.set("pending", std::to_string(pending));
  d.set("attention", failed + undelivered > 0);
  d.set("chart", HourlyChart(*per_hour, first_hour));
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
