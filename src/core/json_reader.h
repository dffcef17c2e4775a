// Reads a JSON object field by field and collects errors that name the JSON pointer of what is
// wrong and what was expected, e.g.
//   /workload/bookings_per_day: expected a number in [0, 10000], got "many"
//   /oracles/2: unknown oracle "no_overbookng" (expected one of: ...)
//   /workload/bookngs_per_day: unknown field
// Unknown fields are errors: a typo in a scenario or config file must not be silently ignored.
// Parsing continues after an error so one run of a validator reports every problem it can.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace intsim::core {

// "/a/b" + "c" with RFC 6901 escaping of '~' and '/'.
std::string json_pointer_join(std::string_view pointer, std::string_view key);
std::string json_pointer_join(std::string_view pointer, std::size_t index);
// A short rendering of a value for messages: strings quoted, long values cut.
std::string describe_json(const nlohmann::json& value);

class JsonReader {
 public:
  // `errors` collects messages; it outlives the reader.
  JsonReader(const nlohmann::json& value, std::string pointer, std::vector<std::string>* errors);
  // The reader keeps a reference to the value: a temporary would dangle.
  JsonReader(nlohmann::json&& value, std::string pointer, std::vector<std::string>* errors) = delete;

  bool ok_object() const { return value_.is_object(); }
  const std::string& pointer() const { return pointer_; }
  bool has(std::string_view key) const;
  // Declares a field known without reading it (read by someone else, e.g. a nested parser).
  const nlohmann::json* take(std::string_view key);
  void require(std::string_view key);

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  double number(std::string_view key, double fallback, double min, double max);
  bool boolean(std::string_view key, bool fallback);
  std::string string(std::string_view key, std::string fallback);
  std::string one_of(std::string_view key, std::string fallback,
                     std::initializer_list<std::string_view> allowed);
  std::vector<std::string> strings(std::string_view key,
                                   std::initializer_list<std::string_view> allowed = {});
  // A nested object; nullopt when absent. A present non-object is an error.
  std::optional<JsonReader> object(std::string_view key);

  void error(std::string_view key, std::string_view message);
  // Reports fields that nothing read or declared.
  void finish();

 private:
  const nlohmann::json& value_;
  std::string pointer_;
  std::vector<std::string>* errors_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace intsim::core
