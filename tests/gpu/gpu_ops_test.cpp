// Every GPU op against the CPU op (or the CPU's reference kernel) on fresh random inputs, GPU
// outputs poisoned with NaN before the run, explicit tolerances on ‖gpu − cpu‖ / ‖cpu‖.
// Skipped ("skipped: no GPU") when no GPU is usable, e.g. in CI or a CPU-only build.
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/matmul.h"
#include "common/fresh_seed.h"
#include "gpu/gpu_test_support.h"
#include "quant/block_types.h"
#include "quant/float_bits.h"
#include "quant/quant_traits.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>

namespace rocmforge::test {
namespace {

using backend::RowClass;
using gguf::GgmlType;

// Host bytes of a [k, rows] matrix of `type` holding `values` (rounded / quantized).
std::vector<uint8_t> encode_matrix(GgmlType type, const std::vector<float>& values, int64_t k, int64_t rows) {
    const size_t row_bytes = tensor::tensor_bytes(type, {k, 1, 1, 1});
    std::vector<uint8_t> out(row_bytes * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const float* src = values.data() + r * k;
        uint8_t* dst = out.data() + static_cast<size_t>(r) * row_bytes;
        if (type == GgmlType::F32) {
            std::memcpy(dst, src, row_bytes);
        } else if (type == GgmlType::F16 || type == GgmlType::BF16) {
            for (int64_t i = 0; i < k; ++i) {
                const uint16_t h = type == GgmlType::F16 ? quant::float_to_half(src[i]) : quant::float_to_bf16(src[i]);
                std::memcpy(dst + 2 * i, &h, 2);
            }
        } else {
            quant::quant_traits(type).from_float(src, dst, k);
        }
    }
    return out;
}

// x ([k, n] f32, k % 32 == 0) after the GEMV's int8 rounding of activations for Q4_0/Q8_0
// weights, written from its definition (gemv.cuh, quantize_q8.cuh): per block of 32 values,
// d = max|x| / 127 rounded to 22 significant bits (nearest, ties up) and each value becomes
// d * rint(x / d).
std::vector<float> int8_rounded(const std::vector<float>& x) {
    std::vector<float> out(x.size());
    for (size_t b = 0; b < x.size(); b += 32) {
        float amax = 0.0f;
        for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b + j]));
        const float d = std::bit_cast<float>((std::bit_cast<uint32_t>(amax / 127.0f) + 2u) & ~3u);
        for (size_t j = 0; j < 32; ++j) out[b + j] = d == 0.0f ? 0.0f : d * std::nearbyint(x[b + j] / d);
    }
    return out;
}

// x with every value rounded to f16, as the prefill GEMM reads activations (gemm.cuh).
std::vector<float> f16_rounded(const std::vector<float>& x) {
    std::vector<float> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = quant::half_to_float(quant::float_to_half(x[i]));
    return out;
}

// What the decode GEMV computes exactly (up to f32 summation order): int8-rounded activations for
// the split-layout types, the activations themselves otherwise.
bool decode_rounds_activations(GgmlType type) {
    return type == GgmlType::Q4_0 || type == GgmlType::Q8_0 || type == GgmlType::Q4_K;
}

// Every type in backend/gpu/weight_types.h. The tests' k are multiples of 256 (K-quants, IQ4_XS).
const GgmlType kWeightTypes[] = {GgmlType::F32,  GgmlType::F16,    GgmlType::BF16,  GgmlType::Q8_0, GgmlType::Q4_0,
                                 GgmlType::Q4_1, GgmlType::Q5_0,   GgmlType::Q5_1,  GgmlType::IQ4_NL,
                                 GgmlType::MXFP4, GgmlType::Q2_K,  GgmlType::Q3_K,  GgmlType::Q4_K, GgmlType::Q5_K,
                                 GgmlType::Q6_K, GgmlType::IQ4_XS};

TEST(GpuOps, GetRowsEveryWeightType) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t k = 512, rows = 37, n_ids = 9;
    for (const auto type : kWeightTypes) {
        ASSERT_TRUE(gpu->supports(backend::Op::GetRows, type)) << gguf::ggml_type_name(type);
        const auto bytes = encode_matrix(type, random_vector(rng, static_cast<size_t>(k * rows)), k, rows);
        std::vector<int32_t> ids(n_ids);
        for (auto& id : ids) id = static_cast<int32_t>(rng() % rows);
        const auto host_table = tensor::make_tensor(type, {k, rows, 1, 1}, const_cast<uint8_t*>(bytes.data()));
        std::vector<float> expected(static_cast<size_t>(k * n_ids));
        auto cpu_out = tensor::make_tensor(GgmlType::F32, {k, n_ids, 1, 1}, expected.data());
        cpu.get_rows(host_table, tensor::make_tensor(GgmlType::I32, {n_ids, 1, 1, 1}, ids.data()), cpu_out);

        auto out = poisoned(*gpu, {k, n_ids, 1, 1});
        gpu->get_rows(to_device(*gpu, type, {k, rows, 1, 1}, bytes.data()),
                      to_device(*gpu, GgmlType::I32, {n_ids, 1, 1, 1}, ids.data()), out);
        EXPECT_LE(rel_error(to_host(*gpu, out), expected), 1e-6) << gguf::ggml_type_name(type) << " seed " << seed;
    }
}

// Blocks of random bytes (every code, scale and bit pattern, not only what our quantizers emit),
// with each block's f16 scale fields set to finite values, read by get_rows and compared with the
// CPU's scalar reference dequantizer. Block byte offsets of the f16 fields from block_types.h.
struct RandomBlockType {
    GgmlType type;
    std::vector<size_t> f16_offsets;
};
const RandomBlockType kRandomBlockTypes[] = {
    {GgmlType::Q8_0, {offsetof(quant::BlockQ8_0, d)}},
    {GgmlType::Q4_0, {offsetof(quant::BlockQ4_0, d)}},
    {GgmlType::Q4_1, {offsetof(quant::BlockQ4_1, d), offsetof(quant::BlockQ4_1, m)}},
    {GgmlType::Q5_0, {offsetof(quant::BlockQ5_0, d)}},
    {GgmlType::Q5_1, {offsetof(quant::BlockQ5_1, d), offsetof(quant::BlockQ5_1, m)}},
    {GgmlType::IQ4_NL, {offsetof(quant::BlockIQ4_NL, d)}},
    {GgmlType::MXFP4, {}},  // E8M0 scale byte: any value but 255 (NaN) is finite, fixed below
    {GgmlType::Q2_K, {offsetof(quant::BlockQ2_K, d), offsetof(quant::BlockQ2_K, dmin)}},
    {GgmlType::Q3_K, {offsetof(quant::BlockQ3_K, d)}},
    {GgmlType::Q4_K, {offsetof(quant::BlockQ4_K, d), offsetof(quant::BlockQ4_K, dmin)}},
    {GgmlType::Q5_K, {offsetof(quant::BlockQ5_K, d), offsetof(quant::BlockQ5_K, dmin)}},
    {GgmlType::Q6_K, {offsetof(quant::BlockQ6_K, d)}},
    {GgmlType::IQ4_XS, {offsetof(quant::BlockIQ4_XS, d)}},
};

TEST(GpuOps, GetRowsRandomBlockBytesMatchReferenceDequantizer) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t k = 768, rows = 11;
    std::uniform_real_distribution<float> scale(-2.0f, 2.0f);
    for (const auto& [type, f16_offsets] : kRandomBlockTypes) {
        const auto& traits = quant::reference_quant_traits(type);
        const size_t row_bytes = quant::row_size(traits, k);
        std::vector<uint8_t> bytes(row_bytes * rows);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng());
        for (size_t block = 0; block < bytes.size(); block += traits.type_size) {
            for (const size_t off : f16_offsets) {
                const uint16_t h = quant::float_to_half(scale(rng));
                std::memcpy(&bytes[block + off], &h, 2);
            }
            // MXFP4: exponents around 2^0 keep values in a readable range; e = 0 (subnormal) included.
            if (type == GgmlType::MXFP4) bytes[block] = static_cast<uint8_t>(rng() % 8 == 0 ? 0 : 120 + rng() % 16);
        }
        std::vector<float> expected(static_cast<size_t>(k * rows));
        for (int64_t r = 0; r < rows; ++r) traits.to_float(bytes.data() + r * row_bytes, expected.data() + r * k, k);

        std::vector<int32_t> ids(rows);
        std::iota(ids.begin(), ids.end(), 0);
        auto out = poisoned(*gpu, {k, rows, 1, 1});
        gpu->get_rows(to_device(*gpu, type, {k, rows, 1, 1}, bytes.data()),
                      to_device(*gpu, GgmlType::I32, {rows, 1, 1, 1}, ids.data()), out);
        EXPECT_LE(rel_error(to_host(*gpu, out), expected), 1e-6) << gguf::ggml_type_name(type) << " seed " << seed;
    }
}

TEST(GpuOps, RmsNorm) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    for (const int64_t n : {int64_t{1000}, int64_t{1002}}) {  // float4 rows and the element-wise kernel
        const int64_t rows = 7;
        auto x = random_vector(rng, n * rows, 3.0f), w = random_vector(rng, n);
        std::vector<float> expected(x.size());
        auto cpu_y = tensor::make_tensor(GgmlType::F32, {n, rows, 1, 1}, expected.data());
        cpu.rms_norm(tensor::make_tensor(GgmlType::F32, {n, rows, 1, 1}, x.data()),
                     tensor::make_tensor(GgmlType::F32, {n, 1, 1, 1}, w.data()), cpu_y, 1e-5f);
        auto y = poisoned(*gpu, {n, rows, 1, 1});
        gpu->rms_norm(to_device(*gpu, x, {n, rows, 1, 1}), to_device(*gpu, w, {n, 1, 1, 1}), y, 1e-5f);
        EXPECT_LE(rel_error(to_host(*gpu, y), expected), 1e-5) << "seed " << seed;
        // In place (x and y alias), as the forward pass does for the QK norms.
        auto xy = to_device(*gpu, x, {n, rows, 1, 1});
        gpu->rms_norm(xy, to_device(*gpu, w, {n, 1, 1, 1}), xy, 1e-5f);
        EXPECT_LE(rel_error(to_host(*gpu, xy), expected), 1e-5) << "n " << n << " seed " << seed;
    }
}

// Decode rows (GEMV, f32 activations) and prefill rows (f16 weights, split f16 activations, f32
// accumulation) against the CPU's reference matmul (weights dequantized to f32, f32 dots). Token
// counts cover the GEMV's groups of 8/4/2/1; n_out is not a multiple of the rows per block.
TEST(GpuOps, MatmulDecodeAndPrefillRowsEveryWeightType) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t k = 768, n_out = 67, n_tokens = 23;
    for (const auto type : kWeightTypes) {
        ASSERT_TRUE(gpu->supports(backend::Op::Matmul, type)) << gguf::ggml_type_name(type);
        const auto bytes = encode_matrix(type, random_vector(rng, static_cast<size_t>(k * n_out)), k, n_out);
        auto x = random_vector(rng, static_cast<size_t>(k * n_tokens));
        const auto host_w = tensor::make_tensor(type, {k, n_out, 1, 1}, const_cast<uint8_t*>(bytes.data()));
        std::vector<float> expected(static_cast<size_t>(n_out * n_tokens));
        backend::cpu::matmul_reference(host_w, x.data(), n_tokens, expected.data());
        std::vector<float> expected_decode = expected, expected_prefill = expected;
        if (decode_rounds_activations(type))
            backend::cpu::matmul_reference(host_w, int8_rounded(x).data(), n_tokens, expected_decode.data());
        backend::cpu::matmul_reference(host_w, f16_rounded(x).data(), n_tokens, expected_prefill.data());

        const auto w = to_device(*gpu, type, {k, n_out, 1, 1}, bytes.data());
        const auto xd = to_device(*gpu, x, {k, n_tokens, 1, 1});
        // Rows 0..14 decode (8 + 4 + 2 + 1), 15..22 prefill, as two runs of one call.
        const backend::RowRun runs[] = {{0, 15, RowClass::Decode}, {15, 8, RowClass::Prefill}};
        auto y = poisoned(*gpu, {n_out, n_tokens, 1, 1});
        gpu->matmul(w, xd, y, runs);
        const auto got = to_host(*gpu, y);
        const auto part = [&](const std::vector<float>& v, int64_t t0, int64_t t1) {
            return std::vector<float>(v.begin() + t0 * n_out, v.begin() + t1 * n_out);
        };
        // Prefill rounds the activations to f16, and the weights: exact for F16 (and BF16 in range),
        // ~2^-11 otherwise.
        const bool f16_exact = type == GgmlType::F16 || type == GgmlType::BF16;
        EXPECT_LE(rel_error(part(got, 0, 15), part(expected_decode, 0, 15)), 1e-5)
            << "decode " << gguf::ggml_type_name(type) << " seed " << seed;
        // int8 activations cost ~0.5% against f32 ones (1/254 relative rounding per value).
        EXPECT_LE(rel_error(part(got, 0, 15), part(expected, 0, 15)), 2e-2)
            << "decode vs f32 activations " << gguf::ggml_type_name(type) << " seed " << seed;
        EXPECT_LE(rel_error(part(got, 15, 23), part(expected_prefill, 15, 23)), f16_exact ? 1e-5 : 2e-3)
            << "prefill " << gguf::ggml_type_name(type) << " seed " << seed;
        EXPECT_LE(rel_error(part(got, 15, 23), part(expected, 15, 23)), 2e-3)
            << "prefill vs f32 activations " << gguf::ggml_type_name(type) << " seed " << seed;
    }
}

// Decode rows long enough that every lane takes several blocks (k = 4352: 136 blocks, 16-byte
// rows, the int8 kernel) and rows whose split layout is not 16-byte aligned (k = 800: the generic
// element reader), for the split-layout types, Q4_K (k = 4352 only) and F16; and the generic
// reader's types at both lengths where their blocks fit (k = 800: 25 blocks of 32, rows of odd
// byte length for MXFP4's 17-byte blocks; k = 4352: 17 blocks of 256).
TEST(GpuOps, MatmulDecodeLongAndUnalignedRows) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t n_out = 45, n_tokens = 3;
    for (const int64_t k : {int64_t{4352}, int64_t{800}})
        for (const auto type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::F16, GgmlType::Q4_1,
                                GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::Q2_K,
                                GgmlType::Q3_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_XS}) {
            if (k % gguf::ggml_type_info(type).block_size != 0) continue;  // 256-element blocks at k = 800
            const auto bytes = encode_matrix(type, random_vector(rng, static_cast<size_t>(k * n_out)), k, n_out);
            const auto x = random_vector(rng, static_cast<size_t>(k * n_tokens));
            const auto host_w = tensor::make_tensor(type, {k, n_out, 1, 1}, const_cast<uint8_t*>(bytes.data()));
            std::vector<float> expected(static_cast<size_t>(n_out * n_tokens));
            // The int8 kernel rounds activations; the generic reader (unaligned rows) does not.
            const bool rounds = decode_rounds_activations(type) && k % 256 == 0;
            backend::cpu::matmul_reference(host_w, rounds ? int8_rounded(x).data() : x.data(), n_tokens, expected.data());
            const auto w = to_device(*gpu, type, {k, n_out, 1, 1}, bytes.data());
            auto y = poisoned(*gpu, {n_out, n_tokens, 1, 1});
            const backend::RowRun run{0, n_tokens, RowClass::Decode};
            gpu->matmul(w, to_device(*gpu, x, {k, n_tokens, 1, 1}), y, std::span(&run, 1));
            EXPECT_LE(rel_error(to_host(*gpu, y), expected), 1e-5)
                << gguf::ggml_type_name(type) << " k " << k << " seed " << seed;
        }
}

TEST(GpuOps, MatmulSharedInputMatchesSeparateProducts) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t k = 256, n_tokens = 5;
    const auto wa = encode_matrix(GgmlType::Q8_0, random_vector(rng, k * 40), k, 40);
    const auto wb = encode_matrix(GgmlType::F16, random_vector(rng, k * 24), k, 24);
    auto x = random_vector(rng, k * n_tokens);
    std::vector<float> ea(40 * n_tokens), eb(24 * n_tokens), eb_prefill(24 * n_tokens);
    std::vector<float> ea_decode(40 * n_tokens);
    backend::cpu::matmul_reference(tensor::make_tensor(GgmlType::Q8_0, {k, 40, 1, 1}, const_cast<uint8_t*>(wa.data())),
                                   x.data(), n_tokens, ea.data());
    backend::cpu::matmul_reference(tensor::make_tensor(GgmlType::Q8_0, {k, 40, 1, 1}, const_cast<uint8_t*>(wa.data())),
                                   int8_rounded(x).data(), n_tokens, ea_decode.data());
    backend::cpu::matmul_reference(tensor::make_tensor(GgmlType::F16, {k, 24, 1, 1}, const_cast<uint8_t*>(wb.data())),
                                   x.data(), n_tokens, eb.data());
    backend::cpu::matmul_reference(tensor::make_tensor(GgmlType::F16, {k, 24, 1, 1}, const_cast<uint8_t*>(wb.data())),
                                   f16_rounded(x).data(), n_tokens, eb_prefill.data());
    const auto da = to_device(*gpu, GgmlType::Q8_0, {k, 40, 1, 1}, wa.data());
    const auto db = to_device(*gpu, GgmlType::F16, {k, 24, 1, 1}, wb.data());
    for (const auto cls : {RowClass::Decode, RowClass::Prefill}) {
        auto ya = poisoned(*gpu, {40, n_tokens, 1, 1}), yb = poisoned(*gpu, {24, n_tokens, 1, 1});
        const backend::MatmulTask tasks[] = {{&da, &ya}, {&db, &yb}};
        const backend::RowRun run{0, n_tokens, cls};
        gpu->matmul_shared_input(tasks, to_device(*gpu, x, {k, n_tokens, 1, 1}), std::span(&run, 1));
        EXPECT_LE(rel_error(to_host(*gpu, ya), cls == RowClass::Decode ? ea_decode : ea), cls == RowClass::Decode ? 1e-5 : 2e-3)
            << "seed " << seed;
        EXPECT_LE(rel_error(to_host(*gpu, yb), cls == RowClass::Decode ? eb : eb_prefill), 1e-5) << "seed " << seed;
    }
}

// Three Q4_0 products of one x (as Q, K, V): the decode GEMV runs them in one launch; each output
// must equal its own product (row ranges of the targets must not mix), for every token group size.
TEST(GpuOps, MatmulSharedInputFusedDecode) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t k = 512, n_outs[] = {70, 33, 129};
    for (const int64_t n_tokens : {int64_t{1}, int64_t{11}, int64_t{59}}) {  // 59 = 7 groups of 8 + 2 + 1
        const auto x = random_vector(rng, static_cast<size_t>(k * n_tokens));
        const auto xd = to_device(*gpu, x, {k, n_tokens, 1, 1});
        std::vector<tensor::Tensor> ws, ys;
        std::vector<std::vector<float>> expected;
        for (const int64_t n_out : n_outs) {
            const auto bytes = encode_matrix(GgmlType::Q4_0, random_vector(rng, static_cast<size_t>(k * n_out)), k, n_out);
            expected.emplace_back(static_cast<size_t>(n_out * n_tokens));
            backend::cpu::matmul_reference(tensor::make_tensor(GgmlType::Q4_0, {k, n_out, 1, 1}, const_cast<uint8_t*>(bytes.data())),
                                           int8_rounded(x).data(), n_tokens, expected.back().data());
            ws.push_back(to_device(*gpu, GgmlType::Q4_0, {k, n_out, 1, 1}, bytes.data()));
            ys.push_back(poisoned(*gpu, {n_out, n_tokens, 1, 1}));
        }
        const backend::MatmulTask tasks[] = {{&ws[0], &ys[0]}, {&ws[1], &ys[1]}, {&ws[2], &ys[2]}};
        const backend::RowRun run{0, n_tokens, RowClass::Decode};
        gpu->matmul_shared_input(tasks, xd, std::span(&run, 1));
        for (size_t i = 0; i < 3; ++i)
            EXPECT_LE(rel_error(to_host(*gpu, ys[i]), expected[i]), 1e-5) << "target " << i << " tokens " << n_tokens
                                                                          << " seed " << seed;
    }
}

// A decode product of many tokens (on NVIDIA sm_80+ the tensor-core kernel from 8 tokens on, in
// each of its tile shapes, against the dp4a GEMV of one token; with ROCMFORGE_GPU_DECODE_MMA=0
// and elsewhere the dp4a GEMV's token groups of 8/4/2/1) gives every token exactly the bits of
// that token's product alone, for fused targets whose rows straddle the kernels' row tiles (70 +
// 33 + 129 rows), k of fewer blocks than leaves (256: 8 blocks), a round of 32 blocks and some
// (2304: 72, odd leaf lengths), several rounds (4352: 136); all 16-byte rows, so the int8
// kernels; and stays within the int8 reference.
class GpuDecodeKernels : public ::testing::TestWithParam<bool> {};

TEST_P(GpuDecodeKernels, MatmulDecodeManyTokensBitIdenticalToOneAtATime) {
    if (!GetParam()) setenv("ROCMFORGE_GPU_DECODE_MMA", "0", 1);  // read when the backend is made
    std::string skip_reason;
    const auto gpu = engine::make_gpu_backend(&skip_reason);
    unsetenv("ROCMFORGE_GPU_DECODE_MMA");
    if (gpu == nullptr) GTEST_SKIP() << "skipped: no GPU (" << skip_reason << ")";
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t n_outs[] = {70, 33, 129};
    for (const auto type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K})
        for (const int64_t k : {int64_t{256}, int64_t{2304}, int64_t{4352}}) {
            std::vector<tensor::Tensor> ws;
            std::vector<std::vector<uint8_t>> bytes;
            for (const int64_t n_out : n_outs) {
                bytes.push_back(encode_matrix(type, random_vector(rng, static_cast<size_t>(k * n_out)), k, n_out));
                ws.push_back(to_device(*gpu, type, {k, n_out, 1, 1}, bytes.back().data()));
            }
            const auto product = [&](const std::vector<float>& x, int64_t n_tokens) {
                std::vector<tensor::Tensor> ys;
                for (const int64_t n_out : n_outs) ys.push_back(poisoned(*gpu, {n_out, n_tokens, 1, 1}));
                const backend::MatmulTask tasks[] = {{&ws[0], &ys[0]}, {&ws[1], &ys[1]}, {&ws[2], &ys[2]}};
                const backend::RowRun run{0, n_tokens, RowClass::Decode};
                gpu->matmul_shared_input(tasks, to_device(*gpu, x, {k, n_tokens, 1, 1}), std::span(&run, 1));
                std::vector<std::vector<float>> out;
                for (const auto& y : ys) out.push_back(to_host(*gpu, y));
                return out;
            };
            for (const int64_t n_tokens : {int64_t{3}, int64_t{8}, int64_t{13}, int64_t{24}, int64_t{40}, int64_t{77}}) {
                const auto x = random_vector(rng, static_cast<size_t>(k * n_tokens));
                const auto together = product(x, n_tokens);
                for (size_t i = 0; i < 3; ++i) {
                    std::vector<float> expected(static_cast<size_t>(n_outs[i] * n_tokens));
                    backend::cpu::matmul_reference(
                        tensor::make_tensor(type, {k, n_outs[i], 1, 1}, const_cast<uint8_t*>(bytes[i].data())),
                        int8_rounded(x).data(), n_tokens, expected.data());
                    EXPECT_LE(rel_error(together[i], expected), 1e-5)
                        << gguf::ggml_type_name(type) << " k " << k << " tokens " << n_tokens << " target " << i
                        << " seed " << seed;
                }
                for (int64_t t = 0; t < n_tokens; ++t) {
                    const auto alone = product(std::vector<float>(x.begin() + t * k, x.begin() + (t + 1) * k), 1);
                    for (size_t i = 0; i < 3; ++i) {
                        const float* got = together[i].data() + t * n_outs[i];
                        ASSERT_EQ(std::memcmp(got, alone[i].data(), sizeof(float) * static_cast<size_t>(n_outs[i])), 0)
                            << gguf::ggml_type_name(type) << " k " << k << " token " << t << " of " << n_tokens
                            << " target " << i << ": first row " << got[0] << " vs alone " << alone[i][0]
                            << " seed " << seed;
                    }
                }
            }
        }
}
INSTANTIATE_TEST_SUITE_P(GpuOps, GpuDecodeKernels, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "TensorCoresWhereBuilt" : "Dp4aGemv"; });

// The fused residual add + norm against the CPU's add then rms_norm (rows in registers and, at
// 9216, the strided path; y aliasing delta as in the forward pass), and the int8 copy the norm and
// the gated activation write for the next GEMV: the Q4_0 decode product of their output equals
// the reference product of that output rounded to int8 by definition (int8_rounded).
TEST(GpuOps, AddRmsNormSwigluInt8OutputFeedsTheGemv) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t rows = 5, n_out = 70;
    const backend::RowRun run{0, rows, RowClass::Decode};
    for (const int64_t n : {int64_t{512}, int64_t{9216}}) {
        const std::array<int64_t, 4> ne{n, rows, 1, 1};
        auto x = random_vector(rng, static_cast<size_t>(n * rows), 2.0f), delta = random_vector(rng, x.size());
        auto w = random_vector(rng, static_cast<size_t>(n));
        const auto wq = encode_matrix(GgmlType::Q4_0, random_vector(rng, static_cast<size_t>(n * n_out)), n, n_out);
        const auto wq_host = tensor::make_tensor(GgmlType::Q4_0, {n, n_out, 1, 1}, const_cast<uint8_t*>(wq.data()));
        const auto wq_dev = to_device(*gpu, GgmlType::Q4_0, {n, n_out, 1, 1}, wq.data());
        const auto w_dev = to_device(*gpu, w, {n, 1, 1, 1});

        auto expected_x = x, expected_y = delta;
        auto cx = tensor::make_tensor(GgmlType::F32, ne, expected_x.data());
        auto cy = tensor::make_tensor(GgmlType::F32, ne, expected_y.data());
        cpu.add_rms_norm(cx, cy, tensor::make_tensor(GgmlType::F32, {n, 1, 1, 1}, w.data()), cy, 1e-5f);
        auto xd = to_device(*gpu, x, ne), yd = to_device(*gpu, delta, ne);
        auto out = poisoned(*gpu, {n_out, rows, 1, 1});
        gpu->add_rms_norm(xd, yd, w_dev, yd, 1e-5f);
        gpu->matmul(wq_dev, yd, out, std::span(&run, 1));
        const auto y = to_host(*gpu, yd);
        EXPECT_LE(rel_error(to_host(*gpu, xd), expected_x), 1e-7) << "sum n " << n << " seed " << seed;
        EXPECT_LE(rel_error(y, expected_y), 1e-5) << "norm n " << n << " seed " << seed;
        std::vector<float> expected_out(static_cast<size_t>(n_out * rows));
        backend::cpu::matmul_reference(wq_host, int8_rounded(y).data(), rows, expected_out.data());
        EXPECT_LE(rel_error(to_host(*gpu, out), expected_out), 1e-5) << "gemv after norm n " << n << " seed " << seed;

        auto gate = to_device(*gpu, x, ne);
        const auto up = to_device(*gpu, delta, ne);
        auto out2 = poisoned(*gpu, {n_out, rows, 1, 1});
        gpu->swiglu(gate, up, gate);
        gpu->matmul(wq_dev, gate, out2, std::span(&run, 1));
        backend::cpu::matmul_reference(wq_host, int8_rounded(to_host(*gpu, gate)).data(), rows, expected_out.data());
        EXPECT_LE(rel_error(to_host(*gpu, out2), expected_out), 1e-5) << "gemv after swiglu n " << n << " seed " << seed;
    }
}

TEST(GpuOps, ElementwiseAddBiasSwiglu) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t n = 300, rows = 6;
    const std::array<int64_t, 4> ne{n, rows, 1, 1};
    auto a = random_vector(rng, n * rows, 2.0f), b = random_vector(rng, n * rows, 2.0f), bias = random_vector(rng, n);
    const auto host = [&](std::vector<float>& v, std::array<int64_t, 4> shape) {
        return tensor::make_tensor(GgmlType::F32, shape, v.data());
    };
    {  // add
        auto expected = a;
        auto ct = host(expected, ne);
        cpu.add(ct, host(b, ne));
        auto y = to_device(*gpu, a, ne);
        gpu->add(y, to_device(*gpu, b, ne));
        EXPECT_LE(rel_error(to_host(*gpu, y), expected), 1e-7) << "add seed " << seed;
    }
    {  // add_bias
        auto expected = a;
        auto ct = host(expected, ne);
        cpu.add_bias(ct, host(bias, {n, 1, 1, 1}));
        auto y = to_device(*gpu, a, ne);
        gpu->add_bias(y, to_device(*gpu, bias, {n, 1, 1, 1}));
        EXPECT_LE(rel_error(to_host(*gpu, y), expected), 1e-7) << "add_bias seed " << seed;
    }
    {  // swiglu into a poisoned output, and in place (out aliases gate)
        std::vector<float> expected(a.size());
        auto ct = host(expected, ne);
        cpu.swiglu(host(a, ne), host(b, ne), ct);
        auto out = poisoned(*gpu, ne);
        const auto g = to_device(*gpu, a, ne), u = to_device(*gpu, b, ne);
        gpu->swiglu(g, u, out);
        EXPECT_LE(rel_error(to_host(*gpu, out), expected), 1e-6) << "swiglu seed " << seed;
        auto g2 = to_device(*gpu, a, ne);
        gpu->swiglu(g2, u, g2);
        EXPECT_LE(rel_error(to_host(*gpu, g2), expected), 1e-6) << "swiglu in place seed " << seed;
    }
}

TEST(GpuOps, ElementwiseGegluScaleSoftcap) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t n = 300, rows = 5;
    const std::array<int64_t, 4> ne{n, rows, 1, 1};
    auto a = random_vector(rng, n * rows, 3.0f), b = random_vector(rng, n * rows, 2.0f);
    const auto host = [&](std::vector<float>& v) { return tensor::make_tensor(GgmlType::F32, ne, v.data()); };
    {  // geglu into a poisoned output, and in place
        std::vector<float> expected(a.size());
        auto ct = host(expected);
        cpu.geglu(host(a), host(b), ct);
        auto out = poisoned(*gpu, ne);
        const auto g = to_device(*gpu, a, ne), u = to_device(*gpu, b, ne);
        gpu->geglu(g, u, out);
        EXPECT_LE(rel_error(to_host(*gpu, out), expected), 1e-6) << "geglu seed " << seed;
        auto g2 = to_device(*gpu, a, ne);
        gpu->geglu(g2, u, g2);
        EXPECT_LE(rel_error(to_host(*gpu, g2), expected), 1e-6) << "geglu in place seed " << seed;
    }
    {  // scale, softcap
        auto expected = a;
        auto ct = host(expected);
        cpu.scale(ct, 11.3f);
        cpu.softcap(ct, 5.0f);
        auto y = to_device(*gpu, a, ne);
        gpu->scale(y, 11.3f);
        gpu->softcap(y, 5.0f);
        EXPECT_LE(rel_error(to_host(*gpu, y), expected), 1e-6) << "scale+softcap seed " << seed;
    }
}

// A batch of three sequences over a paged store of small blocks in shuffled order.
struct PagedBatch {
    backend::Batch batch;
    std::vector<std::vector<int32_t>> tables;
};

PagedBatch make_batch(std::mt19937_64& rng, const std::vector<std::array<int64_t, 3>>& seqs, int64_t block_size,
                      int64_t n_blocks) {
    // seqs: {n_past, n_tokens, row class (0 prefill, 1 decode)}
    std::vector<int32_t> blocks(static_cast<size_t>(n_blocks));
    std::iota(blocks.begin(), blocks.end(), 0);
    std::shuffle(blocks.begin(), blocks.end(), rng);
    PagedBatch p;
    size_t next = 0;
    for (const auto& s : seqs) {
        const int64_t n_pos = s[0] + s[1];
        std::vector<int32_t> table;
        for (int64_t b = 0; b < (n_pos + block_size - 1) / block_size; ++b) table.push_back(blocks.at(next++));
        p.tables.push_back(table);
    }
    for (size_t i = 0; i < seqs.size(); ++i) {
        std::vector<int32_t> tokens(static_cast<size_t>(seqs[i][1]), 1);
        p.batch.add_sequence(tokens, seqs[i][0], p.tables[i], seqs[i][2] ? RowClass::Decode : RowClass::Prefill, 1);
    }
    p.batch.validate(block_size, n_blocks);
    return p;
}

TEST(GpuOps, RopeNormalAndNeoxWithFreqFactors) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const auto pb = make_batch(rng, {{0, 9, 0}, {500, 1, 1}, {70, 4, 0}}, 16, 64);
    const int64_t head_dim = 64, n_heads = 5, n = pb.batch.n_tokens();
    const std::array<int64_t, 4> ne{head_dim, n_heads, n, 1};
    for (const auto style : {backend::RopeStyle::Normal, backend::RopeStyle::Neox})
        for (const bool factors : {false, true}) {
            backend::RopeParams p;
            p.n_rot = 48;  // partial rotation: dims 48..63 pass through
            p.freq_base = 500000.0;
            p.freq_scale = 0.5;
            p.style = style;
            std::vector<float> ff(static_cast<size_t>(p.n_rot / 2));
            for (auto& f : ff) f = 1.0f + static_cast<float>(rng() % 8);
            auto x = random_vector(rng, static_cast<size_t>(head_dim * n_heads * n));
            auto expected = x;
            cpu.begin_batch(pb.batch);
            auto ct = tensor::make_tensor(GgmlType::F32, ne, expected.data());
            cpu.rope(ct, p, factors ? tensor::make_tensor(GgmlType::F32, {p.n_rot / 2, 1, 1, 1}, ff.data()) : tensor::Tensor{});
            gpu->begin_batch(pb.batch);
            auto xd = to_device(*gpu, x, ne);
            gpu->rope(xd, p, factors ? to_device(*gpu, ff, {p.n_rot / 2, 1, 1, 1}) : tensor::Tensor{});
            EXPECT_LE(rel_error(to_host(*gpu, xd), expected), 1e-6)
                << (style == backend::RopeStyle::Neox ? "neox" : "normal") << " factors " << factors << " seed " << seed;
        }
}

// rope of q and k and the K/V store in one launch against the CPU's three ops (partial rotation,
// both styles, GQA, sequences at scattered blocks).
TEST(GpuOps, RopeKvStoreFusedMatchesSeparateOps) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t block_size = 16, n_blocks = 64, head_dim = 64, n_heads = 4, n_kv = 2;
    const auto pb = make_batch(rng, {{0, 9, 0}, {500, 1, 1}, {70, 4, 0}}, block_size, n_blocks);
    const int64_t n = pb.batch.n_tokens();
    const backend::KvStorageShape shape{1, n_blocks, block_size, head_dim * n_kv, GgmlType::F32};
    for (const auto style : {backend::RopeStyle::Normal, backend::RopeStyle::Neox}) {
        backend::RopeParams p;
        p.n_rot = 48;  // dims 48..63 pass through
        p.freq_base = 10000.0;
        p.style = style;
        auto q = random_vector(rng, static_cast<size_t>(head_dim * n_heads * n));
        auto k = random_vector(rng, static_cast<size_t>(head_dim * n_kv * n));
        auto v = random_vector(rng, k.size());
        auto cpu_kv = cpu.alloc_kv_storage(shape);
        auto gpu_kv = gpu->alloc_kv_storage(shape);
        auto eq = q, ek = k;
        auto cq = tensor::make_tensor(GgmlType::F32, {head_dim, n_heads, n, 1}, eq.data());
        auto ck = tensor::make_tensor(GgmlType::F32, {head_dim, n_kv, n, 1}, ek.data());
        cpu.begin_batch(pb.batch);
        cpu.rope_kv_store(cq, ck, tensor::make_tensor(GgmlType::F32, {head_dim * n_kv, n, 1, 1}, v.data()), p,
                          tensor::Tensor{}, cpu_kv, 0);
        gpu->begin_batch(pb.batch);
        auto qd = to_device(*gpu, q, {head_dim, n_heads, n, 1}), kd = to_device(*gpu, k, {head_dim, n_kv, n, 1});
        gpu->rope_kv_store(qd, kd, to_device(*gpu, v, {head_dim * n_kv, n, 1, 1}), p, tensor::Tensor{}, gpu_kv, 0);
        const char* name = style == backend::RopeStyle::Neox ? "neox" : "normal";
        EXPECT_LE(rel_error(to_host(*gpu, qd), eq), 1e-6) << name << " q seed " << seed;
        EXPECT_LE(rel_error(to_host(*gpu, kd), ek), 1e-6) << name << " k seed " << seed;
        for (const bool is_k : {true, false}) {
            const auto& ct = is_k ? cpu_kv.k[0] : cpu_kv.v[0];
            const std::vector<float> expected(ct.data_as<float>(), ct.data_as<float>() + ct.n_elements());
            EXPECT_LE(rel_error(to_host(*gpu, is_k ? gpu_kv.k[0] : gpu_kv.v[0]), expected), 1e-6)
                << name << (is_k ? " stored k" : " stored v") << " seed " << seed;
        }
    }
}

// LongRoPE (phi3): short/long factor rows picked per sequence, cos/sin scaled by attn_factor.
TEST(GpuOps, RopeLongRopeFactorsPerSequence) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    // Sequence ends 9, 501, 74, 20 against an original context of 20: long for the 2nd and 3rd.
    const auto pb = make_batch(rng, {{0, 9, 0}, {500, 1, 1}, {70, 4, 0}, {0, 20, 0}}, 16, 64);
    const int64_t head_dim = 32, n_heads = 3, n = pb.batch.n_tokens();
    const std::array<int64_t, 4> ne{head_dim, n_heads, n, 1};
    backend::RopeParams p;
    p.n_rot = 24;
    p.freq_base = 10000.0;
    p.style = backend::RopeStyle::Neox;
    p.attn_factor = 1.19;
    p.long_context = 20;
    std::vector<float> ff(static_cast<size_t>(p.n_rot));
    for (auto& f : ff) f = 1.0f + static_cast<float>(rng() % 16);
    auto x = random_vector(rng, static_cast<size_t>(head_dim * n_heads * n));
    auto expected = x;
    cpu.begin_batch(pb.batch);
    auto ct = tensor::make_tensor(GgmlType::F32, ne, expected.data());
    cpu.rope(ct, p, tensor::make_tensor(GgmlType::F32, {p.n_rot / 2, 2, 1, 1}, ff.data()));
    gpu->begin_batch(pb.batch);
    auto xd = to_device(*gpu, x, ne);
    gpu->rope(xd, p, to_device(*gpu, ff, {p.n_rot / 2, 2, 1, 1}));
    EXPECT_LE(rel_error(to_host(*gpu, xd), expected), 1e-6) << "seed " << seed;
}

// Relative error of prefill rows at F16 KV on tensor cores (NVIDIA sm_80+, head sizes 64/96/128,
// attention_prefill_mma.cuh): Q and the softmax weights are rounded to f16 (2^-11 relative each),
// where the f32 kernels are exact to ~1e-6. HIP and ROCMFORGE_GPU_PREFILL_ATTENTION=simt run the
// f32 tile kernel, well within it.
constexpr double kPrefillMmaTolerance = 2e-3;

// kv_store then attention over two steps (prompt chunks, then a mix of a decode token, a
// continued chunk and a new sequence), on the CPU and the GPU with the same KV type. Decode rows
// are held to `tolerance`, prefill rows to `prefill_tolerance` (default: the same).
void check_paged_attention(GgmlType kv_type, int64_t head_dim, int64_t n_heads, int64_t n_kv_heads, double tolerance,
                           int64_t window = 0, float softcap = 0.0f, double prefill_tolerance = 0.0) {
    if (prefill_tolerance == 0.0) prefill_tolerance = tolerance;
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t block_size = 4, n_blocks = 128, row = n_kv_heads * head_dim;
    backend::KvStorageShape shape{2, n_blocks, block_size, row, kv_type};
    auto cpu_kv = cpu.alloc_kv_storage(shape);
    auto gpu_kv = gpu->alloc_kv_storage(shape);
    const backend::AttentionShape as{head_dim, n_heads, n_kv_heads, 1.0f / std::sqrt(static_cast<float>(head_dim)),
                                     softcap, window};
    // Same block tables in both steps: step 2 continues step 1's sequences 0 and 1.
    // Sequence 0 decodes at position 300: its keys span two 256-key splits.
    std::vector<std::vector<std::array<int64_t, 3>>> steps = {{{0, 300, 0}, {0, 7, 0}},
                                                             {{300, 1, 1}, {7, 5, 0}, {0, 3, 0}}};
    const auto full = make_batch(rng, {{0, 301, 0}, {0, 12, 0}, {0, 3, 0}}, block_size, n_blocks);
    for (size_t step = 0; step < steps.size(); ++step) {
        backend::Batch batch;
        for (size_t s = 0; s < steps[step].size(); ++s) {
            const auto& q = steps[step][s];
            std::vector<int32_t> tokens(static_cast<size_t>(q[1]), 1);
            batch.add_sequence(tokens, q[0], full.tables[s], q[2] ? RowClass::Decode : RowClass::Prefill, 1);
        }
        const int64_t n = batch.n_tokens();
        auto q = random_vector(rng, static_cast<size_t>(head_dim * n_heads * n));
        auto k = random_vector(rng, static_cast<size_t>(row * n)), v = random_vector(rng, static_cast<size_t>(row * n));
        std::vector<float> expected(q.size());
        const std::array<int64_t, 4> q_ne{head_dim, n_heads, n, 1}, kv_ne{row, n, 1, 1};
        cpu.begin_batch(batch);
        cpu.kv_store(cpu_kv, 1, tensor::make_tensor(GgmlType::F32, kv_ne, k.data()),
                     tensor::make_tensor(GgmlType::F32, kv_ne, v.data()));
        auto ct = tensor::make_tensor(GgmlType::F32, q_ne, expected.data());
        cpu.attention(cpu_kv, 1, tensor::make_tensor(GgmlType::F32, q_ne, q.data()), ct, as);

        gpu->begin_batch(batch);
        gpu->kv_store(gpu_kv, 1, to_device(*gpu, k, kv_ne), to_device(*gpu, v, kv_ne));
        auto out = poisoned(*gpu, q_ne);
        gpu->attention(gpu_kv, 1, to_device(*gpu, q, q_ne), out, as);
        const std::vector<float> got = to_host(*gpu, out);
        // Rows by class: a sequence's tokens are consecutive, in the order the step lists them.
        std::vector<float> got_class[2], expected_class[2];
        const size_t row_floats = static_cast<size_t>(head_dim * n_heads);
        size_t row = 0;
        for (const auto& sq : steps[step])
            for (int64_t t = 0; t < sq[1]; ++t, ++row) {
                const auto first = static_cast<std::ptrdiff_t>(row * row_floats);
                const auto last = first + static_cast<std::ptrdiff_t>(row_floats);
                got_class[sq[2]].insert(got_class[sq[2]].end(), got.begin() + first, got.begin() + last);
                expected_class[sq[2]].insert(expected_class[sq[2]].end(), expected.begin() + first,
                                             expected.begin() + last);
            }
        const double tolerances[2] = {prefill_tolerance, tolerance};
        for (int cls = 0; cls < 2; ++cls) {
            const double err = rel_error(got_class[cls], expected_class[cls]);
            if (!got_class[cls].empty())
                std::printf("attention %s head_dim %lld step %zu %s rows: rel err %.3g\n",
                            std::string(gguf::ggml_type_name(kv_type)).c_str(),
                            static_cast<long long>(head_dim), step, cls ? "decode" : "prefill", err);
            EXPECT_LE(err, tolerances[cls])
                << gguf::ggml_type_name(kv_type) << " head_dim " << head_dim << " window " << window << " softcap "
                << softcap << " step " << step << (cls ? " decode rows" : " prefill rows") << " seed " << seed;
        }
    }
}

// A decode-only batch's attention also writes its output's int8 form, which the next GEMV reads
// instead of quantizing again: the product must be that of the int8-rounded f32 output, for a
// token with one key split (its block writes out) and one with two (the combine kernel does).
TEST(GpuOps, DecodeAttentionInt8OutputFeedsTheGemv) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    const int64_t head_dim = 64, n_heads = 4, n_kv_heads = 2, block_size = 4, n_blocks = 128, n_out = 70;
    const int64_t row = n_kv_heads * head_dim, k = n_heads * head_dim;
    auto kv = gpu->alloc_kv_storage(backend::KvStorageShape{1, n_blocks, block_size, row, GgmlType::F16});
    const backend::AttentionShape as{head_dim, n_heads, n_kv_heads, 0.125f, 0.0f, 0};
    const auto prompt = make_batch(rng, {{0, 301, 0}, {0, 12, 0}}, block_size, n_blocks);
    const auto store = [&](const backend::Batch& batch) {
        const std::array<int64_t, 4> ne{row, batch.n_tokens(), 1, 1};
        gpu->begin_batch(batch);
        gpu->kv_store(kv, 0, to_device(*gpu, random_vector(rng, static_cast<size_t>(row * batch.n_tokens())), ne),
                      to_device(*gpu, random_vector(rng, static_cast<size_t>(row * batch.n_tokens())), ne));
    };
    store(prompt.batch);
    backend::Batch decode;  // the last positions again: 300 (two 256-key splits) and 11 (one)
    for (size_t s = 0; s < 2; ++s) {
        const std::vector<int32_t> token{1};
        decode.add_sequence(token, s == 0 ? 300 : 11, prompt.tables[s], RowClass::Decode, 1);
    }
    store(decode);
    const auto w = encode_matrix(GgmlType::Q4_0, random_vector(rng, static_cast<size_t>(k * n_out)), k, n_out);
    const auto w_host = tensor::make_tensor(GgmlType::Q4_0, {k, n_out, 1, 1}, const_cast<uint8_t*>(w.data()));
    const auto w_dev = to_device(*gpu, GgmlType::Q4_0, {k, n_out, 1, 1}, w.data());
    const std::array<int64_t, 4> q_ne{head_dim, n_heads, 2, 1};
    const auto q = to_device(*gpu, random_vector(rng, static_cast<size_t>(k * 2)), q_ne);
    auto out = poisoned(*gpu, q_ne), y = poisoned(*gpu, {n_out, 2, 1, 1});
    gpu->attention(kv, 0, q, out, as);  // then straight to the GEMV, as in a decode step
    const backend::RowRun run{0, 2, RowClass::Decode};
    gpu->matmul(w_dev, out.reshaped({k, 2, 1, 1}), y, std::span(&run, 1));
    std::vector<float> expected(static_cast<size_t>(n_out * 2));
    backend::cpu::matmul_reference(w_host, int8_rounded(to_host(*gpu, out)).data(), 2, expected.data());
    EXPECT_LE(rel_error(to_host(*gpu, y), expected), 1e-5) << "seed " << seed;
}

TEST(GpuOps, PagedAttentionF32Kv) { check_paged_attention(GgmlType::F32, 64, 8, 2, 1e-5); }
TEST(GpuOps, PagedAttentionF16Kv) { check_paged_attention(GgmlType::F16, 128, 4, 4, 1e-5, 0, 0.0f, kPrefillMmaTolerance); }
TEST(GpuOps, PagedAttentionF16KvF32TileKernel) {
    setenv("ROCMFORGE_GPU_PREFILL_ATTENTION", "simt", 1);  // read when the backend is made
    check_paged_attention(GgmlType::F16, 128, 4, 4, 1e-5);
    check_paged_attention(GgmlType::F16, 64, 8, 2, 1e-5, 5, 0.5f);
    unsetenv("ROCMFORGE_GPU_PREFILL_ATTENTION");
}
TEST(GpuOps, PagedAttentionBf16KvGqa) { check_paged_attention(GgmlType::BF16, 64, 6, 2, 1e-5); }
// gemma2/3: sliding window (shorter and longer than a chunk of 128 keys) and score soft-capping.
TEST(GpuOps, PagedAttentionSlidingWindowSoftcap) {
    check_paged_attention(GgmlType::F32, 64, 8, 2, 1e-5, 5, 0.5f);
    check_paged_attention(GgmlType::F16, 128, 4, 2, 1e-5, 131, 0.0f, kPrefillMmaTolerance);
    check_paged_attention(GgmlType::F32, 32, 4, 4, 1e-5, 0, 1.0f);
}

// argmax_rows on the GPU against the CPU's: vocabulary-sized rows, ties (the first index wins),
// maxima at the ends, rows with a NaN or an infinity (-1).
TEST(GpuOps, ArgmaxRowsMatchesCpu) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t n = 32007, rows = 67;
    auto x = random_vector(rng, static_cast<size_t>(n * rows));
    const auto at = [&](int64_t r, int64_t i) -> float& { return x[static_cast<size_t>(r * n + i)]; };
    for (int64_t r = 0; r < rows; r += 5) at(r, static_cast<int64_t>(rng() % n)) = at(r, static_cast<int64_t>(rng() % n)) = 40.0f;
    at(1, 0) = 50.0f, at(2, n - 1) = 50.0f, at(3, 17) = std::nanf(""), at(4, n - 2) = INFINITY;
    std::vector<int32_t> expected(static_cast<size_t>(rows)), got(static_cast<size_t>(rows), 123);
    cpu.argmax_rows(tensor::make_tensor(GgmlType::F32, {n, rows, 1, 1}, x.data()), expected);
    gpu->argmax_rows(to_device(*gpu, x, {n, rows, 1, 1}), got);
    EXPECT_EQ(got, expected) << "seed " << seed;
    EXPECT_EQ(got[1], 0);
    EXPECT_EQ(got[2], n - 1);
    EXPECT_EQ(got[3], -1);
    EXPECT_EQ(got[4], -1);
}

// top_k_rows on the GPU (radix select) against the CPU's (partial sort), exactly: vocabulary-sized
// and short rows, values on a coarse grid (many ties, ordered by index), -0 beside +0, k = 1, 40
// and the largest; rows with a NaN or an infinity give ids of -1.
TEST(GpuOps, TopKRowsMatchesCpu) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    std::uniform_int_distribution<int> grid(-200, 200);
    for (const int64_t n : {int64_t{32007}, int64_t{300}, backend::kMaxTopK}) {
        const int64_t rows = 9;
        std::vector<float> x(static_cast<size_t>(n * rows));
        for (auto& v : x) v = static_cast<float>(grid(rng)) * 0.05f;
        x[5] = -0.0f, x[6] = 0.0f;
        x[static_cast<size_t>(2 * n + 3)] = std::nanf("");
        x[static_cast<size_t>(4 * n + n - 1)] = -INFINITY;
        for (const int64_t k : {int64_t{1}, int64_t{40}, backend::kMaxTopK}) {
            if (k > n) continue;
            const size_t size = static_cast<size_t>(rows * k);
            std::vector<int32_t> expected_ids(size), ids(size, 123);
            std::vector<float> expected_values(size), values(size, 7.0f);
            cpu.top_k_rows(tensor::make_tensor(GgmlType::F32, {n, rows, 1, 1}, x.data()), k, expected_ids,
                           expected_values);
            gpu->top_k_rows(to_device(*gpu, x, {n, rows, 1, 1}), k, ids, values);
            for (int64_t r = 0; r < rows; ++r) {
                const auto first = static_cast<std::ptrdiff_t>(r * k), last = first + static_cast<std::ptrdiff_t>(k);
                if (r == 2 || r == 4) {
                    EXPECT_EQ(ids[static_cast<size_t>(first)], -1) << "n " << n << " k " << k << " row " << r;
                    continue;
                }
                EXPECT_EQ(std::vector<int32_t>(ids.begin() + first, ids.begin() + last),
                          std::vector<int32_t>(expected_ids.begin() + first, expected_ids.begin() + last))
                    << "n " << n << " k " << k << " row " << r << " seed " << seed;
                EXPECT_EQ(std::vector<float>(values.begin() + first, values.begin() + last),
                          std::vector<float>(expected_values.begin() + first, expected_values.begin() + last))
                    << "n " << n << " k " << k << " row " << r;
            }
        }
    }
}

// The head sizes of the tensor-core prefill kernel (64, 96, 128), with GQA groups of 1, 2 and 4,
// a sliding window and soft-capping; other head sizes and KV types run the f32 kernels.
TEST(GpuOps, PagedAttentionPrefillTensorCoreHeadDims) {
    const double t = kPrefillMmaTolerance;
    check_paged_attention(GgmlType::F16, 64, 8, 2, 1e-5, 0, 0.0f, t);
    check_paged_attention(GgmlType::F16, 96, 4, 1, 1e-5, 0, 30.0f, t);
    check_paged_attention(GgmlType::F16, 128, 8, 8, 1e-5, 37, 0.0f, t);
    check_paged_attention(GgmlType::F16, 64, 5, 5, 1e-5, 0, 0.0f, t);  // a block with one head
}

// Batch invariance of prefill attention: a sequence's 77 queries give the same bits whether they
// arrive in one chunk or in chunks that cut its tiles elsewhere (a query's tile partners and its
// row in the tile change), for the tensor-core kernel (F16, head 128) and the f32 tile kernel.
TEST(GpuOps, PagedAttentionPrefillDoesNotDependOnChunking) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    for (const auto& [kv_type, head_dim] : {std::pair{GgmlType::F16, int64_t{128}}, std::pair{GgmlType::F32, int64_t{64}}}) {
        const int64_t n_heads = 4, n_kv_heads = 2, block_size = 16, n_blocks = 8, n = 77;
        const int64_t row = n_kv_heads * head_dim;
        const backend::AttentionShape as{head_dim, n_heads, n_kv_heads, 1.0f / std::sqrt(static_cast<float>(head_dim)),
                                         0.0f, 0};
        const auto q = random_vector(rng, static_cast<size_t>(head_dim * n_heads * n));
        const auto k = random_vector(rng, static_cast<size_t>(row * n)), v = random_vector(rng, static_cast<size_t>(row * n));
        std::vector<int32_t> table(static_cast<size_t>(n_blocks));
        std::iota(table.begin(), table.end(), 0);
        std::shuffle(table.begin(), table.end(), rng);
        // Runs the sequence in chunks starting at `cuts` (and 0); returns all n output rows.
        const auto run = [&](const std::vector<int64_t>& cuts) {
            auto kv = gpu->alloc_kv_storage({1, n_blocks, block_size, row, kv_type});
            std::vector<float> all;
            std::vector<int64_t> starts = {0};
            starts.insert(starts.end(), cuts.begin(), cuts.end());
            starts.push_back(n);
            for (size_t c = 0; c + 1 < starts.size(); ++c) {
                const int64_t t0 = starts[c], len = starts[c + 1] - t0;
                backend::Batch batch;
                batch.add_sequence(std::vector<int32_t>(static_cast<size_t>(len), 1), t0, table, RowClass::Prefill, 1);
                const auto part = [&](const std::vector<float>& x, int64_t width) {
                    return std::vector<float>(x.begin() + t0 * width, x.begin() + (t0 + len) * width);
                };
                gpu->begin_batch(batch);
                gpu->kv_store(kv, 0, to_device(*gpu, part(k, row), {row, len, 1, 1}),
                              to_device(*gpu, part(v, row), {row, len, 1, 1}));
                const std::array<int64_t, 4> q_ne{head_dim, n_heads, len, 1};
                auto out = poisoned(*gpu, q_ne);
                gpu->attention(kv, 0, to_device(*gpu, part(q, head_dim * n_heads), q_ne), out, as);
                const auto got = to_host(*gpu, out);
                all.insert(all.end(), got.begin(), got.end());
            }
            return all;
        };
        const auto whole = run({});
        for (const auto& cuts : {std::vector<int64_t>{5}, std::vector<int64_t>{21, 40}, std::vector<int64_t>{1, 2, 3, 70}})
            EXPECT_EQ(run(cuts), whole) << gguf::ggml_type_name(kv_type) << " first cut " << cuts[0] << " seed " << seed;
    }
}

// The decode kernel's lane layouts: a row of 32 chunks (one key per warp), chunk counts that are
// not powers of two (idle lanes), one chunk per key, and rows whose length is not a multiple of 8
// (element loads, a partial last chunk).
TEST(GpuOps, PagedAttentionHeadDims) {
    check_paged_attention(GgmlType::F16, 256, 4, 2, 1e-5);
    check_paged_attention(GgmlType::BF16, 40, 4, 4, 1e-5);
    check_paged_attention(GgmlType::F32, 8, 4, 1, 1e-5);
    check_paged_attention(GgmlType::F16, 12, 6, 3, 1e-5);
}

TEST(GpuOps, CopyKvBlockAndKvStoreLayout) {
    ROCMFORGE_REQUIRE_GPU(gpu);
    const uint64_t seed = fresh_seed();
    std::mt19937_64 rng(seed);
    backend::cpu::CpuBackend cpu(2);
    const int64_t block_size = 4, n_blocks = 8, row = 32;
    backend::KvStorageShape shape{3, n_blocks, block_size, row, GgmlType::F32};
    auto cpu_kv = cpu.alloc_kv_storage(shape);
    auto gpu_kv = gpu->alloc_kv_storage(shape);
    const auto pb = make_batch(rng, {{0, 10, 0}, {0, 5, 0}}, block_size, n_blocks);
    const int64_t n = pb.batch.n_tokens();
    auto k = random_vector(rng, static_cast<size_t>(row * n)), v = random_vector(rng, static_cast<size_t>(row * n));
    cpu.begin_batch(pb.batch);
    gpu->begin_batch(pb.batch);
    for (int64_t l = 0; l < 3; ++l) {
        cpu.kv_store(cpu_kv, l, tensor::make_tensor(GgmlType::F32, {row, n, 1, 1}, k.data()),
                     tensor::make_tensor(GgmlType::F32, {row, n, 1, 1}, v.data()));
        gpu->kv_store(gpu_kv, l, to_device(*gpu, k, {row, n, 1, 1}), to_device(*gpu, v, {row, n, 1, 1}));
    }
    const int32_t src = pb.tables[0][1], dst = pb.tables[1].back() == 0 ? 1 : 0;
    cpu.copy_kv_block(cpu_kv, src, dst);
    gpu->copy_kv_block(gpu_kv, src, dst);
    for (int64_t l = 0; l < 3; ++l)
        for (const bool is_k : {true, false}) {
            const auto& ct = is_k ? cpu_kv.k[static_cast<size_t>(l)] : cpu_kv.v[static_cast<size_t>(l)];
            const auto& gt = is_k ? gpu_kv.k[static_cast<size_t>(l)] : gpu_kv.v[static_cast<size_t>(l)];
            std::vector<float> expected(ct.data_as<float>(), ct.data_as<float>() + ct.n_elements());
            EXPECT_EQ(to_host(*gpu, gt), expected) << "layer " << l << (is_k ? " k" : " v") << " seed " << seed;
        }
}

}  // namespace
}  // namespace rocmforge::test
