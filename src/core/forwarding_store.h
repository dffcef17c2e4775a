// A Store decorator's base: reads go to the inner store unchanged, and a subclass says what it
// does around commits (notifications' trigger, alerts raised after a commit, a test's faults).
#pragma once

#include "src/core/ports.h"

namespace intsim::core {

class ForwardingStore : public Store {
 public:
  Status get(std::string_view table, std::string_view key, std::string* value) override {
    return inner_->get(table, key, value);
  }
  Status scan(std::string_view table, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& visit) override {
    return inner_->scan(table, prefix, visit);
  }
  Status commit(const WriteBatch& batch) override { return inner_->commit(batch); }

 protected:
  // `inner` outlives this store.
  explicit ForwardingStore(Store* inner) : inner_(inner) {}
  Store* inner() const { return inner_; }

 private:
  Store* inner_;
};

}  // namespace intsim::core
