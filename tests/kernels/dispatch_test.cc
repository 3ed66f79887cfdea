// Runtime ISA selection: names, forcing, restoring, and the error for an unknown name.
#include "nd/kernels/dispatch.h"

#include <gtest/gtest.h>

#include <string>

#include "kernel_test_util.h"
#include "nd/core/error.h"
#include "nd/kernels/elementwise.h"

namespace nd::kernels {
namespace {

using testing::IsaGuard;

TEST(KernelsDispatch, AvailableIsasEndWithScalar) {
  const auto isas = available_isas();
  ASSERT_GE(isas.size(), 2u);  // at least the portable Highway fallback and the reference
  EXPECT_EQ(isas.back(), "scalar");
}

TEST(KernelsDispatch, ForceEachIsa) {
  IsaGuard guard;
  for (const std::string& isa : available_isas()) {
    force_isa(isa);
    EXPECT_EQ(active_isa(), isa);
    EXPECT_EQ(reference_forced(), isa == "scalar");
    float a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, y[3];
    binary(BinOp::add, a, b, y, 3);
    EXPECT_EQ(y[2], 9.0f);
  }
}

TEST(KernelsDispatch, BestPicksFirstAvailable) {
  IsaGuard guard;
  force_isa("scalar");
  force_isa("best");
  EXPECT_FALSE(reference_forced());
  EXPECT_EQ(active_isa(), available_isas().front());
}

TEST(KernelsDispatch, NamesAreCaseInsensitiveWithAliases) {
  IsaGuard guard;
  force_isa("SCALAR");
  EXPECT_TRUE(reference_forced());
  const auto isas = available_isas();
  if (isas.front() == "AVX3") {
    force_isa("avx512");
    EXPECT_EQ(active_isa(), "AVX3");
  }
  force_isa("emu128");  // the portable fallback, whichever Highway compiled
  EXPECT_FALSE(reference_forced());
  EXPECT_EQ(active_isa(), isas[isas.size() - 2]);
}

TEST(KernelsDispatch, UnknownNameThrowsWithChoices) {
  IsaGuard guard;
  try {
    force_isa("avx9000");
    FAIL() << "expected nd::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("avx9000"), std::string::npos) << msg;
    EXPECT_NE(msg.find("scalar"), std::string::npos) << msg;
    EXPECT_NE(msg.find("best"), std::string::npos) << msg;
  }
}

TEST(KernelsDispatch, GuardRestores) {
  const std::string before = active_isa();
  {
    IsaGuard guard;
    force_isa("scalar");
  }
  EXPECT_EQ(active_isa(), before);
}

}  // namespace
}  // namespace nd::kernels
