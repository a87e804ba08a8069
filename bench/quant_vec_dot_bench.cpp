// Kernel bench: matrix-vector products W·y with each type's vec_dot, rows split over 1 or 2
// threads. Reports GB/s of weight bytes read (W is 256 MiB, far larger than the caches, as in
// decode), next to the same threads' plain read bandwidth (an f32 sum over a 256 MiB buffer) as
// the ceiling. Usage: rocmforge_quant_bench [--benchmark_filter=q4_K] [google-benchmark flags]
#include "quant/quant_traits.h"
#include "quant/runtime_formats.h"
#include "quant/simd/simd_kernels.h"
#include "util/thread_pool.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <vector>

namespace {

using rocmforge::ThreadPool;
using rocmforge::gguf::GgmlType;
namespace quant = rocmforge::quant;

constexpr int64_t kRowLength = 4096;
constexpr size_t kWeightBytes = size_t{256} << 20;

// CPU seconds used by the calling thread (excludes time the OS gave to other processes).
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Runs rows [0, rows) of `row_fn` on `threads` threads and returns the summed thread CPU seconds.
template <class RowFn>
double run_rows(int threads, int64_t rows, RowFn row_fn);

ThreadPool& pool(int threads) {
    static ThreadPool one(1), two(2);
    return threads == 1 ? one : two;
}

// Weight rows are quantized from one random 4096-row pattern tiled over the buffer (quantizing
// 256 MiB with the K-quant searches would dominate the bench's run time).
struct Matrix {
    std::vector<uint8_t> weights;
    std::vector<uint8_t> activations;
    int64_t rows = 0;
    size_t row_bytes = 0;
};

template <class RowFn>
double run_rows(int threads, int64_t rows, RowFn row_fn) {
    std::atomic<double> cpu{0.0};
    pool(threads).parallel_for(rows, [&](int64_t begin, int64_t end) {
        const double start = thread_cpu_seconds();
        for (int64_t r = begin; r < end; ++r) row_fn(r);
        const double used = thread_cpu_seconds() - start;
        double old = cpu.load();
        while (!cpu.compare_exchange_weak(old, old + used)) {}
    });
    return cpu.load();
}

// Reports bytes_per_second (wall clock) and cpu_GBps: the rate the same threads reach per CPU
// second they actually ran, times the thread count (the rate on an otherwise idle machine,
// unless memory bandwidth is the limit; compare with BM_ReadBandwidth on an idle machine).
void report(benchmark::State& state, int threads, double cpu_seconds, double bytes_per_iteration) {
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_iteration));
    state.counters["cpu_GBps"] = cpu_seconds > 0 ? state.iterations() * bytes_per_iteration * threads / cpu_seconds / 1e9 : 0;
    state.SetLabel(quant::simd::current_target_name());
}

Matrix make_matrix(const quant::QuantTraits& t) {
    Matrix m;
    m.row_bytes = quant::row_size(t, kRowLength);
    m.rows = static_cast<int64_t>(kWeightBytes / m.row_bytes);
    m.weights.resize(m.rows * m.row_bytes);
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(kRowLength);
    const int64_t pattern_rows = 64;
    for (int64_t r = 0; r < pattern_rows; ++r) {
        for (auto& v : x) v = normal(rng);
        const auto& ff = t.from_float ? t : quant::reference_quant_traits(GgmlType::Q8_0);  // TQ*: no quantizer
        if (t.from_float) ff.from_float(x.data(), m.weights.data() + r * m.row_bytes, kRowLength);
        else for (size_t b = 0; b < m.row_bytes; ++b) m.weights[r * m.row_bytes + b] = static_cast<uint8_t>(rng() & 0x3F);
    }
    for (int64_t r = pattern_rows; r < m.rows; ++r)
        std::memcpy(m.weights.data() + r * m.row_bytes, m.weights.data() + (r % pattern_rows) * m.row_bytes, m.row_bytes);
    const auto& act = quant::quant_traits(t.vec_dot_type);
    for (auto& v : x) v = normal(rng);
    m.activations.resize(quant::row_size(act, kRowLength));
    act.from_float(x.data(), m.activations.data(), kRowLength);
    return m;
}

void BM_VecDot(benchmark::State& state, GgmlType type) {
    const auto& t = quant::quant_traits(type);
    const int threads = static_cast<int>(state.range(0));
    const Matrix m = make_matrix(t);
    std::vector<float> out(m.rows);
    double cpu = 0;
    for (auto _ : state) {
        cpu += run_rows(threads, m.rows, [&](int64_t r) {
            t.vec_dot(kRowLength, &out[r], m.weights.data() + r * m.row_bytes, m.activations.data());
        });
        benchmark::DoNotOptimize(out.data());
    }
    report(state, threads, cpu, double(m.rows) * m.row_bytes);
}

// Runtime-only formats (MXFP6, FP8): same measurement.
void BM_VecDotRuntime(benchmark::State& state, quant::RuntimeFormat format) {
    const auto& t = quant::runtime_format_traits(format);
    const int threads = static_cast<int>(state.range(0));
    const size_t row_bytes = kRowLength / t.block_size * t.type_size;
    const int64_t rows = static_cast<int64_t>(kWeightBytes / row_bytes);
    std::vector<uint8_t> weights(rows * row_bytes);
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(kRowLength);
    for (int64_t r = 0; r < 64; ++r) {
        for (auto& v : x) v = normal(rng);
        t.from_float(x.data(), weights.data() + r * row_bytes, kRowLength);
    }
    for (int64_t r = 64; r < rows; ++r) std::memcpy(weights.data() + r * row_bytes, weights.data() + (r % 64) * row_bytes, row_bytes);
    const auto& act = quant::quant_traits(t.vec_dot_type);
    for (auto& v : x) v = normal(rng);
    std::vector<uint8_t> activations(quant::row_size(act, kRowLength));
    act.from_float(x.data(), activations.data(), kRowLength);
    std::vector<float> out(rows);
    double cpu = 0;
    for (auto _ : state) {
        cpu += run_rows(threads, rows, [&](int64_t r) {
            t.vec_dot(kRowLength, &out[r], weights.data() + r * row_bytes, activations.data());
        });
        benchmark::DoNotOptimize(out.data());
    }
    report(state, threads, cpu, double(rows) * row_bytes);
}

// Ceiling: the same threads summing a 256 MiB f32 buffer (vectorized f32 dot with an in-cache y).
void BM_ReadBandwidth(benchmark::State& state) {
    const auto& t = quant::quant_traits(GgmlType::F32);
    const int threads = static_cast<int>(state.range(0));
    std::vector<float> buffer(kWeightBytes / sizeof(float), 1.0f);
    std::vector<float> y(kRowLength, 1.0f);
    const int64_t rows = static_cast<int64_t>(buffer.size()) / kRowLength;
    std::vector<float> out(rows);
    double cpu = 0;
    for (auto _ : state) {
        cpu += run_rows(threads, rows, [&](int64_t r) { t.vec_dot(kRowLength, &out[r], buffer.data() + r * kRowLength, y.data()); });
        benchmark::DoNotOptimize(out.data());
    }
    report(state, threads, cpu, double(rows) * kRowLength * sizeof(float));
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

const bool registered = [] {
    for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1,
                          GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL, GgmlType::MXFP4, GgmlType::Q2_K, GgmlType::Q3_K,
                          GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_XS, GgmlType::TQ1_0, GgmlType::TQ2_0}) {
        const std::string name = std::string("BM_VecDot/") + quant::quant_traits(type).name;
        benchmark::RegisterBenchmark(name.c_str(), BM_VecDot, type)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    for (auto f : {quant::RuntimeFormat::MXFP6_E2M3, quant::RuntimeFormat::MXFP6_E3M2, quant::RuntimeFormat::FP8_E4M3,
                   quant::RuntimeFormat::FP8_E5M2}) {
        const std::string name = std::string("BM_VecDot/") + quant::runtime_format_traits(f).name;
        benchmark::RegisterBenchmark(name.c_str(), BM_VecDotRuntime, f)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
    return true;
}();

}  // namespace

BENCHMARK_MAIN();
