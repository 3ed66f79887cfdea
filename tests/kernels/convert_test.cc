// Conversions: bit-exact agreement of every ISA with the reference (exhaustive for the 16-bit
// inputs, random bit patterns plus rounding boundaries for float32), and known encodings.
#include "nd/kernels/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/ref/ref.h"
#include "nd/core/rng.h"

namespace nd::kernels {
namespace {

using testing::for_each_isa;

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Random bit patterns (every class: NaN payloads, infinities, subnormals) and the float32 values
// around every binary16 / bfloat16 rounding boundary of interest.
std::vector<float> interesting_floats() {
  std::vector<float> v;
  Rng rng(42);
  for (int i = 0; i < 200000; ++i) v.push_back(from_bits(rng.next_u32()));
  for (int i = 0; i < 50000; ++i) v.push_back(rng.uniform(-70000.0f, 70000.0f));
  for (int i = 0; i < 50000; ++i) v.push_back(std::ldexp(rng.uniform(-1.0f, 1.0f), -static_cast<int>(rng.randint(30))));
  for (uint32_t b : {0x00000000u, 0x80000000u, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7F800001u, 0xFFFFFFFFu,
                     0x7F7FFFFFu, 0x477FE000u, 0x477FEFFFu, 0x477FF000u, 0x477FF001u, 0x38800000u, 0x387FFFFFu,
                     0x33000000u, 0x33000001u, 0x32FFFFFFu, 0x33800000u, 0x33C00000u, 0x3F808000u, 0x3F818000u,
                     0x00000001u, 0x007FFFFFu, 0x3F800FFFu, 0x3F801000u, 0x3F803000u}) {
    v.push_back(from_bits(b));
    v.push_back(from_bits(b ^ 0x80000000u));
  }
  return v;
}

TEST(KernelsConvert, F32ToHalfBitExact) {
  const std::vector<float> x = interesting_floats();
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<uint16_t> bf(n), f16(n);
  ref::f32_to_bf16(x.data(), bf.data(), n);
  ref::f32_to_f16(x.data(), f16.data(), n);
  for_each_isa([&] {
    std::vector<uint16_t> gbf(n + 1), gf16(n + 1);
    f32_to_bf16(x.data(), gbf.data() + 1, n);  // odd offset: unaligned 16-bit stores
    f32_to_f16(x.data(), gf16.data() + 1, n);
    int64_t bad_bf = 0, bad_f16 = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (gbf[i + 1] != bf[i] && bad_bf++ < 3) ADD_FAILURE() << "bf16 of bits " << std::hex << bits(x[i]);
      if (gf16[i + 1] != f16[i] && bad_f16++ < 3) ADD_FAILURE() << "f16 of bits " << std::hex << bits(x[i]);
    }
    EXPECT_EQ(bad_bf, 0);
    EXPECT_EQ(bad_f16, 0);
  });
}

TEST(KernelsConvert, HalfToF32BitExactExhaustive) {
  std::vector<uint16_t> h(65536);
  for (uint32_t i = 0; i < 65536; ++i) h[i] = static_cast<uint16_t>(i);
  std::vector<float> bf(65536), f16(65536);
  ref::bf16_to_f32(h.data(), bf.data(), 65536);
  ref::f16_to_f32(h.data(), f16.data(), 65536);
  for_each_isa([&] {
    std::vector<float> gbf(65536), gf16(65536);
    bf16_to_f32(h.data(), gbf.data(), 65536);
    f16_to_f32(h.data(), gf16.data(), 65536);
    int64_t bad = 0;
    for (int i = 0; i < 65536; ++i) {
      if (bits(gbf[i]) != bits(bf[i]) && bad++ < 3) ADD_FAILURE() << "bf16 " << std::hex << i;
      if (bits(gf16[i]) != bits(f16[i]) && bad++ < 3) ADD_FAILURE() << "f16 " << std::hex << i;
    }
    EXPECT_EQ(bad, 0);
  });
}

TEST(KernelsConvert, TailsAndOffsets) {
  for (int64_t n : testing::kSizes) {
    const testing::Buf x = testing::random_buf(n, 1, -100, 100, 3000 + n);
    std::vector<uint16_t> want(n);
    ref::f32_to_f16(x.data(), want.data(), n);
    for_each_isa([&] {
      std::vector<uint16_t> out(n + 40, 0xABCD);
      f32_to_f16(x.data(), out.data() + 3, n);
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(out[i + 3], want[i]);
      for (int64_t i = n + 3; i < n + 40; ++i) ASSERT_EQ(out[i], 0xABCD) << "wrote past the end, n=" << n;
      testing::Buf back(n, 2);
      f16_to_f32(out.data() + 3, back.data(), n);
      EXPECT_TRUE(back.canaries_intact());
      for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(back[i], x[i], 0.05);  // 11-bit mantissa at |x| < 128
    });
  }
}

TEST(KernelsConvert, KnownEncodings) {
  const auto bf = [](float f) {
    uint16_t h;
    ref::f32_to_bf16(&f, &h, 1);
    return h;
  };
  const auto f16 = [](float f) {
    uint16_t h;
    ref::f32_to_f16(&f, &h, 1);
    return h;
  };
  const auto from16 = [](uint16_t h) {
    float f;
    ref::f16_to_f32(&h, &f, 1);
    return f;
  };
  EXPECT_EQ(bf(1.0f), 0x3F80);
  EXPECT_EQ(bf(from_bits(0x40490FDBu)), 0x4049);  // pi rounds down
  EXPECT_EQ(bf(from_bits(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(bf(from_bits(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(bf(from_bits(0x7F7FFFFFu)), 0x7F80);  // FLT_MAX overflows to inf
  EXPECT_EQ(bf(from_bits(0x7F800001u)), 0x7FC0);  // signalling NaN stays NaN (quieted)
  EXPECT_EQ(bf(-0.0f), 0x8000);
  EXPECT_EQ(f16(1.0f), 0x3C00);
  EXPECT_EQ(f16(-2.0f), 0xC000);
  EXPECT_EQ(f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f16(65519.0f), 0x7BFF);
  EXPECT_EQ(f16(65520.0f), 0x7C00);  // halfway to the next binade rounds (to even) to inf
  EXPECT_EQ(f16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f16(std::ldexp(1.0f, -25)), 0x0000);   // tie -> even (zero)
  EXPECT_EQ(f16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(f16(std::ldexp(3.0f, -25)), 0x0002);   // tie -> even (two)
  EXPECT_EQ(f16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(f16(from_bits(0x7F800001u)) & 0x7E00, 0x7E00);  // NaN, quiet bit set
  EXPECT_EQ(from16(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(from16(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(from16(0x7BFF), 65504.0f);
  EXPECT_EQ(from16(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(from16(0x7C01)));
}

}  // namespace
}  // namespace nd::kernels
