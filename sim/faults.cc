#include "sim/faults.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/det_math.h"
#include "sim/rng.h"
#include "src/core/assert.h"

namespace intsim::sim {
namespace {

using core::Status;
using core::TimeUs;
using nlohmann::json;

constexpr std::array<std::string_view, kFaultKindCount> kNames = {
    "latency",
    "drop",
    "duplicate",
    "reorder",
    "delay_spike",
    "partition",
    "clog",
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "http_429",
    "request_timeout",
    "ambiguous_commit",
    "slow_response",
    "truncated_body",
    "garbled_body",
    "crash",
    "clock_skew",
    "store_failure",
    "webhook_replay_inside",
    "webhook_replay_outside",
    "webhook_tamper",
    "webhook_forge",
    "webhook_strip_signature",
    "webhook_wrong_secret",
    "webhook_retired_secret",
};

constexpr double kSecondsMax = 1e9;  // about 31 years: plenty, and far from overflow in us

TimeUs seconds_to_us(double s) { return static_cast<TimeUs>(std::llround(s * 1e6)); }
TimeUs ms_to_us(double ms) { return static_cast<TimeUs>(std::llround(ms * 1e3)); }
double us_to_seconds(TimeUs us) { return static_cast<double>(us) / 1e6; }
double us_to_ms(TimeUs us) { return static_cast<double>(us) / 1e3; }

std::string got(const json& j) {
  std::string s = j.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Reads the fields of one JSON object, remembering which ones were used so that unknown
// fields (typos) are reported, and stopping at the first error.
class ObjectReader {
 public:
  ObjectReader(const json& obj, std::string pointer) : obj_(obj), ptr_(std::move(pointer)) {}

  const std::string& pointer() const { return ptr_; }
  bool ok() const { return status_.is_ok(); }
  Status status() const { return status_; }
  bool has(std::string_view name) const { return obj_.contains(name); }

  void fail(std::string_view field, std::string_view what) {
    if (!ok()) return;
    status_ = Status::invalid_argument(field.empty() ? fmt::format("{}: {}", ptr_, what)
                                                     : fmt::format("{}/{}: {}", ptr_, field, what));
  }

  // A number in [lo, hi]; `fallback` when absent (nullopt: required).
  double number(std::string_view name, double lo, double hi, std::optional<double> fallback,
                std::string_view required_because = "") {
    allowed_.insert(std::string(name));
    if (!ok()) return fallback.value_or(lo);
    const auto it = obj_.find(name);
    if (it == obj_.end()) {
      if (!fallback) fail("", fmt::format("missing \"{}\"{}", name, required_because));
      return fallback.value_or(lo);
    }
    if (!it->is_number() || std::isnan(it->get<double>()) || it->get<double>() < lo ||
        it->get<double>() > hi) {
      fail(name, fmt::format("expected a number in [{}, {}], got {}", fmt_num(lo), fmt_num(hi),
                             got(*it)));
      return fallback.value_or(lo);
    }
    return it->get<double>();
  }

  std::int64_t integer(std::string_view name, std::int64_t lo, std::int64_t hi,
                       std::int64_t fallback) {
    allowed_.insert(std::string(name));
    if (!ok()) return fallback;
    const auto it = obj_.find(name);
    if (it == obj_.end()) return fallback;
    if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
      fail(name, fmt::format("expected an integer in [{}, {}], got {}", lo, hi, got(*it)));
      return fallback;
    }
    return it->get<std::int64_t>();
  }

  std::string string(std::string_view name, std::optional<std::string> fallback,
                     std::string_view required_because = "") {
    allowed_.insert(std::string(name));
    if (!ok()) return fallback.value_or("");
    const auto it = obj_.find(name);
    if (it == obj_.end()) {
      if (!fallback) fail("", fmt::format("missing \"{}\"{}", name, required_because));
      return fallback.value_or("");
    }
    if (!it->is_string() || it->get<std::string>().empty()) {
      fail(name, fmt::format("expected a non-empty string, got {}", got(*it)));
      return fallback.value_or("");
    }
    return it->get<std::string>();
  }

  // One of `choices`.
  std::string choice(std::string_view name, const std::vector<std::string_view>& choices,
                     std::string fallback) {
    allowed_.insert(std::string(name));
    if (!ok()) return fallback;
    const auto it = obj_.find(name);
    if (it == obj_.end()) return fallback;
    if (it->is_string()) {
      const auto s = it->get<std::string>();
      for (std::string_view c : choices)
        if (s == c) return s;
    }
    std::string list;
    for (std::string_view c : choices)
      list += fmt::format("{}\"{}\"", list.empty() ? "" : " or ", c);
    fail(name, fmt::format("expected {}, got {}", list, got(*it)));
    return fallback;
  }

  // A sub-object, or nullptr when absent (an error if present but not an object).
  const json* object(std::string_view name) {
    allowed_.insert(std::string(name));
    if (!ok()) return nullptr;
    const auto it = obj_.find(name);
    if (it == obj_.end()) return nullptr;
    if (!it->is_object()) {
      fail(name, fmt::format("expected an object, got {}", got(*it)));
      return nullptr;
    }
    return &*it;
  }

  // A field read by hand.
  void allow(std::string_view name) { allowed_.insert(std::string(name)); }

  // Takes the first error of a nested reader.
  void adopt(const Status& s) {
    if (ok() && !s.is_ok()) status_ = s;
  }

  // A field that this kind does not take, with a clearer message than "unknown field".
  void forbid(std::string_view name, std::string_view why) {
    if (ok() && has(name)) fail(name, why);
  }

  // Reports the first field that no reader asked for (in the object's key order).
  void reject_unknown(std::string_view context) {
    if (!ok()) return;
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (allowed_.count(it.key())) continue;
      std::string list;
      for (const auto& a : allowed_) list += (list.empty() ? "" : ", ") + a;
      fail(it.key(), fmt::format("unknown field{} (expected one of: {})", context, list));
      return;
    }
  }

  static std::string fmt_num(double x) {
    if (x == std::floor(x) && std::fabs(x) < 1e15)
      return fmt::format("{}", static_cast<long long>(x));
    return fmt::format("{}", x);
  }

 private:
  const json& obj_;
  std::string ptr_;
  std::set<std::string> allowed_;
  Status status_;
};

bool is_probabilistic(FaultKind k) {
  switch (fault_layer(k)) {
    case FaultLayer::kNetwork:
      return k == FaultKind::kDrop || k == FaultKind::kDuplicate || k == FaultKind::kReorder ||
             k == FaultKind::kDelaySpike;
    case FaultLayer::kHttp:
    case FaultLayer::kSecurity:
      return true;
    case FaultLayer::kProcess:
      return k == FaultKind::kStoreFailure;
  }
  return false;
}

void read_latency(ObjectReader& r, LatencyDist* d) {
  const std::string dist =
      r.choice("dist", {"constant", "uniform", "normal", "lognormal", "exponential", "pareto"}, "");
  if (!r.ok()) return;
  if (dist.empty()) {
    r.fail("", "missing \"dist\" (constant, uniform, normal, lognormal, exponential or pareto)");
    return;
  }
  constexpr double kMsMax = 3'600'000.0;
  if (dist == "constant") {
    d->shape = LatencyDist::Shape::kConstant;
    d->a = r.number("ms", 0, kMsMax, std::nullopt, " (for dist \"constant\")");
    d->b = 0;
  } else if (dist == "uniform") {
    d->shape = LatencyDist::Shape::kUniform;
    d->a = r.number("min_ms", 0, kMsMax, std::nullopt, " (for dist \"uniform\")");
    d->b = r.number("max_ms", 0, kMsMax, std::nullopt, " (for dist \"uniform\")");
    if (r.ok() && d->b < d->a)
      r.fail("max_ms", fmt::format("expected a number >= min_ms ({}), got {}",
                                   ObjectReader::fmt_num(d->a), ObjectReader::fmt_num(d->b)));
  } else if (dist == "normal") {
    d->shape = LatencyDist::Shape::kNormal;
    d->a = r.number("mean_ms", 0, kMsMax, std::nullopt, " (for dist \"normal\")");
    d->b = r.number("stddev_ms", 0, kMsMax, std::nullopt, " (for dist \"normal\")");
  } else if (dist == "lognormal") {
    d->shape = LatencyDist::Shape::kLognormal;
    d->a = r.number("median_ms", 0.001, kMsMax, std::nullopt, " (for dist \"lognormal\")");
    d->b = r.number("sigma", 0, 5, std::nullopt, " (for dist \"lognormal\")");
  } else if (dist == "exponential") {
    d->shape = LatencyDist::Shape::kExponential;
    d->a = r.number("mean_ms", 0, kMsMax, std::nullopt, " (for dist \"exponential\")");
    d->b = 0;
  } else {
    d->shape = LatencyDist::Shape::kPareto;
    d->a = r.number("min_ms", 0.001, kMsMax, std::nullopt, " (for dist \"pareto\")");
    d->b = r.number("shape", 0.1, 100, std::nullopt, " (for dist \"pareto\")");
  }
}

void read_link(ObjectReader& r, FaultSpec* spec, bool security) {
  if (const json* link = r.object("link")) {
    ObjectReader lr(*link, r.pointer() + "/link");
    spec->link_from = lr.string("from", std::string("*"));
    spec->link_to = lr.string("to", std::string(security ? "core" : "*"));
    lr.reject_unknown("");
    r.adopt(lr.status());
  } else if (security) {
    spec->link_to = "core";
  }
}

// Extra-delay parameters: "<name>" (fixed or minimum) and "<name>_max" (optional maximum).
void read_extra(ObjectReader& r, std::string_view name, double fallback_ms, TimeUs* lo_us,
                TimeUs* hi_us) {
  constexpr double kMsMax = 7 * 24 * 3'600'000.0;
  const double lo = r.number(name, 0, kMsMax, fallback_ms);
  const std::string max_name = std::string(name) + "_max";
  const double hi = r.number(max_name, 0, kMsMax, lo);
  if (r.ok() && hi < lo)
    r.fail(max_name, fmt::format("expected a number >= {} ({}), got {}", name,
                                 ObjectReader::fmt_num(lo), ObjectReader::fmt_num(hi)));
  *lo_us = ms_to_us(lo);
  *hi_us = ms_to_us(hi);
}

Status parse_spec(const json& j, std::size_t index, const std::string& ptr, FaultSpec* spec) {
  if (!j.is_object())
    return Status::invalid_argument(fmt::format("{}: expected an object, got {}", ptr, got(j)));
  ObjectReader r(j, ptr);
  const std::string kind_name = r.string("kind", std::nullopt);
  if (!r.ok()) return r.status();
  const auto kind = fault_kind_from_name(kind_name);
  if (!kind) {
    std::string list;
    for (std::string_view n : kNames) list += fmt::format("{}{}", list.empty() ? "" : ", ", n);
    return Status::invalid_argument(fmt::format(
        "{}/kind: unknown fault kind \"{}\" (expected one of: {})", ptr, kind_name, list));
  }
  *spec = FaultSpec{};
  spec->kind = *kind;
  spec->index = index;
  r.string("comment", std::string());  // free text for scenario authors

  const double from_s = r.number("from_s", 0, kSecondsMax, 0.0);
  spec->from_us = seconds_to_us(from_s);
  if (r.has("until_s")) {
    const double until_s = r.number("until_s", 0, kSecondsMax, 0.0);
    if (r.ok() && until_s <= from_s)
      r.fail("until_s", fmt::format("expected a number > from_s ({}), got {}",
                                    ObjectReader::fmt_num(from_s), ObjectReader::fmt_num(until_s)));
    spec->until_us = seconds_to_us(until_s);
  } else {
    r.number("until_s", 0, kSecondsMax, 0.0);  // marks it allowed
    if (*kind == FaultKind::kClog)
      r.fail("",
             "missing \"until_s\" (required for kind \"clog\": held messages are "
             "released when the window closes)");
  }

  const std::string because = fmt::format(" (required for kind \"{}\")", kind_name);
  if (is_probabilistic(*kind)) {
    spec->probability = r.number("probability", 0, 1, std::nullopt, because);
  } else {
    r.forbid("probability", fmt::format("kind \"{}\" takes no probability: it applies to every "
                                        "message or event in its window",
                                        kind_name));
  }

  switch (fault_layer(*kind)) {
    case FaultLayer::kNetwork: {
      read_link(r, spec, false);
      const std::string dir = r.choice("direction", {"both", "forward"}, "both");
      spec->both_directions = dir == "both";
      switch (*kind) {
        case FaultKind::kLatency:
          read_latency(r, &spec->latency);
          break;
        case FaultKind::kReorder:
          read_extra(r, "window_ms", 200.0, &spec->extra_us_min, &spec->extra_us_max);
          spec->extra_us_min = 0;
          r.forbid("window_ms_max",
                   "reorder takes only window_ms (the hold-back is drawn in "
                   "[0, window_ms])");
          break;
        case FaultKind::kDelaySpike:
          read_extra(r, "extra_ms", 5000.0, &spec->extra_us_min, &spec->extra_us_max);
          break;
        default:
          break;
      }
      break;
    }
    case FaultLayer::kHttp:
      spec->peer = r.string("peer", std::string("*"));
      spec->path_prefix = r.string("path_prefix", std::string());
      if (*kind == FaultKind::kHttp429)
        spec->retry_after_s = r.integer("retry_after_s", 0, 86'400, 1);
      if (*kind == FaultKind::kSlowResponse)
        read_extra(r, "extra_ms", 1000.0, &spec->extra_us_min, &spec->extra_us_max);
      break;
    case FaultLayer::kProcess:
      spec->node = r.string("node", std::nullopt, because);
      if (*kind == FaultKind::kCrash) {
        const bool at = r.has("at_s"), mean = r.has("mean_interval_s");
        if (r.ok() && at == mean)
          r.fail("",
                 "crash takes exactly one of \"at_s\" (one crash) or \"mean_interval_s\" "
                 "(random crashes in the window)");
        if (at)
          spec->at_us = seconds_to_us(r.number("at_s", 0, kSecondsMax, 0.0));
        else
          r.number("at_s", 0, kSecondsMax, 0.0);
        if (mean) {
          spec->mean_interval_us =
              seconds_to_us(r.number("mean_interval_s", 0.001, kSecondsMax, 1.0));
        } else {
          r.number("mean_interval_s", 0.001, kSecondsMax, 1.0);
        }
        spec->restart_after_us = seconds_to_us(r.number("restart_after_s", 0, 86'400.0, 10.0));
      } else if (*kind == FaultKind::kClockSkew) {
        spec->offset_us = ms_to_us(r.number("offset_ms", -86'400'000.0, 86'400'000.0, 0.0));
        spec->drift_ppm = r.number("drift_ppm", -100'000.0, 100'000.0, 0.0);
      }
      break;
    case FaultLayer::kSecurity:
      read_link(r, spec, true);
      spec->both_directions = false;
      r.forbid("direction", "security faults act on requests into the link's \"to\" node only");
      spec->path_prefix = r.string("path_prefix", std::string("/webhooks/"));
      break;
  }
  r.reject_unknown(fmt::format(" for kind \"{}\"", kind_name));
  return r.status();
}

Status parse_swarm(const json& j, const std::string& ptr, SwarmOptions* out) {
  *out = SwarmOptions{};
  if (j.is_boolean()) return Status::ok();
  if (!j.is_object())
    return Status::invalid_argument(
        fmt::format("{}: expected true or an object, got {}", ptr, got(j)));
  ObjectReader r(j, ptr);
  out->phase_us = seconds_to_us(r.number("phase_s", 1, kSecondsMax, 600.0));
  out->enable_probability = r.number("enable_probability", 0, 1, 0.5);
  out->intensity = r.number("intensity", 0, 100, 1.0);
  if (const auto it = j.find("kinds"); it != j.end()) {
    if (!it->is_array())
      return Status::invalid_argument(
          fmt::format("{}/kinds: expected an array of fault kinds, got {}", ptr, got(*it)));
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& k = (*it)[i];
      const auto kind = k.is_string() ? fault_kind_from_name(k.get<std::string>()) : std::nullopt;
      if (!kind || *kind == FaultKind::kLatency)
        return Status::invalid_argument(
            fmt::format("{}/kinds/{}: expected the name of a fault kind other than latency, got {}",
                        ptr, i, got(k)));
      out->kinds.push_back(*kind);
    }
  }
  r.allow("kinds");  // validated above
  r.reject_unknown(" for swarm");
  return r.status();
}

}  // namespace

std::string_view fault_kind_name(FaultKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == name) return static_cast<FaultKind>(i);
  return std::nullopt;
}

FaultLayer fault_layer(FaultKind kind) {
  if (kind <= FaultKind::kClog) return FaultLayer::kNetwork;
  if (kind <= FaultKind::kGarbledBody) return FaultLayer::kHttp;
  if (kind <= FaultKind::kStoreFailure) return FaultLayer::kProcess;
  return FaultLayer::kSecurity;
}

std::uint64_t FaultCounts::total() const {
  std::uint64_t n = 0;
  for (std::uint64_t c : by_kind) n += c;
  return n;
}

TimeUs LatencyDist::sample_us(Rng& rng) const {
  double ms = 0;
  switch (shape) {
    case Shape::kConstant:
      ms = a;
      break;
    case Shape::kUniform:
      ms = a + (b - a) * rng.next_double();
      break;
    case Shape::kNormal:
      ms = a + b * rng.normal();
      break;
    case Shape::kLognormal:
      ms = a * det_exp(b * rng.normal());
      break;
    case Shape::kExponential:
      ms = rng.exponential(a);
      break;
    case Shape::kPareto:
      ms = rng.pareto(a, b);
      break;
  }
  constexpr double kMsMax = 3'600'000.0;
  if (!(ms > 0)) ms = 0;  // also NaN
  if (ms > kMsMax) ms = kMsMax;
  return static_cast<TimeUs>(ms * 1000.0);
}

Status parse_fault_plan(const json& fragment, FaultPlan* out, std::string_view pointer_prefix) {
  const std::string prefix(pointer_prefix);
  *out = FaultPlan{};
  if (!fragment.is_object())
    return Status::invalid_argument(
        fmt::format("{}: expected an object with \"faults\" and/or \"swarm\", got {}",
                    prefix.empty() ? "/" : prefix, got(fragment)));
  for (auto it = fragment.begin(); it != fragment.end(); ++it) {
    if (it.key() != "faults" && it.key() != "swarm")
      return Status::invalid_argument(
          fmt::format("{}/{}: unknown field (expected one of: faults, swarm)", prefix, it.key()));
  }
  if (const auto it = fragment.find("faults"); it != fragment.end()) {
    if (!it->is_array())
      return Status::invalid_argument(
          fmt::format("{}/faults: expected an array, got {}", prefix, got(*it)));
    for (std::size_t i = 0; i < it->size(); ++i) {
      FaultSpec spec;
      const Status s = parse_spec((*it)[i], i, fmt::format("{}/faults/{}", prefix, i), &spec);
      if (!s) return s;
      out->specs.push_back(std::move(spec));
    }
  }
  if (const auto it = fragment.find("swarm"); it != fragment.end()) {
    if (!(it->is_boolean() && !it->get<bool>())) {
      SwarmOptions swarm;
      const Status s = parse_swarm(*it, prefix + "/swarm", &swarm);
      if (!s) return s;
      out->swarm = swarm;
    }
  }
  return Status::ok();
}

Status parse_fault_plan_text(std::string_view text, FaultPlan* out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::invalid_argument("fault plan: not valid JSON");
  return parse_fault_plan(j, out);
}

json to_json(const FaultSpec& s) {
  json j;
  j["kind"] = std::string(fault_kind_name(s.kind));
  if (s.from_us != 0) j["from_s"] = us_to_seconds(s.from_us);
  if (s.until_us != kForever) j["until_s"] = us_to_seconds(s.until_us);
  if (is_probabilistic(s.kind)) j["probability"] = s.probability;
  switch (fault_layer(s.kind)) {
    case FaultLayer::kNetwork:
      j["link"] = {{"from", s.link_from}, {"to", s.link_to}};
      j["direction"] = s.both_directions ? "both" : "forward";
      if (s.kind == FaultKind::kLatency) {
        const LatencyDist& d = s.latency;
        switch (d.shape) {
          case LatencyDist::Shape::kConstant:
            j["dist"] = "constant";
            j["ms"] = d.a;
            break;
          case LatencyDist::Shape::kUniform:
            j["dist"] = "uniform";
            j["min_ms"] = d.a;
            j["max_ms"] = d.b;
            break;
          case LatencyDist::Shape::kNormal:
            j["dist"] = "normal";
            j["mean_ms"] = d.a;
            j["stddev_ms"] = d.b;
            break;
          case LatencyDist::Shape::kLognormal:
            j["dist"] = "lognormal";
            j["median_ms"] = d.a;
            j["sigma"] = d.b;
            break;
          case LatencyDist::Shape::kExponential:
            j["dist"] = "exponential";
            j["mean_ms"] = d.a;
            break;
          case LatencyDist::Shape::kPareto:
            j["dist"] = "pareto";
            j["min_ms"] = d.a;
            j["shape"] = d.b;
            break;
        }
      } else if (s.kind == FaultKind::kReorder) {
        j["window_ms"] = us_to_ms(s.extra_us_max);
      } else if (s.kind == FaultKind::kDelaySpike) {
        j["extra_ms"] = us_to_ms(s.extra_us_min);
        j["extra_ms_max"] = us_to_ms(s.extra_us_max);
      }
      break;
    case FaultLayer::kHttp:
      j["peer"] = s.peer;
      if (!s.path_prefix.empty()) j["path_prefix"] = s.path_prefix;
      if (s.kind == FaultKind::kHttp429) j["retry_after_s"] = s.retry_after_s;
      if (s.kind == FaultKind::kSlowResponse) {
        j["extra_ms"] = us_to_ms(s.extra_us_min);
        j["extra_ms_max"] = us_to_ms(s.extra_us_max);
      }
      break;
    case FaultLayer::kProcess:
      j["node"] = s.node;
      if (s.kind == FaultKind::kCrash) {
        if (s.mean_interval_us > 0)
          j["mean_interval_s"] = us_to_seconds(s.mean_interval_us);
        else
          j["at_s"] = us_to_seconds(s.at_us);
        j["restart_after_s"] = us_to_seconds(s.restart_after_us);
      } else if (s.kind == FaultKind::kClockSkew) {
        j["offset_ms"] = us_to_ms(s.offset_us);
        j["drift_ppm"] = s.drift_ppm;
      }
      break;
    case FaultLayer::kSecurity:
      j["link"] = {{"from", s.link_from}, {"to", s.link_to}};
      j["path_prefix"] = s.path_prefix;
      break;
  }
  return j;
}

json to_json(const FaultPlan& plan) {
  json j;
  j["faults"] = json::array();
  for (const FaultSpec& s : plan.specs) j["faults"].push_back(to_json(s));
  if (plan.swarm) {
    const SwarmOptions& o = *plan.swarm;
    json sw;
    sw["phase_s"] = us_to_seconds(o.phase_us);
    sw["enable_probability"] = o.enable_probability;
    sw["intensity"] = o.intensity;
    if (!o.kinds.empty()) {
      sw["kinds"] = json::array();
      for (FaultKind k : o.kinds) sw["kinds"].push_back(std::string(fault_kind_name(k)));
    }
    j["swarm"] = sw;
  }
  return j;
}

Status check_node_names(const FaultPlan& plan, const std::vector<std::string>& nodes,
                        std::string_view pointer_prefix) {
  std::vector<std::string> sorted = nodes;
  std::sort(sorted.begin(), sorted.end());
  auto known = [&](const std::string& n) {
    return n == "*" || std::binary_search(sorted.begin(), sorted.end(), n);
  };
  auto error = [&](const FaultSpec& s, std::string_view field, const std::string& name) {
    std::string list;
    for (const auto& n : sorted) list += (list.empty() ? "" : ", ") + n;
    return Status::invalid_argument(fmt::format("{}/faults/{}/{}: unknown node \"{}\" (known: {})",
                                                pointer_prefix, s.index, field, name, list));
  };
  for (const FaultSpec& s : plan.specs) {
    switch (fault_layer(s.kind)) {
      case FaultLayer::kNetwork:
      case FaultLayer::kSecurity:
        if (!known(s.link_from)) return error(s, "link/from", s.link_from);
        if (!known(s.link_to)) return error(s, "link/to", s.link_to);
        break;
      case FaultLayer::kHttp:
        if (!known(s.peer)) return error(s, "peer", s.peer);
        break;
      case FaultLayer::kProcess:
        if (s.node == "*" || !known(s.node)) return error(s, "node", s.node);
        break;
    }
  }
  return Status::ok();
}

std::vector<FaultKind> swarmable_kinds() {
  std::vector<FaultKind> kinds;
  for (std::size_t i = 0; i < kFaultKindCount; ++i) {
    const auto k = static_cast<FaultKind>(i);
    if (k != FaultKind::kLatency) kinds.push_back(k);
  }
  return kinds;
}

FaultPlan draw_swarm(const SwarmOptions& options, const SwarmTopology& topology, Rng& rng) {
  FaultPlan plan;
  const std::vector<FaultKind> kinds = options.kinds.empty() ? swarmable_kinds() : options.kinds;
  const TimeUs phase_us = std::max<TimeUs>(options.phase_us, core::kUsPerSec);
  // Each kind draws from its own child stream, so listing fewer kinds in `options.kinds` does
  // not change what the others draw.
  for (FaultKind kind : kinds) {
    Rng krng = rng.child(fault_kind_name(kind));
    if (!krng.bernoulli(options.enable_probability)) continue;
    FaultSpec s;
    s.kind = kind;
    s.from_us = 0;
    s.until_us = phase_us;
    auto lu = [&](double lo, double hi) {
      const double x = det_exp(det_log(lo) + (det_log(hi) - det_log(lo)) * krng.next_double());
      return std::min(1.0, x * options.intensity);
    };
    auto ms = [&](double lo, double hi) { return ms_to_us(lo + (hi - lo) * krng.next_double()); };
    auto peer = [&]() -> std::string {
      if (topology.peers.empty()) return "*";
      return topology.peers[krng.uniform(topology.peers.size())];
    };
    auto win = [&](double min_fraction, double max_fraction) {
      const auto len =
          static_cast<TimeUs>(static_cast<double>(phase_us) *
                              (min_fraction + (max_fraction - min_fraction) * krng.next_double()));
      const TimeUs length_us = std::max<TimeUs>(len, core::kUsPerSec);
      s.from_us = static_cast<TimeUs>(
          krng.uniform(static_cast<std::uint64_t>(std::max<TimeUs>(phase_us - length_us, 1))));
      s.until_us = s.from_us + length_us;
    };
    switch (kind) {
      case FaultKind::kLatency:
        continue;
      case FaultKind::kDrop:
        s.probability = lu(0.001, 0.2);
        break;
      case FaultKind::kDuplicate:
        s.probability = lu(0.01, 0.3);
        break;
      case FaultKind::kReorder:
        s.probability = lu(0.02, 0.5);
        s.extra_us_max = ms(10, 2000);
        break;
      case FaultKind::kDelaySpike:
        s.probability = lu(0.001, 0.05);
        s.extra_us_min = ms(500, 5000);
        s.extra_us_max = s.extra_us_min + ms(0, 25000);
        break;
      case FaultKind::kPartition:
        s.link_from = topology.core;
        s.link_to = peer();
        s.both_directions = krng.bernoulli(0.5);
        win(0.02, 0.25);
        break;
      case FaultKind::kClog:
        s.link_from = topology.core;
        s.link_to = peer();
        s.both_directions = krng.bernoulli(0.5);
        win(0.01, 0.1);
        break;
      case FaultKind::kHttp500:
      case FaultKind::kHttp502:
      case FaultKind::kHttp503:
      case FaultKind::kHttp504:
      case FaultKind::kRequestTimeout:
      case FaultKind::kAmbiguousCommit:
      case FaultKind::kTruncatedBody:
      case FaultKind::kGarbledBody:
        s.probability = lu(0.005, 0.1);
        break;
      case FaultKind::kHttp429:
        s.probability = lu(0.005, 0.1);
        s.retry_after_s = krng.uniform_range(0, 30);
        break;
      case FaultKind::kSlowResponse:
        s.probability = lu(0.005, 0.1);
        s.extra_us_min = ms(1, 1000);
        s.extra_us_max = s.extra_us_min + ms(0, 10000);
        break;
      case FaultKind::kCrash:
        s.node = topology.core;
        s.probability = 1.0;
        s.mean_interval_us =
            static_cast<TimeUs>(static_cast<double>(phase_us) * (0.25 + 0.75 * krng.next_double()) /
                                std::max(options.intensity, 0.01));
        s.restart_after_us = ms(1000, 30000);
        break;
      case FaultKind::kClockSkew:
        s.node = topology.core;
        s.probability = 1.0;
        s.offset_us = ms(-5000, 5000);
        s.drift_ppm = static_cast<double>(krng.uniform_range(-200, 200));
        break;
      case FaultKind::kStoreFailure:
        s.node = topology.core;
        s.probability = lu(0.001, 0.05);
        break;
      case FaultKind::kReplayInside:
      case FaultKind::kReplayOutside:
      case FaultKind::kTamperedBody:
      case FaultKind::kForgedSignature:
      case FaultKind::kMissingSignature:
      case FaultKind::kWrongSecret:
      case FaultKind::kRetiredSecret:
        s.link_to = topology.core;
        s.both_directions = false;
        s.path_prefix = "/webhooks/";
        s.probability = lu(0.02, 0.5);
        break;
      case FaultKind::kCount:
        continue;
    }
    s.index = plan.specs.size();
    plan.specs.push_back(std::move(s));
  }
  return plan;
}

FaultPlan resolve_plan(const FaultPlan& plan, const SwarmTopology& topology, Rng& rng) {
  FaultPlan out;
  out.specs = plan.specs;
  if (plan.swarm) {
    FaultPlan drawn = draw_swarm(*plan.swarm, topology, rng);
    for (FaultSpec& s : drawn.specs) out.specs.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < out.specs.size(); ++i) out.specs[i].index = i;
  return out;
}

}  // namespace intsim::sim
