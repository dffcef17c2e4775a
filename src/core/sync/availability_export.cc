#include "src/core/sync/availability_export.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "src/core/ical/flavours.h"
#include "src/core/ical/writer.h"

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
  return ledger.occupied_nights(unit);
}

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace {

// The ETag covers the nights only: the DTSTAMP changes on every export, the content does not.
// Each night is hashed as ",<decimal>" (formatted by hand: channels poll every few minutes).
std::string etag_of(std::string_view unit, const std::vector<bookings::Night>& nights) {
  std::uint64_t h = fnv1a64(unit);
  for (const bookings::Night n : nights) {
    char text[16] = {','};
    const std::to_chars_result r = std::to_chars(text + 1, text + sizeof text, n);
    h = fnv1a64(std::string_view(text, static_cast<std::size_t>(r.ptr - text)), h);
  }
  return fmt::format("\"{:016x}\"", h);
}

// Validates the request; on success `unit` names a known unit and nothing is returned.
std::optional<HttpResponse> refuse(const bookings::Ledger& ledger, const HttpRequest& request,
                                   std::string_view* unit) {
  *unit = export_unit(request.target);
  if (unit->empty() || !ledger.unit(*unit)) {
    return HttpResponse{404, {{"Content-Type", "text/plain"}}, "no such calendar"};
  }
  if (request.method != "GET")
    return HttpResponse{405, {{"Content-Type", "text/plain"}}, "GET only"};
  return std::nullopt;
}

HttpResponse calendar_response(std::string etag, std::string body) {
  return {200,
          {{"Content-Type", "text/calendar; charset=utf-8"}, {"ETag", std::move(etag)}},
          std::move(body)};
}

}  // namespace

HttpResponse export_response(const bookings::Ledger& ledger, const HttpRequest& request,
                             TimeUs now_us) {
  std::string_view unit;
  if (std::optional<HttpResponse> refused = refuse(ledger, request, &unit)) return *refused;
  const std::vector<bookings::Night> nights = unavailable_nights(ledger, unit);
  std::string etag = etag_of(unit, nights);
  if (const auto inm = request.header("If-None-Match"); inm && *inm == etag) {
    return {304, {{"ETag", etag}}, ""};
  }
  const std::vector<ical::Stay> stays = ical::stays_from_nights(nights);
  return calendar_response(std::move(etag), ical::write_availability(unit, stays, now_us));
}

HttpResponse AvailabilityExports::respond(const bookings::Ledger& ledger,
                                          const HttpRequest& request, TimeUs now_us) {
  std::string_view unit;
  if (std::optional<HttpResponse> refused = refuse(ledger, request, &unit)) return *refused;
  std::vector<bookings::Night> nights = unavailable_nights(ledger, unit);
  const auto it = last_.find(unit);
  const bool same_nights = it != last_.end() && it->second.nights == nights;
  // The ETag is a function of the unit and its nights: the last one holds for the same nights.
  std::string etag = same_nights ? it->second.etag : etag_of(unit, nights);
  if (const auto inm = request.header("If-None-Match"); inm && *inm == etag) {
    return {304, {{"ETag", etag}}, ""};
  }
  if (same_nights) {
    Export& last = it->second;
    if (last.exported_us == now_us || ical::restamp(last.body, last.exported_us, now_us)) {
      last.exported_us = now_us;
      return calendar_response(std::move(etag), last.body);
    }
  }
  const std::vector<ical::Stay> stays = ical::stays_from_nights(nights);
  Export& last = last_[std::string(unit)];
  last.nights = std::move(nights);
  last.etag = etag;
  last.exported_us = now_us;
  last.body = ical::write_availability(unit, stays, now_us);
  return calendar_response(std::move(etag), last.body);
}

}  // namespace intsim::core::sync
