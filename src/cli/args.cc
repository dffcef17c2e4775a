#include "src/cli/args.h"

#include <charconv>

namespace intsim::cli {

core::Status Args::parse(int argc, char** argv, int first, const OptionSpec& spec, Args* out) {
  *out = Args();
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      out->positional_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.switches.count(name)) {
      if (inline_value) return core::Status::invalid_argument("--" + name + " takes no value");
      out->switches_.insert(name);
    } else if (spec.with_value.count(name)) {
      if (inline_value) {
        out->values_[name] = *inline_value;
      } else if (i + 1 < argc) {
        out->values_[name] = argv[++i];
      } else {
        return core::Status::invalid_argument("--" + name + " needs a value");
      }
    } else {
      return core::Status::invalid_argument("unknown option '--" + name + "'");
    }
  }
  return core::Status::ok();
}

bool Args::has(const std::string& name) const {
  return switches_.count(name) > 0 || values_.count(name) > 0;
}

std::optional<std::string> Args::value(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

core::Status Args::u64(const std::string& name, std::uint64_t fallback, std::uint64_t* out) const {
  const auto v = value(name);
  if (!v) {
    *out = fallback;
    return core::Status::ok();
  }
  const char* begin = v->data();
  const char* end = v->data() + v->size();
  const auto [ptr, ec] = std::from_chars(begin, end, *out);
  if (ec != std::errc() || ptr != end || v->empty()) {
    return core::Status::invalid_argument("--" + name + " expects a non-negative integer, got '" +
                                          *v + "'");
  }
  return core::Status::ok();
}

}  // namespace intsim::cli
