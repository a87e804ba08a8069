#pragma once
// Contiguous KV cache of one sequence (f32, so cached keys/values are bit-identical to the
// freshly computed ones). Per layer, K and V are [head_dim, n_kv_heads, n_ctx]: one row of
// n_kv_heads * head_dim floats per position, the layout backend::cpu::attention reads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace rocmforge::kv {

struct KvCacheShape {
    int64_t n_layers = 0;
    int64_t n_ctx = 0;       // positions the cache can hold
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    int64_t row_floats() const { return n_kv_heads * head_dim; }
};

class KvCache {
public:
    // Throws rocmforge::Error when a dimension is not positive.
    explicit KvCache(const KvCacheShape& shape);

    const KvCacheShape& shape() const { return shape_; }
    int64_t n_ctx() const { return shape_.n_ctx; }
    // Positions already holding keys/values (the next token goes to position size()).
    int64_t size() const { return n_filled_; }
    size_t bytes() const { return 2 * n_floats_ * sizeof(float); }
    // Bytes one position takes over all layers (K and V).
    static size_t bytes_per_position(const KvCacheShape& shape) {
        return 2 * static_cast<size_t>(shape.n_layers * shape.row_floats()) * sizeof(float);
    }

    // Throws rocmforge::Error "context length exceeded" when n_new more positions do not fit.
    void check_room(int64_t n_new) const;
    // Rows for positions [size(), size() + n) of `layer`; call commit(n) after all layers wrote them.
    float* k_rows(int64_t layer, int64_t position);
    float* v_rows(int64_t layer, int64_t position);
    const float* k_layer(int64_t layer) const { return k_.get() + layer * layer_floats(); }
    const float* v_layer(int64_t layer) const { return v_.get() + layer * layer_floats(); }
    void commit(int64_t n);
    // Forgets positions >= n (n <= size()).
    void truncate(int64_t n);
    void clear() { n_filled_ = 0; }

private:
    int64_t layer_floats() const { return shape_.n_ctx * shape_.row_floats(); }

    KvCacheShape shape_;
    int64_t n_filled_ = 0;
    // Zeroed with calloc: large blocks come straight from the kernel as zero pages, so memory is
    // committed only as positions fill and a long context costs nothing until it is used.
    struct FreeDeleter { void operator()(float* p) const { std::free(p); } };
    size_t n_floats_ = 0;
    std::unique_ptr<float[], FreeDeleter> k_;
    std::unique_ptr<float[], FreeDeleter> v_;
};

}  // namespace rocmforge::kv
