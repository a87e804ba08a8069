// Decode GEMV bench: W·x for one token with W a 256 MiB Q4_0, Q8_0, Q4_K or Q6_K matrix (k = 4096,
// far larger than the caches), once with the plain rows (vec_dot per row) and once with the
// interleaved layout (interleaved_gemv.h), alternating, best of R wall-clock runs each. Prints GB/s
// of the plain rows' bytes (the model's; Q4_K's interleaved copy reads 2.8 % more) next to the same
// threads' measured read bandwidth (the ceiling).
// usage: rocmforge_interleaved_gemv_bench [THREADS=2] [REPEATS=5]
#include "backend/cpu/interleaved_weights.h"
#include "backend/cpu/matmul.h"
#include "quant/quant_traits.h"
#include "util/memory_bandwidth.h"
#include "util/thread_pool.h"
#include "util/timer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

using rocmforge::gguf::GgmlType;
namespace cpu = rocmforge::backend::cpu;
namespace tensor = rocmforge::tensor;

constexpr int64_t kRowLength = 4096;
constexpr size_t kWeightBytes = size_t{256} << 20;

void run(GgmlType type, rocmforge::ThreadPool& pool, int repeats, double read_gb_s) {
    const auto& traits = rocmforge::quant::quant_traits(type);
    const size_t row_bytes = rocmforge::quant::row_size(traits, kRowLength);
    const int64_t rows = static_cast<int64_t>(kWeightBytes / row_bytes) / 8 * 8;
    std::vector<uint8_t> plain_bytes(row_bytes * static_cast<size_t>(rows));
    // One random quantized 64-row pattern tiled over the matrix (quantizing 256 MiB would dominate).
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(kRowLength);
    for (int64_t r = 0; r < 64; ++r) {
        for (auto& v : values) v = normal(rng);
        traits.from_float(values.data(), plain_bytes.data() + r * row_bytes, kRowLength);
    }
    for (int64_t r = 64; r < rows; ++r)
        std::copy_n(plain_bytes.data() + (r % 64) * row_bytes, row_bytes, plain_bytes.data() + r * row_bytes);
    const auto plain = tensor::make_tensor(type, {kRowLength, rows, 1, 1}, plain_bytes.data());
    std::vector<uint8_t> repacked(cpu::interleaved_bytes(plain));
    cpu::interleave_groups(plain, repacked.data(), 0, cpu::interleaved_group_count(plain));
    const auto interleaved = cpu::interleaved_view(plain, repacked.data());

    for (auto& v : values) v = normal(rng);
    std::vector<float> y(static_cast<size_t>(rows));
    double best_plain = 0, best_interleaved = 0;
    for (int rep = 0; rep < repeats; ++rep) {
        for (const tensor::Tensor* w : {&plain, &interleaved}) {
            rocmforge::Timer timer;
            cpu::matmul_rows(*w, values.data(), 1, y.data(), rocmforge::backend::RowClass::Decode, pool);
            const double gb_s = static_cast<double>(plain_bytes.size()) / timer.seconds() / 1e9;
            double& best = w == &plain ? best_plain : best_interleaved;
            best = std::max(best, gb_s);
        }
    }
    std::printf("%-5s %d threads: plain rows %5.1f GB/s (%3.0f%%), interleaved %5.1f GB/s (%3.0f%%) of %.1f GB/s read\n",
                traits.name, pool.size(), best_plain, 100 * best_plain / read_gb_s, best_interleaved,
                100 * best_interleaved / read_gb_s, read_gb_s);
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
    rocmforge::ThreadPool pool(threads);
    const double read_gb_s = rocmforge::measure_read_bandwidth(pool, kWeightBytes, repeats);
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K})
        run(type, pool, repeats, read_gb_s);
    return 0;
}
