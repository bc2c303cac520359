// The broadcast pages (log_pages.hpp): the form, the preview, the confirmation and the
// progress of one broadcast. The work itself is broadcast_worker.hpp's.
#include <algorithm>
#include <map>
#include <utility>

#include "admin/web/broadcast_failures.hpp"
#include "admin/web/broadcast_list.hpp"
#include "admin/web/contact_form.hpp"
#include "admin/web/log_pages.hpp"
#include "admin/web/log_templates.hpp"
#include "admin/web/multipart.hpp"
#include "admin/web/page.hpp"
#include "common/utf8.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

// Invalid lines listed on the preview (the count has them all).
constexpr size_t kInvalidShown = 200;
constexpr int kRecentBroadcasts = 20;

// The fields of a preview or confirmation: a plain form, or multipart with an uploaded
// file (which, when not empty, is the list).
struct BroadcastForm {
  std::string flow;
  std::string list;
  bool restart = false;
};

Result<BroadcastForm> ReadForm(const http::Request& request) {
  BroadcastForm f;
  if (auto boundary = MultipartBoundary(request.Header("Content-Type"))) {
    auto parts = ParseMultipart(request.body, *boundary);
    if (!parts.ok()) {
      return parts.status();
    }
    const auto text = [&](std::string_view name) {
      const FormPart* p = FindPart(*parts, name);
      return p ? p->body : std::string();
    };
    f.flow = text("flow");
    f.list = text("file");
    if (f.list.empty()) {
      f.list = text("list");
    }
    f.restart = !text("restart").empty();
    return f;
  }
  auto form = twilio::DecodeForm(request.body);
  if (!form.ok()) {
    return form.status();
  }
  f.flow = std::string(form->Get("flow"));
  f.list = std::string(form->Get("list"));
  f.restart = !form->Get("restart").empty();
  return f;
}

// The list as the store sees it: which of the valid entries start, why the others do not,
// and the counts.
struct Plan {
  BroadcastList list;
  std::vector<size_t> start;                         // indexes of list.valid
  std::vector<std::pair<size_t, std::string>> skip;  // indexes of list.valid, and why
  int64_t not_active = 0;
  int64_t in_session = 0;
};

Result<Plan> MakePlan(store::Store& store, BroadcastList list, bool restart) {
  Plan plan{std::move(list), {}, {}, 0, 0};
  std::vector<std::string> addresses;
  addresses.reserve(plan.list.valid.size());
  for (const BroadcastEntry& e : plan.list.valid) {
    addresses.push_back(e.address);
  }
  auto standings = store.admin().ContactStandings(addresses);
  if (!standings.ok()) {
    return standings.status();
  }
  std::map<std::string, std::string> skip;  // address: why
  for (const store::ContactStanding& s : *standings) {
    if (s.status != "active") {
      ++plan.not_active;
      skip[s.address] =
          "the contact is " + std::string(s.status == "opted_out" ? "opted out" : s.status);
    } else if (s.in_session) {
      ++plan.in_session;
      if (!restart) {
        skip[s.address] = "already in a session (Also restart was not ticked)";
      }
    }
  }
  for (size_t i = 0; i < plan.list.valid.size(); ++i) {
    if (auto it = skip.find(plan.list.valid[i].address); it != skip.end()) {
      plan.skip.emplace_back(i, it->second);
    } else {
      plan.start.push_back(i);
    }
  }
  return plan;
}

Data FormData(store::Store& store, const BroadcastContext& cx, const Principal& who,
              std::string_view flow, std::string_view list, std::string_view message,
              Status* error) {
  Data d;
  d.set("csrf", who.csrf_token);
  List flows;
  for (const std::string& id : cx.flow_ids ? cx.flow_ids() : std::vector<std::string>()) {
    Data f;
    f.set("id", id);
    f.set("selected", id == flow);
    flows.push_back(f);
  }
  d.set("flows", flows);
  d.set("list", std::string(list));
  if (!message.empty()) {
    d.set("message", std::string(message));
  }
  auto recent = store.admin().Broadcasts(0, kRecentBroadcasts);
  if (!recent.ok()) {
    *error = recent.status();
    return d;
  }
  List rows;
  for (const store::BroadcastRecord& b : *recent) {
    Data row;
    row.set("id", std::to_string(b.id));
    row.set("flow", b.flow_id);
    row.set("by", b.created_by);
    row.set("created", ShortTime(b.created_at));
    row.set("status", b.status);
    row.set("started", std::to_string(b.started));
    row.set("failed", std::to_string(b.failed));
    row.set("total", std::to_string(b.total));
    rows.push_back(row);
  }
  d.set("has_broadcasts", !rows.empty());
  d.set("broadcasts", rows);
  return d;
}

Result<http::Response> FormPage(store::Store& store, const BroadcastContext& cx,
                                const Principal& who, int status, std::string_view flow,
                                std::string_view list, std::string_view message) {
  Status error;
  Data d = FormData(store, cx, who, flow, list, message, &error);
  if (!error.ok()) {
    return error;
  }
  return Html(status,
              Layout("Broadcast", Render(templates::kBroadcastForm, d), &who, "/admin/broadcast"));
}

bool KnownFlow(const BroadcastContext& cx, std::string_view flow) {
  const auto ids = cx.flow_ids ? cx.flow_ids() : std::vector<std::string>();
  return std::find(ids.begin(), ids.end(), flow) != ids.end();
}

}  // namespace

Result<http::Response> BroadcastFormPage(store::Store& store, const BroadcastContext& cx,
                                         const http::Request&, const Principal& who) {
  return FormPage(store, cx, who, 200, "", "", "");
}

Result<http::Response> BroadcastPreview(store::Store& store, const BroadcastContext& cx,
                                        const http::Request& request, const Principal& who) {
  auto form = ReadForm(request);
  if (!form.ok()) {
    return ErrorPage(400, "The form could not be read.", &who);
  }
  if (!KnownFlow(cx, form->flow)) {
    return FormPage(store, cx, who, 400, form->flow, "", "Choose one of the loaded flows.");
  }
  auto list = ParseBroadcastList(form->list);
  if (!list.ok()) {
    // The text is shown again only when it is text.
    return FormPage(store, cx, who, 400, form->flow, IsValidUtf8(form->list) ? form->list : "",
                    list.status().message());
  }
  if (list->valid.empty() && list->invalid.empty()) {
    return FormPage(store, cx, who, 400, form->flow, "", "The list is empty.");
  }
  auto plan = MakePlan(store, std::move(*list), form->restart);
  if (!plan.ok()) {
    return plan.status();
  }
  Data d;
  d.set("csrf", who.csrf_token);
  d.set("flow", form->flow);
  d.set("list", form->list);
  d.set("restart", form->restart);
  d.set("start", std::to_string(plan->start.size()));
  d.set("valid", std::to_string(plan->list.valid.size()));
  d.set("invalid_count", std::to_string(plan->list.invalid.size()));
  d.set("opted_out", std::to_string(plan->not_active));
  d.set("in_session", std::to_string(plan->in_session));
  List invalid;
  for (size_t i = 0; i < plan->list.invalid.size() && i < kInvalidShown; ++i) {
    Data row;
    row.set("line", std::to_string(plan->list.invalid[i].line));
    row.set("reason", plan->list.invalid[i].reason);
    invalid.push_back(row);
  }
  d.set("has_invalid", !invalid.empty());
  d.set("invalid", invalid);
  if (plan->list.invalid.size() > kInvalidShown) {
    d.set("more_invalid", std::to_string(plan->list.invalid.size() - kInvalidShown));
  }
  return Html(200, Layout("Broadcast preview", Render(templates::kBroadcastPreview, d), &who,
                          "/admin/broadcast"));
}

Result<http::Response> BroadcastConfirm(store::Store& store, const BroadcastContext& cx,
                                        const http::Request& request, const Principal& who) {
  auto form = ReadForm(request);
  if (!form.ok()) {
    return ErrorPage(400, "The form could not be read.", &who);
  }
  if (!KnownFlow(cx, form->flow)) {
    return FormPage(store, cx, who, 400, form->flow, "", "Choose one of the loaded flows.");
  }
  auto list = ParseBroadcastList(form->list);
  if (!list.ok()) {
    return FormPage(store, cx, who, 400, form->flow, "", list.status().message());
  }
  // Checked again: contacts may have opted out or started a session since the preview.
  auto plan = MakePlan(store, std::move(*list), form->restart);
  if (!plan.ok()) {
    return plan.status();
  }
  if (plan->start.empty()) {
    return FormPage(store, cx, who, 409, form->flow, form->list,
                    "No contact of the list can start the flow.");
  }
  // Every line of the list is a recipient, in list order: those that cannot start are
  // failed from the start, with the reason, so the broadcast's page lists them
  // (broadcast_failures.hpp).
  std::vector<std::pair<size_t, store::BroadcastRecipient>> lines;  // line, recipient
  lines.reserve(plan->list.valid.size() + plan->list.invalid.size());
  const auto add = [&](const BroadcastEntry& e, std::string error) {
    store::BroadcastRecipient r;
    r.address = e.address;
    r.name = e.name;
    r.fields_json = e.fields_json;
    r.error = std::move(error);
    lines.emplace_back(e.line, std::move(r));
  };
  for (const size_t i : plan->start) {
    add(plan->list.valid[i], "");
  }
  for (const auto& [i, why] : plan->skip) {
    add(plan->list.valid[i], why);
  }
  for (const InvalidLine& bad : plan->list.invalid) {
    store::BroadcastRecipient r;
    r.address = bad.number;
    r.name = bad.name;
    r.error = "line " + std::to_string(bad.line) + ": " + bad.reason;
    lines.emplace_back(bad.line, std::move(r));
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<store::BroadcastRecipient> recipients;
  recipients.reserve(lines.size());
  for (auto& [line, r] : lines) {
    recipients.push_back(std::move(r));
  }
  const TimePoint now = cx.clock != nullptr ? cx.clock->Now() : SystemClock().Now();
  store::BroadcastRecord broadcast;
  broadcast.flow_id = form->flow;
  broadcast.created_by = who.email;
  broadcast.created_at = now;
  store::AuditRecord audit;
  audit.at = now;
  audit.actor = who.email;
  audit.action = "broadcast_created";
  audit.detail = form->flow + ": " + std::to_string(plan->start.size()) + " contacts";
  audit.remote = ClientAddress(request);
  PARLEY_RETURN_IF_ERROR(store.admin().CreateBroadcast(broadcast, recipients, audit));
  if (cx.wake_worker) {
    cx.wake_worker();
  }
  return Redirect("/admin/broadcasts/" + std::to_string(broadcast.id));
}

Result<http::Response> BroadcastProgressPage(store::Store& store, const http::Request& request,
                                             const Principal& who) {
  const int64_t id = ContactIdParam(request);
  auto found = store.admin().Broadcasts(id, 1);
  if (!found.ok()) {
    return found.status();
  }
  if (id == 0 || found->empty()) {
    return ErrorPage(404, "No such broadcast.", &who);
  }
  const store::BroadcastRecord& b = found->front();
  Data d;
  d.set("id", std::to_string(b.id));
  d.set("flow", b.flow_id);
  d.set("by", b.created_by);
  d.set("created", ShortTime(b.created_at));
  d.set("status", b.status);
  d.set("done", b.status == "done");
  if (b.finished_at) {
    d.set("finished", ShortTime(*b.finished_at));
  }
  d.set("queued", std::to_string(b.total - b.started - b.failed));
  d.set("started", std::to_string(b.started));
  d.set("failed", std::to_string(b.failed));
  d.set("total", std::to_string(b.total));
  PARLEY_RETURN_IF_ERROR(AddBroadcastFailures(store, request, b, d));
  return Html(200, Layout("Broadcast #" + std::to_string(b.id),
                          Render(templates::kBroadcastProgress, d), &who, "/admin/broadcast"));
}

}  // namespace parley::admin::web
