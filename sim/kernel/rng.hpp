#pragma once
// Seeded randomness of our own (STYLE.md "Determinism"): xoshiro256** seeded through
// splitmix64, with independent per-component streams derived from the component's name, and
// our own distributions (standard library distributions differ between implementations).
// The same seed and stream name give the same sequence on every platform.

#include <cstdint>
#include <string_view>

namespace rehearse::sim {

// FNV-1a 64 of bytes; also the trace hash's step function.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = 14695981039346656037ull);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  // An independent stream for a named component (e.g. "argocd/refresh-jitter").
  Rng stream(std::string_view name) const;

  std::uint64_t next_u64();
  // Uniform in [0, bound) without modulo bias (Lemire). REQUIRES: bound > 0.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // Uniform double in [0, 1) from the top 53 bits.
  double unit();
  // Normal(mean, stddev) by Box-Muller on unit(); our own, so it is the same everywhere.
  double normal(double mean, double stddev);
  bool chance(double p) { return unit() < p; }

  std::uint64_t seed() const { return seed_; }

 private:
  std::uint64_t seed_;
  std::uint64_t s_[4];
};

}  // namespace rehearse::sim
