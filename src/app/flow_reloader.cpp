#include "app/flow_reloader.hpp"

#include <sstream>

#include "app/flow_folder.hpp"
#include "common/log.hpp"

namespace parley::app {

namespace {

// The script files as they are on disk now, to compare with what a flow read.
std::vector<ScriptRead> Reread(const std::vector<ScriptRead>& scripts) {
  std::vector<ScriptRead> now;
  now.reserve(scripts.size());
  for (const ScriptRead& s : scripts) {
    auto text = ReadFile(s.path);
    now.push_back({s.path, text.ok() ? ContentRevision(*text) : "unreadable"});
  }
  return now;
}

bool SameScripts(const std::vector<ScriptRead>& a, const std::vector<ScriptRead>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].path != b[i].path || a[i].revision != b[i].revision) {
      return false;
    }
  }
  return true;
}

std::string Names(const std::vector<ReloadReport::Flow>& flows, bool revisions) {
  std::string out;
  for (const ReloadReport::Flow& f : flows) {
    out += (out.empty() ? "" : ", ") + f.id;
    if (revisions) {
      out += " " + f.old_revision + " -> " + f.revision;
    }
  }
  return out;
}

json::Value FlowsJson(const std::vector<ReloadReport::Flow>& flows) {
  json::Array out;
  for (const ReloadReport::Flow& f : flows) {
    json::Object o{{"path", f.path}, {"flow", f.id}, {"revision", f.revision}};
    if (!f.old_revision.empty()) {
      o.emplace_back("old_revision", f.old_revision);
    }
    out.emplace_back(std::move(o));
  }
  return json::Value(std::move(out));
}

}  // namespace

std::string ReloadReport::Summary() const {
  if (!refused.empty()) {
    return "flow reload refused, nothing changed: " + refused;
  }
  std::string out;
  const auto add = [&out](size_t n, const char* what, const std::string& names) {
    if (n > 0) {
      out += (out.empty() ? "" : "; ") + std::to_string(n) + " " + what + " (" + names + ")";
    }
  };
  add(added.size(), "added", Names(added, false));
  add(changed.size(), "changed", Names(changed, true));
  add(removed.size(), "removed", Names(removed, false));
  std::string files;
  for (const Rejected& r : rejected) {
    files += (files.empty() ? "" : ", ") + r.path;
  }
  add(rejected.size(), "rejected, the revision before keeps serving", files);
  return "flows reloaded: " + (out.empty() ? std::string("unchanged") : out);
}

json::Value ReloadReport::ToJson() const {
  json::Array rejected_json;
  for (const Rejected& r : rejected) {
    rejected_json.emplace_back(
        json::Object{{"path", r.path}, {"flow", r.id}, {"diagnostics", r.diagnostics}});
  }
  return json::Value(json::Object{{"ok", ok()},
                                  {"published", published},
                                  {"added", FlowsJson(added)},
                                  {"changed", FlowsJson(changed)},
                                  {"removed", FlowsJson(removed)},
                                  {"rejected", std::move(rejected_json)},
                                  {"refused", refused}});
}

FlowReloader::FlowReloader(store::Store& store, const Clock& clock, metrics::Registry& registry,
                           FlowReloaderOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      reloads_(registry.AddCounterFamily(
          "parley_flow_reloads_total",
          "Flow reloads (SIGHUP, admin, API), by result: ok (new revisions published), "
          "unchanged (nothing to do), rejected (a file had errors and its old revision kept "
          "serving, or the whole reload was refused).",
          {"result"})),
      loaded_(registry.AddGauge("parley_flows_loaded", "Flows serving now.")) {}

Status FlowReloader::LoadInitial() {
  std::lock_guard lock(reload_mutex_);
  // The folder's own errors keep their codes (NotFound, Unavailable, InvalidArgument).
  if (auto listed = ListFlowFiles(options_.dir); !listed.ok()) {
    return listed.status();
  }
  entries_.clear();
  rejections_.clear();
  Status refusal;
  ReloadReport report = Scan(/*initial=*/true, &refusal);
  if (!report.rejected.empty()) {
    std::string text;
    for (const ReloadReport::Rejected& r : report.rejected) {
      text += r.diagnostics;
    }
    return Status::InvalidArgument("invalid flows in '" + options_.dir + "':\n" + text);
  }
  if (!refusal.ok()) {
    return refusal;
  }
  for (const ReloadReport::Flow& f : report.added) {
    Log(LogLevel::kInfo, "flow '" + f.id + "' revision " + f.revision + " from " + f.path);
  }
  return Status::Ok();
}

ReloadReport FlowReloader::Reload(Logging logging) {
  std::lock_guard lock(reload_mutex_);
  ReloadReport report = Scan(/*initial=*/false);
  for (const ReloadReport::Rejected& r : report.rejected) {
    // One entry per diagnostic line: a log entry is one line (docs/architecture.md).
    std::istringstream lines(r.diagnostics);
    for (std::string line; std::getline(lines, line);) {
      Log(LogLevel::kError, "flow reload: rejected " + r.path + ": " + line);
    }
  }
  if (!report.ok()) {
    reloads_.WithLabels("rejected").Inc();
    Log(LogLevel::kError, report.Summary());
  } else {
    reloads_.WithLabels(report.published ? "ok" : "unchanged").Inc();
    const bool quiet = !report.published && logging == Logging::kChangesOnly;
    Log(quiet ? LogLevel::kDebug : LogLevel::kInfo, report.Summary());
  }
  return report;
}

ReloadReport FlowReloader::Scan(bool initial, Status* refusal) {
  ReloadReport report;
  const auto refuse = [&](const Status& s, std::string reason) {
    report.refused = std::move(reason);
    if (refusal != nullptr) {
      *refusal = Status(s.code(), report.refused);
    }
    return report;
  };
  auto listed = ListFlowFiles(options_.dir);
  if (!listed.ok()) {
    return refuse(listed.status(), listed.status().message());
  }
  std::map<std::string, Entry> next;
  std::map<std::string, Rejection> next_rejections;
  std::vector<store::FlowRecord> to_save;
  const TimePoint now = clock_.Now();
  for (const std::string& path : *listed) {
    const auto current = entries_.find(path);
    const bool serving = current != entries_.end();
    const std::string serving_id = serving ? current->second.flow->id : "";
    const auto keep_serving = [&] {
      if (serving) {
        next.emplace(path, current->second);
      }
    };
    auto text = ReadFile(path);
    if (!text.ok()) {
      report.rejected.push_back({path, serving_id, text.status().message() + "\n"});
      keep_serving();
      continue;
    }
    const std::string revision = ContentRevision(*text);
    if (serving && current->second.flow->revision == revision &&
        SameScripts(current->second.scripts, Reread(current->second.scripts))) {
      keep_serving();
      continue;
    }
    if (const auto before = rejections_.find(path);
        before != rejections_.end() && before->second.revision == revision &&
        SameScripts(before->second.scripts, Reread(before->second.scripts))) {
      report.rejected.push_back({path, serving_id, before->second.diagnostics});
      next_rejections.emplace(path, before->second);
      keep_serving();
      continue;
    }
    LoadedFlow loaded = CompileFlowText(path, *text, options_.registry, options_.scripts);
    if (!loaded.result.flow) {
      std::ostringstream diagnostics;
      PrintDiagnostics(loaded, diagnostics);
      report.rejected.push_back({path, serving_id, diagnostics.str()});
      next_rejections.emplace(path, Rejection{revision, loaded.scripts, diagnostics.str()});
      keep_serving();
      continue;
    }
    const std::shared_ptr<const flow::Flow>& flow = loaded.result.flow;
    (serving ? report.changed : report.added)
        .push_back({path, flow->id, revision, serving ? current->second.flow->revision : ""});
    to_save.push_back({flow->id, revision, std::move(*text), now});
    next.emplace(path, Entry{flow, std::move(loaded.scripts)});
  }
  for (const auto& [path, entry] : entries_) {
    if (!next.contains(path)) {  // a rejected file that served is in `next` still
      report.removed.push_back({path, entry.flow->id, entry.flow->revision, ""});
    }
  }
  rejections_ = std::move(next_rejections);
  if (!initial && report.added.empty() && report.changed.empty() && report.removed.empty()) {
    return report;  // nothing to publish
  }

  std::vector<std::shared_ptr<const flow::Flow>> flows;
  flows.reserve(next.size());
  for (const auto& [path, entry] : next) {  // by path: file-name order, as at the start
    flows.push_back(entry.flow);
  }
  auto catalog = conversation::FlowCatalog::Build(std::move(flows));
  if (!catalog.ok()) {
    return refuse(catalog.status(), catalog.status().message());
  }
  if (!initial && !options_.start_flow.empty() &&
      (*catalog)->Find(options_.start_flow) == nullptr) {
    return refuse(Status::FailedPrecondition(""),
                  "the start flow '" + options_.start_flow +
                      "' (PARLEY_START_FLOW) would no longer be loaded");
  }
  // Saved before they serve: a session never names a revision the flows table lacks.
  for (const store::FlowRecord& record : to_save) {
    if (Status s = store_.SaveFlow(record); !s.ok()) {
      return refuse(s, "cannot record flow '" + record.id + "' revision " + record.revision +
                           " in the database: " + s.message());
    }
  }
  loaded_.Set(static_cast<int64_t>((*catalog)->flows().size()));
  catalog_.store(std::move(*catalog));
  entries_ = std::move(next);
  report.published = true;
  return report;
}

}  // namespace parley::app
