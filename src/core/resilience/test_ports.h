// Fake ports for the dispatcher's tests: timers and an HTTP client that only record what the
// dispatcher asks for (the test decides when timers fire and what each request gets back), and
// a handler that records outcomes and writes an effect row in the outcome's own batch.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/ports.h"
#include "src/core/resilience/dispatcher.h"

namespace intsim::core::resilience::testing {

struct FakeTimers final : Timers {
  std::map<TimerId, TimeUs> armed;
  void arm(TimerId id, TimeUs at_us) override { armed[id] = at_us; }
  void disarm(TimerId id) override { armed.erase(id); }
};

struct FakeHttp final : HttpClient {
  struct Sent {
    RequestId id;
    std::string peer;
    HttpRequest request;
    TimeUs deadline_us;
  };
  std::vector<Sent> sent;
  void send(RequestId id, std::string_view peer, HttpRequest request, TimeUs deadline_us) override {
    sent.push_back({id, std::string(peer), std::move(request), deadline_us});
  }
};

// Records outcomes and writes an effect row in the same batch, so a test can see that the effect
// and the job's removal commit together.
struct RecordingHandler final : JobHandler {
  std::vector<std::string> succeeded;
  std::vector<std::string> failed;
  void on_success(const Job& job, const HttpResponse& response, WriteBatch& batch,
                  TimeUs) override {
    succeeded.push_back(job.id);
    batch.put("effects", job.id, response.body);
  }
  void on_failure(const Job& job, const DlqEntry& entry, WriteBatch& batch, TimeUs) override {
    failed.push_back(job.id);
    batch.put("effects", job.id, std::string(dead_reason_name(entry.reason)));
  }
};

}  // namespace intsim::core::resilience::testing
