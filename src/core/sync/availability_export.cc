#include "src/core/sync/availability_export.h"

#include <fmt/format.h>

#include <algorithm>

#include "src/core/ical/flavours.h"

namespace intsim::core::sync {

std::string_view export_unit(std::string_view target) {
  if (const std::size_t q = target.find('?'); q != std::string_view::npos) {
    target = target.substr(0, q);
  }
  constexpr std::string_view kPrefix = "/ical/";
  constexpr std::string_view kSuffix = ".ics";
  if (!target.starts_with(kPrefix) || !target.ends_with(kSuffix) ||
      target.size() <= kPrefix.size() + kSuffix.size()) {
    return {};
  }
  return target.substr(kPrefix.size(), target.size() - kPrefix.size() - kSuffix.size());
}

std::vector<bookings::Night> unavailable_nights(const bookings::Ledger& ledger,
                                                std::string_view unit) {
  std::vector<bookings::Night> nights;
  for (const bookings::Stay* s : ledger.active_stays_on(unit)) {
    for (bookings::Night n = s->first_night; n < s->end_night; ++n) nights.push_back(n);
  }
  std::sort(nights.begin(), nights.end());
  nights.erase(std::unique(nights.begin(), nights.end()), nights.end());
  return nights;
}

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

HttpResponse export_response(const bookings::Ledger& ledger, const HttpRequest& request,
                             TimeUs now_us) {
  const std::string_view unit = export_unit(request.target);
  if (unit.empty() || !ledger.unit(unit)) {
    return {404, {{"Content-Type", "text/plain"}}, "no such calendar"};
  }
  if (request.method != "GET") return {405, {{"Content-Type", "text/plain"}}, "GET only"};
  const std::vector<bookings::Night> nights = unavailable_nights(ledger, unit);
  // The ETag covers the nights only: the DTSTAMP changes on every export, the content does not.
  std::uint64_t h = fnv1a64(unit);
  for (const bookings::Night n : nights) {
    h = fnv1a64(fmt::format(",{}", n), h);
  }
  const std::string etag = fmt::format("\"{:016x}\"", h);
  if (const auto inm = request.header("If-None-Match"); inm && *inm == etag) {
    return {304, {{"ETag", etag}}, ""};
  }
  const std::vector<ical::Stay> stays = ical::stays_from_nights(nights);
  return {200,
          {{"Content-Type", "text/calendar; charset=utf-8"}, {"ETag", etag}},
          ical::write_availability(unit, stays, now_us)};
}

}  // namespace intsim::core::sync
