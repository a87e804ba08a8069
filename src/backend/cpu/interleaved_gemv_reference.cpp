#include "backend/cpu/interleaved_gemv.h"

#include "backend/cpu/interleaved_weights.h"
#include "quant/float_bits.h"

#include <cassert>
#include <cmath>

namespace rocmforge::backend::cpu {

namespace {

// Code j of row r in group block b (Q4_0: the nibble minus 8).
int weight_code(const BlockQ4_0x8& b, int r, int j) {
    const uint8_t byte = b.qs[(j % 16) / 4][r][j % 4];
    return (j < 16 ? byte & 0x0F : byte >> 4) - 8;
}
int weight_code(const BlockQ8_0x8& b, int r, int j) { return b.qs[j / 4][r][j % 4]; }

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

// Code (0..15) of element e of row r: pair p = e / 64 of sub-blocks, byte 4c + b = e % 32 of the
// pair's 32 bytes, low nibble in the pair's first sub-block, high nibble in its second.
int q4_k_code(const BlockQ4_Kx8& b, int r, int e) {
    const int p = e / 64, j = e % 32;
    const uint8_t byte = b.qs[p][j / 4][r][j % 4];
    return (e % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
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
                        int32_t dot = 0;
                        for (int j = 0; j < 32; ++j) dot += q4_k_code(blocks[i], r, 32 * s + j) * a[i].qs[32 * s + j];
                        isum += blocks[i].scales[s][r] * dot;
                        msum += blocks[i].mins[s / 2][r][s % 2] * (a[i].bsums[2 * s] + a[i].bsums[2 * s + 1]);
                    }
                    acc = std::fma(static_cast<float>(isum), quant::half_to_float(blocks[i].d[r]) * a[i].d, acc);
                    macc = std::fma(static_cast<float>(msum), quant::half_to_float(blocks[i].dmin[r]) * a[i].d, macc);
                }
                y[t][g * kInterleavedRows + r] = acc - macc;
            }
        }
    }
}

// Code (0..63) of element e of row r: low 4 bits from ql, high 2 bits from qh, in the Q6_K order
// (halves of 128; in a half, quarter c of 32 elements takes nibble c / 2 of ql[32 * (c % 2) + j]
// and bits 2c, 2c + 1 of qh[j]).
int q6_k_code(const BlockQ6_Kx8& b, int r, int e) {
    const int h = e / 128, c = (e % 128) / 32, j = e % 32;
    const uint8_t l = b.ql[r][64 * h + 32 * (c % 2) + j];
    const int low = c < 2 ? (l & 0x0F) : (l >> 4);
    const int high = (b.qh[r][32 * h + j] >> (2 * c)) & 3;
    return low | (high << 4);
}

void gemv_reference_q6_k(int64_t k, const BlockQ6_Kx8* groups, int64_t n_groups, const void* const* act,
                         int n_tokens, float* const* y) {
    const int64_t nb = k / quant::kQK_K;
    for (int t = 0; t < n_tokens; ++t) {
        const auto* a = static_cast<const quant::BlockQ8_K*>(act[t]);
        for (int64_t g = 0; g < n_groups; ++g) {
            const BlockQ6_Kx8* blocks = groups + g * nb;
            for (int r = 0; r < kInterleavedRows; ++r) {
                float acc = 0.0f;
                for (int64_t i = 0; i < nb; ++i) {
                    int32_t isum = 0, offset = 0;
                    for (int s = 0; s < 16; ++s) {
                        int32_t dot = 0;
                        for (int j = 0; j < 16; ++j) dot += q6_k_code(blocks[i], r, 16 * s + j) * a[i].qs[16 * s + j];
                        isum += blocks[i].scales[r][s] * dot;
                        offset += blocks[i].scales[r][s] * a[i].bsums[s];
                    }
                    isum -= 32 * offset;
                    acc = std::fma(static_cast<float>(isum), quant::half_to_float(blocks[i].d[r]) * a[i].d, acc);
                }
                y[t][g * kInterleavedRows + r] = acc;
            }
        }
    }
}

}  // namespace

void interleaved_gemv_reference(gguf::GgmlType type, int64_t k, const void* groups, int64_t n_groups,
                                const void* const* act, int n_tokens, float* const* y) {
    assert(n_tokens >= 1);
    switch (type) {
        case gguf::GgmlType::Q4_0:
            return gemv_reference(k, static_cast<const BlockQ4_0x8*>(groups), n_groups, act, n_tokens, y);
        case gguf::GgmlType::Q8_0:
            return gemv_reference(k, static_cast<const BlockQ8_0x8*>(groups), n_groups, act, n_tokens, y);
        case gguf::GgmlType::Q4_K:
            return gemv_reference_q4_k(k, static_cast<const BlockQ4_Kx8*>(groups), n_groups, act, n_tokens, y);
        default:
            assert(type == gguf::GgmlType::Q6_K);
            return gemv_reference_q6_k(k, static_cast<const BlockQ6_Kx8*>(groups), n_groups, act, n_tokens, y);
    }
}

}  // namespace rocmforge::backend::cpu
