// The Store port in memory: ordered tables, batches applied atomically. Used by unit tests and
// as the committed state of the simulator's crashable store.
#pragma once

#include <map>
#include <string>

#include "src/core/ports.h"

namespace intsim::core {

class MemoryStore : public Store {
 public:
  using Table = std::map<std::string, std::string, std::less<>>;

  Status get(std::string_view table, std::string_view key, std::string* value) override;
  Status scan(std::string_view table, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& visit) override;
  Status commit(const WriteBatch& batch) override;

  // Rows in `table` (0 for an unknown table).
  std::size_t size(std::string_view table) const;
  const std::map<std::string, Table, std::less<>>& tables() const { return tables_; }
  std::uint64_t commits() const { return commits_; }

 private:
  std::map<std::string, Table, std::less<>> tables_;
  std::uint64_t commits_ = 0;
};

}  // namespace intsim::core
