#pragma once
// Helpers of the gpu label: the GPU backend (or a GTEST_SKIP "skipped: no GPU" when none is
// usable), f32 host vectors moved to and from device tensors, NaN-poisoned outputs.
#include "backend/backend.h"
#include "engine/backend_select.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

namespace rocmforge::test {

// Skips the calling test (GTEST_SKIP) when no GPU is usable; else returns the backend.
#define ROCMFORGE_REQUIRE_GPU(backend_var)                                              \
    std::string gpu_skip_reason_;                                                       \
    auto backend_var = engine::make_gpu_backend(&gpu_skip_reason_);                     \
    if (backend_var == nullptr) GTEST_SKIP() << "skipped: no GPU (" << gpu_skip_reason_ << ")"

// A device copy of host data of any type, shaped ne (kept alive by the backend).
inline tensor::Tensor to_device(backend::Backend& gpu, gguf::GgmlType type, std::array<int64_t, 4> ne,
                                const void* host) {
    return gpu.upload_weight(tensor::make_tensor(type, ne, const_cast<void*>(host)));
}
inline tensor::Tensor to_device(backend::Backend& gpu, const std::vector<float>& v, std::array<int64_t, 4> ne) {
    return to_device(gpu, gguf::GgmlType::F32, ne, v.data());
}
// A device f32 tensor filled with NaN: every element the op under test fails to write stays NaN.
inline tensor::Tensor poisoned(backend::Backend& gpu, std::array<int64_t, 4> ne) {
    const std::vector<float> nan(static_cast<size_t>(ne[0] * ne[1] * ne[2] * ne[3]),
                                 std::numeric_limits<float>::quiet_NaN());
    return to_device(gpu, nan, ne);
}
inline std::vector<float> to_host(backend::Backend& gpu, const tensor::Tensor& t) {
    std::vector<float> v(static_cast<size_t>(t.n_elements()));
    gpu.copy_to_host(t, v.data());
    return v;
}

inline std::vector<float> random_vector(std::mt19937_64& rng, size_t n, float scale = 1.0f) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

// ‖a − b‖ / ‖b‖ (double); infinity when a holds a NaN or the sizes differ.
inline double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (!std::isfinite(a[i])) return std::numeric_limits<double>::infinity();
        num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
        den += static_cast<double>(b[i]) * b[i];
    }
    return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

}  // namespace rocmforge::test
