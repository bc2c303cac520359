// The flows pages (pages.hpp: FlowsPage, FlowPage, FlowDot).
#include <map>

#include "admin/web/flow_graph.hpp"
#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"
#include "flow/describe.hpp"
#include "flow/graph_dot.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

// Flow ids go into paths: percent-encoded there (FormEscape), decoded from the path
// parameter the same way.
// "1 state", "2 states": the flow page's summary line.
std::string Counted(std::size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string FlowPath(std::string_view id) { return "/admin/flows/" + twilio::FormEscape(id); }

std::string FlowIdParam(const http::Request& request) {
  auto decoded = twilio::DecodeForm("id=" + std::string(request.PathParam("id")));
  return decoded.ok() ? std::string(decoded->Get("id")) : std::string();
}

std::shared_ptr<const flow::Flow> FindFlow(const conversation::FlowCatalog* catalog,
                                           std::string_view id) {
  return catalog != nullptr && !id.empty() ? catalog->Find(id) : nullptr;
}

// "?days=N" between 1 and kMaxFlowPeriodDays; anything else is the default.
int DaysParam(const http::Request& request) {
  auto query = twilio::DecodeForm(request.query);
  if (!query.ok()) {
    return kFlowPeriodDays;
  }
  const std::string_view v = query->Get("days");
  int days = 0;
  for (const char c : v) {
    if (c < '0' || c > '9' || days > kMaxFlowPeriodDays) {
      return kFlowPeriodDays;
    }
    days = days * 10 + (c - '0');
  }
  return days >= 1 && days <= kMaxFlowPeriodDays ? days : kFlowPeriodDays;
}

std::string ShortRevision(std::string_view revision) { return std::string(revision.substr(0, 12)); }

// The period is whole UTC days (the rollup's days, app/transition_rollup.hpp): today and
// the days - 1 before.
std::string PeriodText(int days) {
  return days == 1   ? "today"
         : days == 2 ? "today and the day before"
                     : "today and the " + std::to_string(days - 1) + " days before";
}

TimePoint PeriodStart(TimePoint now, int days) {
  return std::chrono::floor<std::chrono::days>(now) - std::chrono::days(days - 1);
}

}  // namespace

Result<http::Response> FlowsPage(store::Store& store, const conversation::FlowCatalog* catalog,
                                 const Principal& who) {
  auto live = store.admin().ActiveSessionsByFlow();
  if (!live.ok()) {
    return live.status();
  }
  std::map<std::string, int64_t, std::less<>> live_by_flow;
  for (const store::FlowSessionCount& c : *live) {
    live_by_flow[c.flow_id] = c.active;
  }
  List flows;
  if (catalog != nullptr) {
    for (const auto& f : catalog->flows()) {
      Data row;
      row.set("id", f->id);
      row.set("path", FlowPath(f->id));
      row.set("revision", ShortRevision(f->revision));
      row.set("states", std::to_string(f->states.size()));
      const auto it = live_by_flow.find(f->id);
      row.set("live", std::to_string(it == live_by_flow.end() ? 0 : it->second));
      row.set("warnings", std::to_string(f->warnings.size()));
      flows.push_back(row);
    }
  }
  Data d;
  d.set("has_flows", !flows.empty());
  d.set("flows", flows);
  return Html(200, Layout("Flows", Render(templates::kFlows, d), &who, "/admin/flows"));
}

Result<http::Response> FlowPage(store::Store& store, const Clock& clock,
                                const conversation::FlowCatalog* catalog,
                                const http::Request& request, const Principal& who,
                                const FlowReloadResult* reload) {
  const auto flow = FindFlow(catalog, FlowIdParam(request));
  if (flow == nullptr) {
    return ErrorPage(404, "No such flow is loaded.", &who);
  }
  const int days = DaysParam(request);
  const TimePoint since = PeriodStart(clock.Now(), days);

  // The numbers: live sessions per state (an index-only count), and the period's moves (the
  // rollup's rows of its days and the transitions not yet rolled up: AdminStore).
  auto live = store.ActiveSessionStates(flow->id);
  if (!live.ok()) {
    return live.status();
  }
  auto moves = store.admin().FlowStateStats(flow->id, since);
  if (!moves.ok()) {
    return moves.status();
  }
  std::vector<StateNumbers> numbers(flow->states.size());
  // States the flow no longer has (sessions or history of an earlier revision), by name.
  std::map<std::string, StateNumbers, std::less<>> gone;
  const auto slot = [&](std::string_view state) -> StateNumbers& {
    const auto it = flow->by_name.find(state);
    return it != flow->by_name.end() ? numbers[it->second] : gone[std::string(state)];
  };
  int64_t live_total = 0;
  for (const store::StateCount& c : *live) {
    slot(c.state).now = c.sessions;
    live_total += c.sessions;
  }
  for (const store::StateStats& s : *moves) {
    StateNumbers& n = slot(s.state);
    n.entered = s.entered;
    n.left = s.left;
    n.ended = s.ended;
  }

  Data d;
  d.set("id", flow->id);
  d.set("path", FlowPath(flow->id));
  d.set("revision", ShortRevision(flow->revision));
  d.set("state_count", Counted(flow->states.size(), "state"));
  d.set("edge_count", Counted(flow->EdgeCount(), "edge"));
  d.set("live", Counted(static_cast<std::size_t>(live_total), "live session"));
  d.set("period", PeriodText(days));
  List periods;
  for (const int p : {1, 7, 30, 90, 365}) {
    Data o;
    o.set("days", std::to_string(p));
    o.set("label", PeriodText(p));
    o.set("selected", p == days);
    periods.push_back(o);
  }
  d.set("periods", periods);
  d.set("svg", FlowGraphSvg(*flow, numbers));  // escaped by FlowGraphSvg itself

  List states;
  for (size_t i = 0; i < flow->states.size(); ++i) {
    const flow::State& s = flow->states[i];
    Data row;
    row.set("name", s.name);
    row.set("terminal", s.terminal());
    row.set("now", std::to_string(numbers[i].now));
    row.set("entered", std::to_string(numbers[i].entered));
    row.set("left", std::to_string(numbers[i].left));
    row.set("ended", std::to_string(numbers[i].ended));
    List edges;
    for (const flow::Edge& e : s.edges) {
      Data edge;
      edge.set("label", flow::DescribeCondition(e.condition));
      edge.set("target", flow->states[e.target].name);
      edges.push_back(edge);
    }
    row.set("has_edges", !edges.empty());
    row.set("edges", edges);
    states.push_back(row);
  }
  d.set("states", states);
  List gone_rows;
  for (const auto& [name, n] : gone) {
    Data row;
    row.set("name", name);
    row.set("now", std::to_string(n.now));
    row.set("entered", std::to_string(n.entered));
    row.set("left", std::to_string(n.left));
    row.set("ended", std::to_string(n.ended));
    gone_rows.push_back(row);
  }
  d.set("has_gone", !gone_rows.empty());
  d.set("gone", gone_rows);

  List warnings;
  for (const std::string& w : flow->warnings) {
    warnings.push_back(Data(w));
  }
  d.set("has_warnings", !warnings.empty());
  d.set("warnings", warnings);

  auto revisions = store.admin().FlowRevisions(flow->id);
  if (!revisions.ok()) {
    return revisions.status();
  }
  List revision_rows;
  for (const store::FlowRevisionRecord& r : *revisions) {
    Data row;
    row.set("revision", ShortRevision(r.revision));
    row.set("loaded", ShortTime(r.loaded_at));
    row.set("current", r.revision == flow->revision);
    revision_rows.push_back(row);
  }
  d.set("revisions", revision_rows);

  if (Allows(who.role, Role::kAdmin)) {
    d.set("can_reload", true);
    d.set("csrf", who.csrf_token);
  }
  int status = 200;
  if (reload != nullptr) {
    Data r;
    r.set("summary", reload->summary);
    r.set("outcome", reload->ok() ? "applied" : "failed");
    List errors;
    for (const std::string& e : reload->errors) {
      errors.push_back(Data(e));
    }
    r.set("has_errors", !errors.empty());
    r.set("errors", errors);
    List changes;
    for (const std::string& c : reload->changes) {
      changes.push_back(Data(c));
    }
    r.set("has_changes", !changes.empty());
    r.set("changes", changes);
    d.set("reload", r);
    status = reload->ok() ? 200 : 422;
  }
  return Html(status,
              Layout("Flow " + flow->id, Render(templates::kFlow, d), &who, "/admin/flows"));
}

Result<http::Response> FlowDot(const conversation::FlowCatalog* catalog,
                               const http::Request& request, const Principal& who) {
  const auto flow = FindFlow(catalog, FlowIdParam(request));
  if (flow == nullptr) {
    return ErrorPage(404, "No such flow is loaded.", &who);
  }
  http::Response r;
  r.content_type = "text/vnd.graphviz; charset=utf-8";
  r.body = flow::ToDot(*flow);
  AddSecurityHeaders(r);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"flow.dot\"");
  return r;
}

}  // namespace parley::admin::web
