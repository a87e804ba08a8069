#include "backend/cpu/interleaved_gemv.h"

#include "backend/cpu/interleaved_weights.h"
#include "quant/float_bits.h"
#include "quant/k_quant_layout.h"

#include <cassert>
#include <cmath>

namespace rocmforge::backend::cpu {

namespace {

// Code j of row r in group block b (Q4_0: the nibble minus 8).
int weight_code(const BlockQ4_0x8& b, int r, int j) {
    const uint8_t byte = b.qs[q4_0x8_slot(r)][j % 16];
    return (j < 16 ? byte & 0x0F : byte >> 4) - 8;
}
int weight_code(const BlockQ8_0x8& b, int r, int j) { return b.qs[r][j]; }

template <class Group>
void gemv_reference(int64_t k, const Group* groups, int64_t n_groups, const void* const* act, int n_tokens,
                    float* const* y) {
    const int64_t nb = k / quant::kQK4_0;
    for (int t = 0; t < n_tokens; ++t) {
        const auto* a = static_cast<const quant::BlockQ8_0*>(act[t]);
        for (int64_t g = 0; g < n_groups; ++g) {
            const Group* blocks = groups + g * nb;
            for (int r = 0; r < kInterleavedRows; ++r) {
                float acc = 0.0f;
                for (int64_t i = 0; i < nb; ++i) {
                    int32_t isum = 0;
                    for (int j = 0; j < quant::kQK4_0; ++j) isum += weight_code(blocks[i], r, j) * a[i].qs[j];
                    const float scale = quant::half_to_float(blocks[i].d[r]) * quant::half_to_float(a[i].d);
                    acc = std::fma(static_cast<float>(isum), scale, acc);
                }
                y[t][g * kInterleavedRows + r] = acc;
            }
        }
    }
}

void gemv_reference_q4_k(int64_t k, const BlockQ4_Kx8* groups, int64_t n_groups, const void* const* act,
                         int n_tokens, float* const* y) {
    const int64_t nb = k / quant::kQK_K;
    for (int t = 0; t < n_tokens; ++t) {
        const auto* a = static_cast<const quant::BlockQ8_K*>(act[t]);
        for (int64_t g = 0; g < n_groups; ++g) {
            const BlockQ4_Kx8* blocks = groups + g * nb;
            for (int r = 0; r < kInterleavedRows; ++r) {
                float acc = 0.0f, macc = 0.0f;
                for (int64_t i = 0; i < nb; ++i) {
                    int32_t isum = 0, msum = 0;
                    for (int s = 0; s < 8; ++s) {
                        int sc = 0, m = 0;
                        quant::layout::k4_scale_min(blocks[i].scales[r], s, &sc, &m);
                        // Sub-block s: elements 32s..32s+31; nibble (s odd: high) of qs[32 * (s / 2) + j].
                        int32_t dot = 0;
                        for (int j = 0; j < 32; ++j) {
                            const uint8_t byte = blocks[i].qs[r][32 * (s / 2) + j];
                            dot += ((s % 2 == 0) ? (byte & 0x0F) : (byte >> 4)) * a[i].qs[32 * s + j];
                        }
                        isum += sc * dot;
                        msum += m * (a[i].bsums[2 * s] + a[i].bsums[2 * s + 1]);
                    }
                    acc = std::fma(static_cast<float>(isum), quant::half_to_float(blocks[i].d[r]) * a[i].d, acc);
                    macc = std::fma(static_cast<float>(msum), quant::half_to_float(blocks[i].dmin[r]) * a[i].d, macc);
                }
                y[t][g * kInterleavedRows + r] = acc - macc;
            }
        }
    }
}

}  // namespace

void interleaved_gemv_reference(gguf::GgmlType type, int64_t k, const void* groups, int64_t n_groups,
                                const void* const* act, int n_tokens, float* const* y) {
    assert(n_tokens >= 1 && n_tokens <= kInterleavedGemvMaxTokens);
    switch (type) {
        case gguf::GgmlType::Q4_0:
            return gemv_reference(k, static_cast<const BlockQ4_0x8*>(groups), n_groups, act, n_tokens, y);
        case gguf::GgmlType::Q8_0:
            return gemv_reference(k, static_cast<const BlockQ8_0x8*>(groups), n_groups, act, n_tokens, y);
        default:
            assert(type == gguf::GgmlType::Q4_K);
            return gemv_reference_q4_k(k, static_cast<const BlockQ4_Kx8*>(groups), n_groups, act, n_tokens, y);
    }
}

}  // namespace rocmforge::backend::cpu
