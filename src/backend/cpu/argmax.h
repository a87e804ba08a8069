#pragma once
// Greedy decoding's pick over a row of logits.
#include <cstdint>

namespace rocmforge::backend::cpu {

// The index of the first maximum of row[0, n) (the smallest index among equal maxima; -0 and +0
// are equal), or -1 when n == 0 or any value is NaN or infinite.
int32_t argmax_finite_reference(const float* row, int64_t n);
// Same result; AVX2 when the CPU has it (a max/finite pass, then a search for the first maximum).
int32_t argmax_finite(const float* row, int64_t n);

}  // namespace rocmforge::backend::cpu
