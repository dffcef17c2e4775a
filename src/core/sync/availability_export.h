// Our per-unit export feed: what every channel imports so that it stops selling nights we
// already sold. GET /ical/<unit>.ics answers the unit's unavailable nights (every active stay,
// whatever its source) in write_availability's shape, with an ETag over the nights so that a
// channel that sends If-None-Match gets a 304 while nothing changed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/bookings/ledger.h"
#include "src/core/http.h"
#include "src/core/time.h"

namespace intsim::core::sync {

// The unit a target names ("/ical/u3.ics" -> "u3"); empty when it is not an export target.
std::string_view export_unit(std::string_view target);

// The nights of `unit` held by active stays, sorted, without duplicates.
std::vector<bookings::Night> unavailable_nights(const bookings::Ledger& ledger,
                                                std::string_view unit);

// The answer to a GET of the unit's export (404 for an unknown unit, 405 for another method).
HttpResponse export_response(const bookings::Ledger& ledger, const HttpRequest& request,
                             TimeUs now_us);

// export_response with the last export of each unit kept in memory: every channel polls every
// unit's export every few minutes, and between two polls usually only the DTSTAMPs (the export
// time) change, so those are rewritten in a copy instead of writing the calendar again. The
// answers are byte for byte export_response's. Volatile: a restart starts empty.
class AvailabilityExports {
 public:
  HttpResponse respond(const bookings::Ledger& ledger, const HttpRequest& request, TimeUs now_us);

 private:
  struct Export {
    std::vector<bookings::Night> nights;
    std::string etag;
    TimeUs exported_us = 0;
    std::string body;
  };
  std::map<std::string, Export, std::less<>> last_;  // by unit
};

// A 64-bit FNV-1a hash, the basis of ETags and of the sync engine's content hashes.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace intsim::core::sync
