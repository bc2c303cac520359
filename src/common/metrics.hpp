// A small Prometheus registry: counters, gauges, histograms and label families, rendered
// in the text exposition format 0.0.4 for GET /metrics.
//
// Thread-safety: every metric is updated lock-free (relaxed atomics) from any thread.
// Registration and Family::WithLabels take a lock; look a labelled child up once and keep
// the reference when it sits on a hot path. References returned by the registry and by
// families stay valid for the registry's lifetime.
//
// Naming mistakes (a bad metric or label name, a name registered twice, a wrong number of
// label values) are programming errors: they throw std::invalid_argument at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"

namespace parley::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed buckets given by their upper bounds (ascending, finite; +Inf is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);

  // Request latency in seconds: 0.0005 .. 10.
  static std::vector<double> LatencyBuckets();

  // NaN is ignored.
  void Observe(double value);
  void ObserveDuration(std::chrono::nanoseconds d) {
    Observe(std::chrono::duration<double>(d).count());
  }

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0};
};

// Children of one metric told apart by label values; names fixed at registration.
template <typename Metric>
class Family {
 public:
  // The child for these label values (one per label name), created on first use.
  Metric& WithLabels(std::initializer_list<std::string_view> values);
  Metric& WithLabels(std::string_view value) { return WithLabels({value}); }

 private:
  friend class Registry;
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  struct Child {
    std::vector<std::string> values;
    std::unique_ptr<Metric> metric;
  };

  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::shared_mutex mu_;
  // Keyed by the label values joined with '\xff' (which UTF-8 never contains).
  std::map<std::string, Child, std::less<>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> upper_bounds);
  CounterFamily& AddCounterFamily(std::string name, std::string help,
                                  std::vector<std::string> label_names);
  GaugeFamily& AddGaugeFamily(std::string name, std::string help,
                              std::vector<std::string> label_names);
  HistogramFamily& AddHistogramFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds);

  // Every metric in registration order, children of a family sorted by label values.
  std::string RenderText() const;

  // The Content-Type of RenderText's output.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Entry;
  Entry& Add(std::string name, std::string help, std::vector<std::string> label_names);
  // A family entry of `type` whose children `make` creates (defined in metrics.cpp).
  template <typename Metric>
  Family<Metric>& AddFamily(std::string name, std::string help,
                            std::vector<std::string> label_names, std::string_view type,
                            std::function<std::unique_ptr<Metric>()> make);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace parley::metrics
