// iCal parsing throughput on a generated 2,000-event Airbnb-style feed (bookings with folded
// DESCRIPTIONs, blocks, CRLF): our parser and libical (Debian libical-dev) side by side in the
// same run, MB/s and events/s for each and the ratio.
//
// Both sides do the work a channel sync needs: parse the text and read UID, DTSTART, DTEND,
// SUMMARY and DESCRIPTION of every VEVENT. Each side is run for at least 1 s after a warm-up
// and the best of 5 rounds is reported, so a busy machine skews the figures less.
#include <fmt/format.h>
#include <libical/ical.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "src/core/ical/date.h"
#include "src/core/ical/flavours.h"
#include "src/core/ical/parser.h"

namespace {

namespace ical = intsim::core::ical;
using Clock = std::chrono::steady_clock;

constexpr int kEvents = 2000;
constexpr double kTargetMbPerSec = 50.0;
constexpr double kTargetEventsPerSec = 150'000.0;

// A deterministic feed: 3 bookings to 1 block, stays of 1-14 nights with gaps, Airbnb UIDs.
std::string make_feed() {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {  // xorshift64: only the bench's input, never simulated behaviour
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<ical::Stay> stays;
  std::int32_t day = ical::days_from_civil({2024, 1, 1});
  for (int i = 0; i < kEvents; ++i) {
    ical::Stay s;
    s.first_night_days = day + static_cast<std::int32_t>(next() % 3);
    s.end_days = s.first_night_days + 1 + static_cast<std::int32_t>(next() % 14);
    day = s.end_days;
    s.uid = fmt::format("{:012x}-{:032x}@airbnb.com", next() >> 16, next());
    if (i % 4 == 3) {
      s.kind = ical::Stay::Kind::kBlocked;
    } else {
      s.kind = ical::Stay::Kind::kBooked;
      s.description = fmt::format(
          "Reservation URL: https://www.airbnb.com/hosting/reservations/details/HM{:08X}\n"
          "Phone Number (Last 4 Digits): {:04}",
          static_cast<std::uint32_t>(next()), next() % 10000);
    }
    stays.push_back(std::move(s));
  }
  return ical::write_airbnb(stays);
}

struct Figures {
  double mb_per_sec = 0;
  double events_per_sec = 0;
};

// Runs `parse_once` (which returns the events it read) repeatedly; best of 5 rounds of >= 0.2 s.
template <typename ParseOnce>
Figures measure(const std::string& feed, ParseOnce&& parse_once) {
  for (int i = 0; i < 3; ++i) parse_once();  // warm-up
  double best_secs_per_parse = 1e30;
  std::size_t events = 0;
  for (int round = 0; round < 5; ++round) {
    int parses = 0;
    const auto start = Clock::now();
    double secs = 0;
    do {
      events = parse_once();
      ++parses;
      secs = std::chrono::duration<double>(Clock::now() - start).count();
    } while (secs < 0.2);
    best_secs_per_parse = std::min(best_secs_per_parse, secs / parses);
  }
  return {static_cast<double>(feed.size()) / 1e6 / best_secs_per_parse,
          static_cast<double>(events) / best_secs_per_parse};
}

std::size_t ours_once(const std::string& feed, std::uint64_t* checksum) {
  const ical::ParseResult r = ical::parse(feed);
  for (const ical::Event& e : r.calendar.events) {
    *checksum += e.uid.size() + static_cast<std::uint64_t>(e.start.days) +
                 static_cast<std::uint64_t>(e.end.days) + e.summary.size() + e.description.size();
  }
  return r.calendar.events.size();
}

std::size_t libical_once(const std::string& feed, std::uint64_t* checksum) {
  icalcomponent* root = icalparser_parse_string(feed.c_str());
  if (root == nullptr) return 0;
  std::size_t events = 0;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
       c != nullptr; c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
    const char* uid = icalcomponent_get_uid(c);
    const icaltimetype start = icalcomponent_get_dtstart(c);
    const icaltimetype end = icalcomponent_get_dtend(c);
    const char* summary = icalcomponent_get_summary(c);
    const char* description = icalcomponent_get_description(c);
    *checksum += (uid ? std::char_traits<char>::length(uid) : 0) +
                 static_cast<std::uint64_t>(start.day + end.day) +
                 (summary ? std::char_traits<char>::length(summary) : 0) +
                 (description ? std::char_traits<char>::length(description) : 0);
    ++events;
  }
  icalcomponent_free(root);
  return events;
}

}  // namespace

int main() {
  const std::string feed = make_feed();
  std::uint64_t ours_sum = 0, libical_sum = 0;
  // Both parsers must understand the same feed, or the comparison means nothing.
  const std::size_t ours_events = ours_once(feed, &ours_sum);
  const std::size_t libical_events = libical_once(feed, &libical_sum);
  if (ours_events != kEvents || libical_events != kEvents) {
    fmt::print(stderr, "feed not understood: ours {} events, libical {} (want {})\n", ours_events,
               libical_events, kEvents);
    return 1;
  }
  fmt::print("iCal parse, Airbnb-style feed: {} events, {:.1f} KB\n", kEvents,
             static_cast<double>(feed.size()) / 1e3);
  const Figures ours = measure(feed, [&] { return ours_once(feed, &ours_sum); });
  const Figures lib = measure(feed, [&] { return libical_once(feed, &libical_sum); });
  fmt::print("  {:<8} {:>8.1f} MB/s {:>12.0f} events/s\n", "intsim", ours.mb_per_sec,
             ours.events_per_sec);
  fmt::print("  {:<8} {:>8.1f} MB/s {:>12.0f} events/s\n", "libical", lib.mb_per_sec,
             lib.events_per_sec);
  fmt::print("  ratio intsim/libical: {:.1f}x\n", ours.mb_per_sec / lib.mb_per_sec);
  const bool met = ours.mb_per_sec >= kTargetMbPerSec && ours.events_per_sec >= kTargetEventsPerSec;
  fmt::print("  target >= {:.0f} MB/s and >= {:.0f} events/s: {}\n", kTargetMbPerSec,
             kTargetEventsPerSec, met ? "met" : "NOT met");
  if (ours_sum == 42 || libical_sum == 42) fmt::print("");  // keep the work observable
  return 0;
}
