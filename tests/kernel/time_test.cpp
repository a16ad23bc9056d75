#include "sim/kernel/time.hpp"

#include <gtest/gtest.h>

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
