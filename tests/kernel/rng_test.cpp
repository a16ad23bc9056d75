#include "sim/kernel/rng.hpp"

#include <gtest/gtest.h>

using namespace rehearse::sim;

// Pinned values: any change to the generator changes every trace hash, so it must be
// deliberate. Reference: splitmix64 (Vigna) seeding xoshiro256** (Blackman & Vigna).
TEST(Rng, SplitmixSeededXoshiroSequenceIsPinned) {
  Rng r(0);
  // splitmix64(0) outputs e220a8397b1dcdaf, 6e789e6aa1b965f4, ... feed xoshiro's state.
  std::uint64_t a = r.next_u64(), b = r.next_u64(), c = r.next_u64();
  Rng r2(0);
  EXPECT_EQ(a, r2.next_u64());
  EXPECT_EQ(b, r2.next_u64());
  EXPECT_EQ(c, r2.next_u64());
  EXPECT_EQ(a, 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(b, 0xbf6e1f784956452aull);
}

TEST(Rng, FnvMatchesReferenceVectors) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(Rng, StreamsAreIndependentAndStable) {
  Rng root(42);
  Rng a1 = root.stream("argocd"), a2 = root.stream("argocd"), f = root.stream("flux");
  std::uint64_t x = a1.next_u64();
  EXPECT_EQ(x, a2.next_u64());
  EXPECT_NE(x, f.next_u64());
  EXPECT_NE(Rng(43).stream("argocd").next_u64(), x);
}

TEST(Rng, BoundedDrawsStayInRangeAndCoverIt) {
  Rng r(7);
  int seen[6] = {0};
  for (int i = 0; i < 6000; ++i) {
    auto v = r.between(-2, 3);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 3);
    ++seen[v + 2];
  }
  for (int s : seen) EXPECT_GT(s, 800);
  for (int i = 0; i < 1000; ++i) {
    double u = r.unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}
