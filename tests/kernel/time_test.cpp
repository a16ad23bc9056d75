#include "sim/kernel/time.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>

using namespace rehearse::sim;

TEST(GoDuration, ParsesUnitsAndCompounds) {
  EXPECT_EQ(parse_go_duration("5m").value(), minutes(5));
  EXPECT_EQ(parse_go_duration("1h30m").value(), minutes(90));
  EXPECT_EQ(parse_go_duration("1.5h").value(), minutes(90));
  EXPECT_EQ(parse_go_duration("300ms").value(), ms(300));
  EXPECT_EQ(parse_go_duration("-2s").value(), seconds(-2));
  EXPECT_EQ(parse_go_duration("0").value(), ms(0));
  EXPECT_EQ(parse_go_duration("2h45m30.5s").value(), ms(9930500));
  EXPECT_FALSE(parse_go_duration("").ok());
  EXPECT_FALSE(parse_go_duration("5").ok());  // Go requires a unit except for "0"
  EXPECT_FALSE(parse_go_duration("5x").ok());
  EXPECT_FALSE(parse_go_duration("m").ok());
}

TEST(GoDuration, FormatsLikeGo) {
  EXPECT_EQ(format_go_duration(minutes(90)), "1h30m0s");
  EXPECT_EQ(format_go_duration(minutes(5)), "5m0s");
  EXPECT_EQ(format_go_duration(ms(1500)), "1.5s");
  EXPECT_EQ(format_go_duration(ms(300)), "300ms");
  EXPECT_EQ(format_go_duration(ms(0)), "0s");
  EXPECT_EQ(format_short(minutes(90)), "1h30m");
  EXPECT_EQ(format_short(ms(2500)), "2.5s");
}

TEST(Rfc3339, EpochAndRoundTrip) {
  EXPECT_EQ(format_rfc3339(SimTime{}), "2025-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(SimTime{hours(24 * 59) + minutes(5)}), "2025-03-01T00:05:00Z");
  auto t = parse_rfc3339("2025-03-01T00:05:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, SimTime{hours(24 * 59) + minutes(5)});
  EXPECT_EQ(parse_rfc3339("2025-01-01T01:00:00+01:00").value(), SimTime{});
  EXPECT_FALSE(parse_rfc3339("yesterday").ok());
}

// format_rfc3339 writes digits itself for years 0-9999 and goes through fmt otherwise; both
// must give fmt's "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z" text. Checked against dates computed
// independently with <chrono>, across leap days, month ends and a century.
TEST(Rfc3339, FormatsEveryDayOfFourCenturiesLikeTheCalendar) {
  using namespace std::chrono;
  const sys_days epoch = 2025y / January / 1d;
  for (sys_days day = 1900y / January / 1d; day < 2300y / January / 1d; day += days{1}) {
    const year_month_day ymd{day};
    const auto secs = 13 * 3600 + 7 * 60 + 9;
    const SimTime t{SimDuration{((day - epoch).count() * 86400LL + secs) * 1000}};
    const std::string want = fmt::format("{:04}-{:02}-{:02}T13:07:09Z", static_cast<int>(ymd.year()),
                                         static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    std::string got;
    assign_rfc3339(got, t);
    ASSERT_EQ(got, want);
    ASSERT_EQ(format_rfc3339(t), want);
    ASSERT_EQ(parse_rfc3339(want).value(), t) << want;
  }
  // Outside 0-9999 the text keeps fmt's sign and fifth digit.
  const sys_days y10k = 10000y / January / 1d;
  const SimTime far{SimDuration{(y10k - epoch).count() * 86400LL * 1000}};
  EXPECT_EQ(format_rfc3339(far), "10000-01-01T00:00:00Z");
}

// The sscanf-free path takes "YYYY-MM-DDTHH:MM:SS[.fff]Z" only; every other form goes to the
// general parser, which gives the same time where both apply.
TEST(Rfc3339, ParsesCanonicalAndOtherForms) {
  const SimTime t{hours(24 * 59) + minutes(5)};
  EXPECT_EQ(parse_rfc3339("2025-03-01T00:05:00.250Z").value(), t + std::chrono::milliseconds(250));
  EXPECT_EQ(parse_rfc3339("2025-03-01T00:05:00.25Z").value(), t + std::chrono::milliseconds(250));
  EXPECT_EQ(parse_rfc3339("2025-03-01T00:05:00z").value(), t);
  EXPECT_EQ(parse_rfc3339("2025-03-01T01:05:00+01:00").value(), t);
  // Not a date: the general parser's arithmetic (30 February is 2 March), as before the fast path.
  EXPECT_EQ(parse_rfc3339("2025-02-30T00:05:00Z").value(), t + hours(24));
  EXPECT_FALSE(parse_rfc3339("2025-03-01T00:05:00").ok());
  EXPECT_FALSE(parse_rfc3339("2025-03-01 00:05:00Z").ok());
}
