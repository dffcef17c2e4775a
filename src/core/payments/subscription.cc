#include "src/core/payments/subscription.h"

#include <nlohmann/json.hpp>

namespace intsim::core::payments {
namespace {

constexpr std::string_view kStatusNames[] = {"creating",           "incomplete", "active",
                                             "past_due",           "unpaid",     "canceled",
                                             "incomplete_expired", "failed"};

}  // namespace

std::string_view member_status_name(MemberStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

bool parse_member_status(std::string_view name, MemberStatus* out) {
  for (std::size_t i = 0; i < std::size(kStatusNames); ++i) {
    if (kStatusNames[i] == name) {
      *out = static_cast<MemberStatus>(i);
      return true;
    }
  }
  return false;
}

bool member_status_from_stripe(std::string_view stripe_status, MemberStatus* out) {
  if (stripe_status == "creating" || stripe_status == "failed") return false;  // ours only
  return parse_member_status(stripe_status, out);
}

Merge merge_news(const Membership& m, MemberStatus incoming, std::int64_t at_s) {
  if (is_final(m.status)) return Merge::kIgnore;
  if (is_final(incoming)) return Merge::kApply;
  if (at_s < m.last_news_s || incoming == m.status) return Merge::kIgnore;
  if (at_s == m.last_news_s) return Merge::kRead;
  return Merge::kApply;
}

bool parse_http_date(std::string_view t, std::int64_t* unix_s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, 29 characters.
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (t.size() != 29 || t[3] != ',' || t.substr(25) != " GMT") return false;
  auto digits = [&](std::size_t at, std::size_t n, int* out) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      v = v * 10 + (t[i] - '0');
    }
    *out = v;
    return true;
  };
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  const std::size_t month_at = kMonths.find(t.substr(8, 3));
  if (!digits(5, 2, &day) || month_at == std::string_view::npos || month_at % 3 != 0 ||
      !digits(12, 4, &year) || !digits(17, 2, &hh) || !digits(20, 2, &mm) || !digits(23, 2, &ss) ||
      t[16] != ' ' || t[19] != ':' || t[22] != ':' || day < 1 || day > 31 || hh > 23 || mm > 59 ||
      ss > 60) {
    return false;
  }
  const int month = static_cast<int>(month_at / 3) + 1;
  // Days from the civil date (Howard Hinnant's algorithm).
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146'097 + doe - 719'468;
  *unix_s = days * 86'400 + hh * 3'600 + mm * 60 + ss;
  return true;
}

std::string membership_check_key(TimeUs at_us, std::string_view membership_id) {
  std::string key = std::to_string(at_us);
  key.insert(0, key.size() < 20 ? 20 - key.size() : 0, '0');
  key += '/';
  key += membership_id;
  return key;
}

std::string encode_membership(const Membership& m) {
  nlohmann::ordered_json j;
  j["id"] = m.id;
  j["guest"] = m.guest;
  j["plan"] = m.plan;
  j["currency"] = m.currency;
  j["amount"] = m.amount;
  j["interval"] = m.interval;
  j["payment_method"] = m.payment_method;
  j["status"] = member_status_name(m.status);
  j["customer"] = m.customer;
  j["subscription"] = m.subscription;
  j["customer_job_id"] = m.customer_job_id;
  j["customer_key"] = m.customer_key;
  j["customer_key_at_us"] = m.customer_key_at_us;
  j["customer_dead"] = m.customer_dead;
  j["subscription_job_id"] = m.subscription_job_id;
  j["subscription_key"] = m.subscription_key;
  j["subscription_key_at_us"] = m.subscription_key_at_us;
  j["subscription_dead"] = m.subscription_dead;
  j["creates"] = m.creates;
  j["read_job_id"] = m.read_job_id;
  j["cancel_requested"] = m.cancel_requested;
  j["cancel_job_id"] = m.cancel_job_id;
  j["lapsed"] = m.lapsed;
  j["last_news_s"] = m.last_news_s;
  j["invoices"] = m.invoices;
  j["dunned"] = m.dunned;
  j["created_at_us"] = m.created_at_us;
  j["updated_at_us"] = m.updated_at_us;
  j["checked_at_us"] = m.checked_at_us;
  j["check_due_us"] = m.check_due_us;
  j["news_expected_us"] = m.news_expected_us;
  return j.dump();
}

Status decode_membership(std::string_view row, Membership* out) {
  const auto j = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::invalid_argument("membership not JSON");
  try {
    Membership m;
    m.id = j.at("id").get<std::string>();
    m.guest = j.at("guest").get<std::string>();
    m.plan = j.at("plan").get<std::string>();
    m.currency = j.at("currency").get<std::string>();
    m.amount = j.at("amount").get<std::int64_t>();
    m.interval = j.at("interval").get<std::string>();
    m.payment_method = j.at("payment_method").get<std::string>();
    if (!parse_member_status(j.at("status").get<std::string>(), &m.status)) {
      return Status::invalid_argument("membership row: unknown status");
    }
    m.customer = j.at("customer").get<std::string>();
    m.subscription = j.at("subscription").get<std::string>();
    m.customer_job_id = j.at("customer_job_id").get<std::string>();
    m.customer_key = j.at("customer_key").get<std::string>();
    m.customer_key_at_us = j.at("customer_key_at_us").get<TimeUs>();
    m.customer_dead = j.at("customer_dead").get<bool>();
    m.subscription_job_id = j.at("subscription_job_id").get<std::string>();
    m.subscription_key = j.at("subscription_key").get<std::string>();
    m.subscription_key_at_us = j.at("subscription_key_at_us").get<TimeUs>();
    m.subscription_dead = j.at("subscription_dead").get<bool>();
    m.creates = j.at("creates").get<int>();
    m.read_job_id = j.at("read_job_id").get<std::string>();
    m.cancel_requested = j.at("cancel_requested").get<bool>();
    m.cancel_job_id = j.at("cancel_job_id").get<std::string>();
    m.lapsed = j.at("lapsed").get<bool>();
    m.last_news_s = j.at("last_news_s").get<std::int64_t>();
    m.invoices = j.at("invoices").get<std::map<std::string, std::string>>();
    m.dunned = j.at("dunned").get<std::set<std::string>>();
    m.created_at_us = j.at("created_at_us").get<TimeUs>();
    m.updated_at_us = j.at("updated_at_us").get<TimeUs>();
    m.checked_at_us = j.at("checked_at_us").get<TimeUs>();
    m.check_due_us = j.at("check_due_us").get<TimeUs>();
    m.news_expected_us = j.at("news_expected_us").get<TimeUs>();
    *out = std::move(m);
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_argument(std::string("membership row: ") + e.what());
  }
  return Status::ok();
}

}  // namespace intsim::core::payments
