// `intsim ical lint FEED.ics`: what our parser understood of a feed, as JSON, and every
// problem with its line number, so that a user can see why a channel's calendar did not sync.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/exit_codes.h"
#include "src/core/ical/date.h"
#include "src/core/ical/parser.h"

namespace intsim::cli {
namespace {

namespace ical = core::ical;

// ISO 8601 forms: "2024-03-10" (DATE), "2024-03-10T15:00:00Z" (UTC), and for local times the
// wall clock with the zone in brackets (RFC 9557 style): "2024-03-10T15:00:00[Europe/Madrid]".
std::string format_moment(const ical::Moment& m) {
  if (m.is_date()) return ical::format_iso_date(m.days);
  const int s = m.second_of_day;
  std::string out = fmt::format("{}T{:02}:{:02}:{:02}", ical::format_iso_date(m.days), s / 3600,
                                s / 60 % 60, s % 60);
  if (m.kind == ical::Moment::Kind::kUtc) return out + "Z";
  if (!m.tzid.empty()) out += fmt::format("[{}]", m.tzid);
  return out;
}

nlohmann::ordered_json to_json(const ical::ParseResult& r) {
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (const ical::Event& e : r.calendar.events) {
    nlohmann::ordered_json j;
    j["line"] = e.line;
    j["uid"] = e.uid;
    j["all_day"] = e.all_day();
    j["start"] = format_moment(e.start);
    j["end"] = format_moment(e.end);
    j["first_night"] = ical::format_iso_date(e.first_night_days());
    j["nights"] = e.end_night_days() - e.first_night_days();
    if (!e.summary.empty()) j["summary"] = e.summary;
    if (!e.description.empty()) j["description"] = e.description;
    if (e.status != ical::EventStatus::kNone) j["status"] = ical::status_name(e.status);
    if (e.has_stamp) j["stamp"] = format_moment(ical::Moment::utc(e.stamp_us));
    events.push_back(std::move(j));
  }
  nlohmann::ordered_json problems = nlohmann::ordered_json::array();
  for (const ical::Problem& p : r.problems) {
    problems.push_back({{"line", p.line}, {"message", p.message}});
  }
  nlohmann::ordered_json out;
  out["prodid"] = r.calendar.prodid;
  out["complete"] = r.status.is_ok();
  if (r.empty_body) out["empty_body"] = true;
  out["events"] = std::move(events);
  out["problems"] = std::move(problems);
  return out;
}

}  // namespace

int cmd_ical(int argc, char** argv) {
  Args args;
  if (auto st = Args::parse(argc, argv, 1, OptionSpec{}, &args); !st) {
    fmt::print(stderr, "intsim ical: {}\n", st.message());
    return kExitInvalidInput;
  }
  const auto& pos = args.positional();
  if (pos.size() != 2 || pos[0] != "lint") {
    fmt::print(stderr, "intsim ical: usage: intsim ical lint FEED.ics\n");
    return kExitInvalidInput;
  }
  std::error_code ec;
  std::ifstream in(pos[1], std::ios::binary);
  if (std::filesystem::is_directory(pos[1], ec) || !in) {
    fmt::print(stderr, "intsim ical: cannot read '{}'\n", pos[1]);
    return kExitInvalidInput;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    fmt::print(stderr, "intsim ical: error while reading '{}'\n", pos[1]);
    return kExitInvalidInput;
  }
  const ical::ParseResult r = ical::parse(text);
  fmt::print("{}\n", to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  return r.problems.empty() && r.status.is_ok() ? kExitPassed : 1;
}

}  // namespace intsim::cli
