#include "src/core/payments/form_codec.h"

#include "src/core/assert.h"

namespace intsim::core::payments {
namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Key paths keep their brackets readable: "metadata[booking_id]" rather than
// "metadata%5Bbooking_id%5D", as Stripe's SDKs send them.
std::string escape_key(std::string_view key) {
  std::string out;
  std::size_t start = 0;
  while (start <= key.size()) {
    const std::size_t open = key.find('[', start);
    if (open == std::string_view::npos) {
      out += form_escape(key.substr(start));
      break;
    }
    const std::size_t close = key.find(']', open);
    if (close == std::string_view::npos) {
      out += form_escape(key.substr(start));
      break;
    }
    out += form_escape(key.substr(start, open - start));
    out += '[';
    out += form_escape(key.substr(open + 1, close - open - 1));
    out += ']';
    start = close + 1;
    if (start == key.size()) break;
  }
  return out;
}

void flatten(const nlohmann::json& value, const std::string& prefix, FormFields* out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "[" + it.key() + "]", out);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      flatten(value[i], prefix + "[" + std::to_string(i) + "]", out);
    }
  } else if (value.is_string()) {
    out->emplace_back(prefix, value.get<std::string>());
  } else if (value.is_null()) {
    out->emplace_back(prefix, "");
  } else {
    out->emplace_back(prefix, value.dump());
  }
}

// Splits "a[b][0][]" into {"a", "b", "0", ""}; false for unbalanced brackets or text between
// segments ("a[b]c").
bool split_key(std::string_view key, std::vector<std::string>* parts) {
  const std::size_t open = key.find('[');
  if (key.find(']') < open) return false;
  parts->emplace_back(key.substr(0, open));
  if (parts->back().empty()) return false;
  std::size_t pos = open;
  while (pos != std::string_view::npos && pos < key.size()) {
    if (key[pos] != '[') return false;
    const std::size_t close = key.find(']', pos);
    if (close == std::string_view::npos) return false;
    const std::string_view inner = key.substr(pos + 1, close - pos - 1);
    if (inner.find('[') != std::string_view::npos) return false;
    parts->emplace_back(inner);
    pos = close + 1;
  }
  return true;
}

bool is_index(const std::string& s) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string form_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (unreserved(c)) {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

Status form_unescape(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      *out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) {
        return Status::invalid_argument("truncated percent escape");
      }
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return Status::invalid_argument("bad percent escape");
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += c;
    }
  }
  return Status::ok();
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const FormField& f : fields) {
    if (!out.empty()) out += '&';
    out += escape_key(f.first);
    out += '=';
    out += form_escape(f.second);
  }
  return out;
}

Status form_decode(std::string_view body, FormFields* fields) {
  fields->clear();
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      std::string key;
      std::string value;
      Status s = form_unescape(pair.substr(0, eq), &key);
      if (!s.is_ok()) return s;
      if (eq != std::string_view::npos) {
        s = form_unescape(pair.substr(eq + 1), &value);
        if (!s.is_ok()) return s;
      }
      fields->emplace_back(std::move(key), std::move(value));
    }
    start = end + 1;
  }
  return Status::ok();
}

std::string form_encode_json(const nlohmann::json& object) {
  INTSIM_ASSERT(object.is_object());
  FormFields fields;
  flatten(object, "", &fields);
  return form_encode(fields);
}

Status form_decode_json(std::string_view body, nlohmann::json* object) {
  FormFields fields;
  Status s = form_decode(body, &fields);
  if (!s.is_ok()) return s;
  nlohmann::json root = nlohmann::json::object();
  for (const FormField& f : fields) {
    std::vector<std::string> parts;
    if (!split_key(f.first, &parts)) {
      return Status::invalid_argument("malformed key '" + f.first + "'");
    }
    nlohmann::json* node = &root[parts[0]];
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      const bool want_array = part.empty() || is_index(part);
      if (node->is_null()) {
        *node = want_array ? nlohmann::json::array() : nlohmann::json::object();
      } else if (!node->is_array() && !node->is_object()) {
        return Status::invalid_argument("key '" + f.first + "' is both a value and a parent");
      } else if (node->is_array() != want_array) {
        return Status::invalid_argument("key '" + f.first + "' mixes an array and an object");
      }
      if (want_array) {
        const std::size_t index = part.empty() ? node->size() : std::stoul(part);
        if (index > node->size()) {
          return Status::invalid_argument("index out of order in '" + f.first + "'");
        }
        if (index == node->size()) node->push_back(nullptr);
        node = &(*node)[index];
      } else {
        node = &(*node)[part];
      }
    }
    if (!node->is_null()) {
      return Status::invalid_argument("key '" + f.first + "' given twice or used as a parent");
    }
    *node = f.second;
  }
  *object = std::move(root);
  return Status::ok();
}

}  // namespace intsim::core::payments
