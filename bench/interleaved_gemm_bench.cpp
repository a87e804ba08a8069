// Prefill GEMM bench: y = W·x for N tokens with W a K x ROWS F16 / Q4_0 / Q8_0 / Q4_K / Q6_K matrix, once as plain
// rows through the f32 GEMM (dequantized weight tiles, matmul_batched) and once repacked through
// the interleaved integer kernels (interleaved_gemv.h), both via matmul_rows(Prefill),
// alternating, best of R runs each (1 thread: process CPU time, else wall-clock). Prints G
// multiply-adds per second.
// usage: rocmforge_interleaved_gemm_bench [THREADS=2] [TOKENS=64] [K=4096] [ROWS=4096] [REPEATS=3]
#include "backend/cpu/interleaved_weights.h"
#include "backend/cpu/matmul.h"
#include "quant/quant_traits.h"
#include "util/thread_pool.h"
#include "util/timer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <ctime>
#include <vector>

namespace {

using rocmforge::gguf::GgmlType;
namespace cpu = rocmforge::backend::cpu;
namespace tensor = rocmforge::tensor;

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void run(GgmlType type, rocmforge::ThreadPool& pool, int64_t n_tokens, int64_t k, int64_t rows, int repeats) {
    const auto& traits = rocmforge::quant::quant_traits(type);
    const size_t row_bytes = rocmforge::quant::row_size(traits, k);
    std::vector<uint8_t> plain_bytes(row_bytes * static_cast<size_t>(rows));
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(static_cast<size_t>(k));
    for (int64_t r = 0; r < rows; ++r) {
        for (auto& v : values) v = normal(rng);
        traits.from_float(values.data(), plain_bytes.data() + r * row_bytes, k);
    }
    const auto plain = tensor::make_tensor(type, {k, rows, 1, 1}, plain_bytes.data());
    // F16 matrices keep their rows (no interleaved layout): only the f32 GEMM runs.
    const bool has_interleaved = cpu::interleave_at_load(type);
    std::vector<uint8_t> repacked(has_interleaved ? cpu::interleaved_bytes(plain) : 0);
    if (has_interleaved) {
        cpu::interleave_groups(plain, repacked.data(), 0, cpu::interleaved_group_count(plain));
        cpu::copy_tail_rows(plain, repacked.data());
    }
    const auto interleaved = has_interleaved ? cpu::interleaved_view(plain, repacked.data()) : plain;

    std::vector<float> x(static_cast<size_t>(k * n_tokens));
    for (auto& v : x) v = normal(rng);
    std::vector<float> y(static_cast<size_t>(rows * n_tokens));
    const double macs = static_cast<double>(k) * static_cast<double>(rows) * static_cast<double>(n_tokens);
    double best_plain = 0, best_interleaved = 0;
    for (int rep = 0; rep < repeats; ++rep) {
        for (const tensor::Tensor* w : {&plain, &interleaved}) {
            if (w == &interleaved && !has_interleaved) continue;
            // With 1 thread, process CPU time (robust when other jobs share the cores); else wall time.
            rocmforge::Timer timer;
            const double cpu0 = cpu_seconds();
            cpu::matmul_rows(*w, x.data(), n_tokens, y.data(), rocmforge::backend::RowClass::Prefill, pool);
            const double seconds = pool.size() == 1 ? cpu_seconds() - cpu0 : timer.seconds();
            const double gmac_s = macs / seconds / 1e9;
            double& best = w == &plain ? best_plain : best_interleaved;
            best = std::max(best, gmac_s);
        }
    }
    std::printf("%-5s %d threads, %lld tokens, %lld x %lld: f32 GEMM on plain rows %6.1f GMAC/s", traits.name,
                pool.size(), static_cast<long long>(n_tokens), static_cast<long long>(rows), static_cast<long long>(k),
                best_plain);
    if (has_interleaved) std::printf(", interleaved integer %6.1f GMAC/s", best_interleaved);
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const int64_t n_tokens = argc > 2 ? std::atoll(argv[2]) : 64;
    const int64_t k = argc > 3 ? std::atoll(argv[3]) : 4096;
    const int64_t rows = argc > 4 ? std::atoll(argv[4]) : 4096;
    const int repeats = argc > 5 ? std::atoi(argv[5]) : 3;
    rocmforge::ThreadPool pool(threads);
    for (GgmlType type : {GgmlType::F16, GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K})
        run(type, pool, n_tokens, k, rows, repeats);
    return 0;
}
