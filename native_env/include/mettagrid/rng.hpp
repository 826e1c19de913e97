// Random numbers with a fixed, platform-independent meaning: std::mt19937 is fully specified
// by the standard, but the std:: distributions are not, so the few we need are written here.
#pragma once

#include <cstdint>
#include <random>

namespace mettagrid {

using Rng = std::mt19937;

// Uniform integer in [0, n) by Lemire's multiply-shift (bias < n / 2^32, negligible here).
inline uint32_t rand_below(Rng& rng, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(rng()) * n) >> 32);
}

// Uniform float in [0, 1) with 24 bits of precision.
inline float rand_unit(Rng& rng) {
  return static_cast<float>(rng() >> 8) * (1.0f / 16777216.0f);
}

// SplitMix64: derives independent seeds for each env from one user seed.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <typename T>
inline void shuffle(T* data, size_t n, Rng& rng) {
  for (size_t i = n; i > 1; --i) {
    size_t j = rand_below(rng, static_cast<uint32_t>(i));
    T tmp = data[i - 1];
    data[i - 1] = data[j];
    data[j] = tmp;
  }
}

}  // namespace mettagrid
