#include "src/harness/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/core/json_reader.h"

namespace intsim::harness {
namespace {

constexpr std::string_view kOracleNames[] = {"no_double_charge",       "no_overbooking",
                                             "authentic_at_most_once", "nothing_lost",
                                             "status_monotonic",       "convergence"};
constexpr std::int64_t kSecondsMax = 366LL * 24 * 3600;  // a year of virtual time

Range read_range(core::JsonReader& parent, std::string_view key, Range fallback, std::int64_t lo,
                 std::int64_t hi, std::vector<std::string>* errors) {
  auto r = parent.object(key);
  if (!r) return fallback;
  Range out{r->integer("min", fallback.min, lo, hi), r->integer("max", fallback.max, lo, hi)};
  r->finish();
  if (out.min > out.max) {
    errors->push_back(
        fmt::format("{}: min {} is greater than max {}", r->pointer(), out.min, out.max));
  }
  return out;
}

void read_workload(core::JsonReader& r, WorkloadSpec* w, std::vector<std::string>* errors) {
  if (auto units = r.object("units")) {
    w->units = units->integer("count", w->units, 1, 10'000);
    auto kinds = units->strings("kinds");
    if (units->has("kinds") && kinds.empty()) units->error("kinds", "expected at least one kind");
    if (!kinds.empty()) w->unit_kinds = std::move(kinds);
    units->finish();
  }
  w->channels = r.strings("channels", {"airbnb", "booking_com", "vrbo"});
  w->direct_bookings_per_day =
      r.number("direct_bookings_per_day", w->direct_bookings_per_day, 0, 1e5);
  w->channel_bookings_per_day =
      r.number("channel_bookings_per_day", w->channel_bookings_per_day, 0, 1e5);
  if (r.has("currencies")) {
    w->currencies = r.strings("currencies");
    if (w->currencies.empty()) r.error("currencies", "expected at least one currency");
  }
  w->nights = read_range(r, "nights", w->nights, 1, 365, errors);
  w->lead_days = read_range(r, "lead_days", w->lead_days, 0, 730, errors);
  w->abandon_probability = r.number("abandon_probability", w->abandon_probability, 0, 1);
  w->cancel_probability = r.number("cancel_probability", w->cancel_probability, 0, 1);
  w->guests = r.integer("guests", w->guests, 1, 1'000'000);
  if (auto m = r.object("memberships")) {
    w->memberships_per_day = m->number("per_day", w->memberships_per_day, 0, 1e5);
    w->membership_cancel_probability =
        m->number("cancel_probability", w->membership_cancel_probability, 0, 1);
    w->membership_interval =
        m->one_of("interval", w->membership_interval, {"day", "week", "month", "year"});
    m->finish();
  }
  r.finish();
}

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

core::Status parse_json_file(const std::string& path, nlohmann::json* out) {
  bool ok = false;
  const std::string text = read_file(path, &ok);
  if (!ok) return core::Status::invalid_argument(fmt::format("{}: cannot read the file", path));
  try {
    *out = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the offset; turn it into a line number, which is what an editor shows.
    std::size_t line = 1;
    for (std::size_t i = 0; i < text.size() && i + 1 < e.byte; ++i) line += text[i] == '\n';
    return core::Status::invalid_argument(
        fmt::format("{}:{}: not valid JSON: {}", path, line, e.what()));
  }
  return core::Status::ok();
}

}  // namespace

std::string_view oracle_name(Oracle oracle) { return kOracleNames[static_cast<int>(oracle)]; }

bool parse_oracle(std::string_view name, Oracle* out) {
  for (std::size_t i = 0; i < kOracleCount; ++i) {
    if (kOracleNames[i] == name) {
      *out = static_cast<Oracle>(i);
      return true;
    }
  }
  return false;
}

bool is_safety(Oracle oracle) { return oracle != Oracle::kConvergence; }

bool Scenario::oracle_enabled(Oracle o) const {
  if (oracles.empty()) return true;
  for (Oracle x : oracles) {
    if (x == o) return true;
  }
  return false;
}

core::Status parse_scenario(const nlohmann::json& doc, std::string_view origin, Scenario* out) {
  std::vector<std::string> errors;
  Scenario s;
  s.origin = std::string(origin);
  core::JsonReader r(doc, "", &errors);
  r.require("name");
  s.name = r.string("name", "");
  s.description = r.string("description", "");
  s.seeds = static_cast<std::uint64_t>(r.integer("seeds", 100, 1, 10'000'000));
  if (const nlohmann::json* pinned = r.take("pinned_seeds")) {
    if (!pinned->is_array()) r.error("pinned_seeds", "expected an array of seeds");
    for (std::size_t i = 0; pinned->is_array() && i < pinned->size(); ++i) {
      const nlohmann::json& v = (*pinned)[i];
      if (!v.is_number_unsigned()) {
        errors.push_back(fmt::format("/pinned_seeds/{}: expected a non-negative integer, got {}", i,
                                     core::describe_json(v)));
        continue;
      }
      s.pinned_seeds.push_back(v.get<std::uint64_t>());
    }
  }
  s.fault_phase_us = r.integer("fault_phase_s", 86'400, 0, kSecondsMax) * core::kUsPerSec;
  s.liveness_bound_us = r.integer("liveness_bound_s", 21'600, 1, kSecondsMax) * core::kUsPerSec;
  if (auto w = r.object("workload")) read_workload(*w, &s.workload, &errors);
  if (const nlohmann::json* peers = r.take("peers")) {
    if (!peers->is_object()) {
      r.error("peers", "expected an object with one entry per peer");
    } else {
      s.peers = *peers;
    }
  }
  // The fault plan is the network's own fragment format ({"faults": [...], "swarm": {...}}).
  nlohmann::json fragment = nlohmann::json::object();
  if (const nlohmann::json* f = r.take("faults")) fragment["faults"] = *f;
  if (const nlohmann::json* sw = r.take("swarm")) fragment["swarm"] = *sw;
  if (core::Status st = sim::parse_fault_plan(fragment, &s.faults); !st) {
    std::istringstream lines(st.message());
    for (std::string line; std::getline(lines, line);) errors.push_back(line);
  }
  for (const std::string& name :
       r.strings("oracles", {kOracleNames[0], kOracleNames[1], kOracleNames[2], kOracleNames[3],
                             kOracleNames[4], kOracleNames[5]})) {
    Oracle o;
    parse_oracle(name, &o);
    s.oracles.push_back(o);
  }
  r.finish();
  if (!errors.empty()) {
    std::string msg;
    for (const std::string& e : errors) {
      if (!msg.empty()) msg += '\n';
      msg += fmt::format("{}: {}", origin, e);
    }
    return core::Status::invalid_argument(msg);
  }
  *out = std::move(s);
  return core::Status::ok();
}

core::Status load_scenario_file(const std::string& path, Scenario* out) {
  nlohmann::json doc;
  if (core::Status st = parse_json_file(path, &doc); !st) return st;
  return parse_scenario(doc, path, out);
}

nlohmann::json scenario_to_json(const Scenario& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  if (!s.description.empty()) j["description"] = s.description;
  j["seeds"] = s.seeds;
  if (!s.pinned_seeds.empty()) j["pinned_seeds"] = s.pinned_seeds;
  j["fault_phase_s"] = s.fault_phase_us / core::kUsPerSec;
  j["liveness_bound_s"] = s.liveness_bound_us / core::kUsPerSec;
  const WorkloadSpec& w = s.workload;
  nlohmann::ordered_json wj;
  wj["units"] = {{"count", w.units}, {"kinds", w.unit_kinds}};
  wj["channels"] = w.channels;
  wj["direct_bookings_per_day"] = w.direct_bookings_per_day;
  wj["channel_bookings_per_day"] = w.channel_bookings_per_day;
  wj["currencies"] = w.currencies;
  wj["nights"] = {{"min", w.nights.min}, {"max", w.nights.max}};
  wj["lead_days"] = {{"min", w.lead_days.min}, {"max", w.lead_days.max}};
  wj["abandon_probability"] = w.abandon_probability;
  wj["cancel_probability"] = w.cancel_probability;
  wj["guests"] = w.guests;
  if (w.memberships_per_day > 0) {
    wj["memberships"] = {{"per_day", w.memberships_per_day},
                         {"cancel_probability", w.membership_cancel_probability},
                         {"interval", w.membership_interval}};
  }
  j["workload"] = wj;
  j["peers"] = s.peers;
  const nlohmann::json plan = sim::to_json(s.faults);
  j["faults"] = plan.contains("faults") ? plan["faults"] : nlohmann::json::array();
  if (plan.contains("swarm")) j["swarm"] = plan["swarm"];
  if (!s.oracles.empty()) {
    nlohmann::json names = nlohmann::json::array();
    for (Oracle o : s.oracles) names.push_back(oracle_name(o));
    j["oracles"] = names;
  }
  return nlohmann::json::parse(j.dump());  // plain json, key order as written is irrelevant
}

core::Status load_suite(const std::string& name_or_path, const std::string& scenarios_dir,
                        Suite* out) {
  namespace fs = std::filesystem;
  std::string path = name_or_path;
  if (path.find('/') == std::string::npos && path.find(".json") == std::string::npos) {
    path = (fs::path(scenarios_dir) / "suites" / (name_or_path + ".json")).string();
  }
  nlohmann::json doc;
  if (core::Status st = parse_json_file(path, &doc); !st) return st;
  std::vector<std::string> errors;
  Suite suite;
  suite.origin = path;
  core::JsonReader r(doc, "", &errors);
  suite.name = r.string("name", fs::path(path).stem().string());
  suite.swarm = r.boolean("swarm", false);
  r.require("scenarios");
  if (const nlohmann::json* list = r.take("scenarios")) {
    if (!list->is_array()) r.error("scenarios", "expected an array");
    for (std::size_t i = 0; list->is_array() && i < list->size(); ++i) {
      const std::string here = core::json_pointer_join("/scenarios", i);
      const nlohmann::json& item = (*list)[i];
      SuiteEntry e;
      if (item.is_object() && item.contains("dir")) {
        // Every *.json in a folder, in name order: the regressions `intsim shrink` writes.
        core::JsonReader dr(item, here, &errors);
        const std::string dir = dr.string("dir", "");
        const auto seeds = static_cast<std::uint64_t>(dr.integer("seeds", 0, 1, 10'000'000));
        dr.finish();
        const fs::path resolved = fs::path(path).parent_path() / dir;
        std::vector<std::string> files;
        std::error_code ec;
        for (const auto& f : fs::directory_iterator(resolved, ec)) {
          if (f.path().extension() == ".json")
            files.push_back(f.path().lexically_normal().string());
        }
        std::sort(files.begin(), files.end());
        for (auto& f : files) suite.entries.push_back({std::move(f), seeds});
        continue;
      }
      if (item.is_string()) {
        e.path = item.get<std::string>();
      } else {
        core::JsonReader er(item, here, &errors);
        er.require("path");
        e.path = er.string("path", "");
        e.seeds = static_cast<std::uint64_t>(er.integer("seeds", 0, 1, 10'000'000));
        er.finish();
      }
      if (e.path.empty()) continue;
      const fs::path resolved = fs::path(path).parent_path() / e.path;
      if (!fs::exists(resolved)) {
        errors.push_back(fmt::format("{}: no scenario file '{}'", here, resolved.string()));
      }
      e.path = resolved.lexically_normal().string();
      suite.entries.push_back(std::move(e));
    }
  }
  r.finish();
  if (!errors.empty()) {
    std::string msg;
    for (const std::string& e : errors) msg += (msg.empty() ? "" : "\n") + path + ": " + e;
    return core::Status::invalid_argument(msg);
  }
  *out = std::move(suite);
  return core::Status::ok();
}

}  // namespace intsim::harness
