// Typed rows over the Store port: a service keeps its records as rows of one table and reads
// them back through the record's decoder. The reads every service's load() and list() repeat.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/ports.h"
#include "src/core/status.h"

namespace intsim::core {

template <typename Row>
using RowDecoder = Status (*)(std::string_view row, Row* out);

// The record at `key`: kNotFound when absent, the store's error, or the decoder's.
template <typename Row>
Status load_row(Store& store, std::string_view table, std::string_view key, RowDecoder<Row> decode,
                Row* out) {
  std::string row;
  if (Status s = store.get(table, key, &row); !s.is_ok()) return s;
  return decode(row, out);
}

// Hands every readable record of `table` to visit(key, Row&&), in key order. A row that does
// not decode is skipped and the first such error returned after the scan: one damaged row does
// not hide the others from the caller, nor go unreported.
template <typename Row, typename Visit>
Status scan_rows(Store& store, std::string_view table, RowDecoder<Row> decode, Visit&& visit) {
  Status bad;
  const Status s = store.scan(table, "", [&](std::string_view key, std::string_view value) {
    Row row;
    if (Status d = decode(value, &row); !d.is_ok()) {
      if (bad.is_ok()) bad = std::move(d);
      return true;
    }
    visit(key, std::move(row));
    return true;
  });
  return s.is_ok() ? bad : s;
}

// Every readable record of `table`, in key order (see scan_rows for unreadable ones).
template <typename Row>
Status list_rows(Store& store, std::string_view table, RowDecoder<Row> decode,
                 std::vector<Row>* out) {
  out->clear();
  return scan_rows(store, table, decode,
                   [out](std::string_view, Row&& row) { out->push_back(std::move(row)); });
}

}  // namespace intsim::core
