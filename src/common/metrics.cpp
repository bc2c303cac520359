#include "common/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace parley::metrics {
namespace {

constexpr char kKeySeparator = '\xff';

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return false;
    }
  }
  return true;
}

void AppendUnsigned(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendSigned(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

// Shortest text that reads back as the same double; Prometheus spellings for the rest.
void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Plain decimals where they stay short ("0.0005", not "5e-04"), exponents elsewhere.
  constexpr double kFixedMin = 1e-6;
  constexpr double kFixedMax = 1e15;
  char buf[64];
  double magnitude = std::fabs(v);
  auto [end, ec] = (magnitude == 0 || (magnitude >= kFixedMin && magnitude < kFixedMax))
                       ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

// HELP text: backslash and newline escaped.
void AppendHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Label values: backslash, double quote and newline escaped.
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// `l1="v1",l2="v2"` (no braces).
std::string RenderLabels(const std::vector<std::string>& names,
                         const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += names[i];
    out += "=\"";
    AppendLabelValue(out, values[i]);
    out += '"';
  }
  return out;
}

void AppendSampleName(std::string& out, std::string_view name, std::string_view suffix,
                      std::string_view labels) {
  out += name;
  out += suffix;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
}

void Render(std::string& out, std::string_view name, std::string_view labels,
            const Counter& counter) {
  AppendSampleName(out, name, "", labels);
  AppendUnsigned(out, counter.Value());
  out += '\n';
}

void Render(std::string& out, std::string_view name, std::string_view labels, const Gauge& gauge) {
  AppendSampleName(out, name, "", labels);
  AppendSigned(out, gauge.Value());
  out += '\n';
}

void Render(std::string& out, std::string_view name, std::string_view labels,
            const Histogram& histogram) {
  Histogram::Snapshot snapshot = histogram.Read();
  std::string bucket_labels(labels);
  if (!bucket_labels.empty()) {
    bucket_labels += ',';
  }
  const size_t prefix = bucket_labels.size();
  for (size_t i = 0; i <= snapshot.upper_bounds.size(); ++i) {
    bucket_labels.resize(prefix);
    bucket_labels += "le=\"";
    if (i < snapshot.upper_bounds.size()) {
      AppendDouble(bucket_labels, snapshot.upper_bounds[i]);
    } else {
      bucket_labels += "+Inf";
    }
    bucket_labels += '"';
    AppendSampleName(out, name, "_bucket", bucket_labels);
    AppendUnsigned(out, snapshot.cumulative[i]);
    out += '\n';
  }
  AppendSampleName(out, name, "_sum", labels);
  AppendDouble(out, snapshot.sum);
  out += '\n';
  AppendSampleName(out, name, "_count", labels);
  AppendUnsigned(out, snapshot.count);
  out += '\n';
}

void CheckBounds(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly ascending");
    }
  }
}

}  // namespace

// --- Histogram ---

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1)) {
  CheckBounds(upper_bounds_);
}

std::vector<double> Histogram::LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) {
    return;
  }
  // The first bucket whose bound is >= value ("le"); past the last: +Inf.
  size_t i = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative.resize(upper_bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = total;
  }
  snapshot.count = total;  // +Inf always equals _count, even mid-update
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

// --- Family ---

template <typename Metric>
Metric& Family<Metric>::WithLabels(std::initializer_list<std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument("metric family needs " + std::to_string(label_names_.size()) +
                                " label values, got " + std::to_string(values.size()));
  }
  thread_local std::string key;
  key.clear();
  for (std::string_view value : values) {
    key += value;
    key += kKeySeparator;
  }
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(key);
    if (it != children_.end()) {
      return *it->second.metric;
    }
  }
  std::unique_lock lock(mu_);
  auto it = children_.find(key);
  if (it == children_.end()) {
    Child child{std::vector<std::string>(values.begin(), values.end()), make_()};
    it = children_.emplace(key, std::move(child)).first;
  }
  return *it->second.metric;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- Registry ---

struct Registry::Entry {
  std::string name;
  std::string help;
  std::string_view type;
  std::vector<std::string> label_names;
  std::shared_ptr<void> owner;               // the metric or family
  std::function<void(std::string&)> render;  // its samples
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Add(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  if (!ValidName(name, /*allow_colon=*/true)) {
    throw std::invalid_argument("bad metric name '" + name + "'");
  }
  for (const std::string& label : label_names) {
    if (!ValidName(label, /*allow_colon=*/false) || label.starts_with("__")) {
      throw std::invalid_argument("bad label name '" + label + "' in metric '" + name + "'");
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& entry : entries_) {
    if (entry->name == name) {
      throw std::invalid_argument("metric '" + name + "' registered twice");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->label_names = std::move(label_names);
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

namespace {

template <typename Metric>
std::function<void(std::string&)> RenderOne(const std::string& name, const Metric* metric) {
  return [&name, metric](std::string& out) { Render(out, name, "", *metric); };
}

}  // namespace

Counter& Registry::AddCounter(std::string name, std::string help) {
  Entry& entry = Add(std::move(name), std::move(help), {});
  auto counter = std::make_shared<Counter>();
  entry.type = "counter";
  entry.render = RenderOne(entry.name, counter.get());
  entry.owner = counter;
  return *counter;
}

Gauge& Registry::AddGauge(std::string name, std::string help) {
  Entry& entry = Add(std::move(name), std::move(help), {});
  auto gauge = std::make_shared<Gauge>();
  entry.type = "gauge";
  entry.render = RenderOne(entry.name, gauge.get());
  entry.owner = gauge;
  return *gauge;
}

Histogram& Registry::AddHistogram(std::string name, std::string help,
                                  std::vector<double> upper_bounds) {
  CheckBounds(upper_bounds);
  Entry& entry = Add(std::move(name), std::move(help), {});
  auto histogram = std::make_shared<Histogram>(std::move(upper_bounds));
  entry.type = "histogram";
  entry.render = RenderOne(entry.name, histogram.get());
  entry.owner = histogram;
  return *histogram;
}

template <typename Metric>
Family<Metric>& Registry::AddFamily(std::string name, std::string help,
                                    std::vector<std::string> label_names, std::string_view type,
                                    std::function<std::unique_ptr<Metric>()> make) {
  Entry& entry = Add(std::move(name), std::move(help), label_names);
  std::shared_ptr<Family<Metric>> family(
      new Family<Metric>(std::move(label_names), std::move(make)));
  entry.type = type;
  entry.render = [&entry, f = family.get()](std::string& out) {
    std::shared_lock lock(f->mu_);
    for (const auto& [key, child] : f->children_) {
      Render(out, entry.name, RenderLabels(entry.label_names, child.values), *child.metric);
    }
  };
  entry.owner = family;
  return *family;
}

CounterFamily& Registry::AddCounterFamily(std::string name, std::string help,
                                          std::vector<std::string> label_names) {
  return AddFamily<Counter>(std::move(name), std::move(help), std::move(label_names), "counter",
                            [] { return std::make_unique<Counter>(); });
}

GaugeFamily& Registry::AddGaugeFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return AddFamily<Gauge>(std::move(name), std::move(help), std::move(label_names), "gauge",
                          [] { return std::make_unique<Gauge>(); });
}

HistogramFamily& Registry::AddHistogramFamily(std::string name, std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> upper_bounds) {
  CheckBounds(upper_bounds);
  for (const std::string& label : label_names) {
    if (label == "le") {
      throw std::invalid_argument("histogram '" + name + "' cannot have a label named le");
    }
  }
  return AddFamily<Histogram>(
      std::move(name), std::move(help), std::move(label_names), "histogram",
      [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); });
}

std::string Registry::RenderText() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& entry : entries_) {
    out += "# HELP ";
    out += entry->name;
    out += ' ';
    AppendHelp(out, entry->help);
    out += "\n# TYPE ";
    out += entry->name;
    out += ' ';
    out += entry->type;
    out += '\n';
    entry->render(out);
  }
  return out;
}

}  // namespace parley::metrics
