// Fakes shared by the intake's tests: a store that fails on demand, a processor that counts its
// effects in the store, and a log that keeps every field it is given.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/core/memory_store.h"
#include "src/core/webhook/intake.h"

namespace intsim::core::webhook::testing {

// MemoryStore, but commit/get fail with kIoError while the fields say so.
class FlakyStore : public Store {
 public:
  Status get(std::string_view table, std::string_view key, std::string* value) override {
    if (fail_get) return Status::io_error("injected read failure");
    return inner.get(table, key, value);
  }
  Status scan(std::string_view table, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return inner.scan(table, prefix, visit);
  }
  Status commit(const WriteBatch& batch) override {
    if (fail_commit) return Status::io_error("injected commit failure");
    if (commits_before_failure) {
      if (*commits_before_failure == 0) return Status::io_error("injected crash");
      --*commits_before_failure;
    }
    return inner.commit(batch);
  }
  MemoryStore inner;
  bool fail_get = false;
  bool fail_commit = false;
  // Set: that many commits succeed, then every commit fails (a crash part-way through a
  // request that wrongly commits more than once).
  std::optional<int> commits_before_failure;
};

// Each applied event increments "effects/<endpoint>/<id>" in the same batch: a count above one
// in the committed store is a double effect.
class CountingProcessor : public EventProcessor {
 public:
  explicit CountingProcessor(Store* store) : store_(store) {}
  Status apply(const VerifiedEvent& event, WriteBatch& effects, TimeUs) override {
    seen.push_back(event);
    if (fail) return Status::unavailable("injected processing failure");
    const std::string key = std::string(endpoint_name(event.endpoint)) + "/" + event.id;
    std::string value;
    const int count = store_->get("effects", key, &value).is_ok() ? std::stoi(value) : 0;
    effects.put("effects", key, std::to_string(count + 1));
    return Status::ok();
  }
  std::vector<VerifiedEvent> seen;
  bool fail = false;

 private:
  Store* store_;
};

class RecordingLog : public Log {
 public:
  struct Line {
    std::string event;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  void write(TimeUs, LogLevel, std::string_view event,
             std::initializer_list<LogField> fields) override {
    Line line{std::string(event), {}};
    for (const LogField& f : fields) line.fields.emplace_back(std::string(f.key), f.value);
    lines.push_back(std::move(line));
  }
  bool contains(std::string_view text) const {
    for (const Line& l : lines) {
      for (const auto& [k, v] : l.fields) {
        if (v.find(text) != std::string::npos) return true;
      }
    }
    return false;
  }
  std::vector<Line> lines;
};

}  // namespace intsim::core::webhook::testing
