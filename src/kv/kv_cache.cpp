#include "kv/kv_cache.h"

#include "util/error.h"

namespace rocmforge::kv {

KvCache::KvCache(const KvCacheShape& shape) : shape_(shape) {
    if (shape.n_layers <= 0 || shape.n_ctx <= 0 || shape.n_kv_heads <= 0 || shape.head_dim <= 0)
        throw_error("kv cache", "invalid shape: layers {}, context {}, kv heads {}, head dim {}", shape.n_layers,
                    shape.n_ctx, shape.n_kv_heads, shape.head_dim);
    n_floats_ = static_cast<size_t>(shape.n_layers * layer_floats());
    k_.reset(static_cast<float*>(std::calloc(n_floats_, sizeof(float))));
    v_.reset(static_cast<float*>(std::calloc(n_floats_, sizeof(float))));
    if (!k_ || !v_) {
        throw_error("kv cache", "cannot allocate {:.2f} GiB for {} positions (lower -c)",
                    static_cast<double>(bytes()) / (1ull << 30), shape.n_ctx);
    }
}

void KvCache::check_room(int64_t n_new) const {
    if (n_filled_ + n_new > shape_.n_ctx)
        throw_error("context", "context length exceeded: {} tokens needed but the context holds {} (raise -c)",
                    n_filled_ + n_new, shape_.n_ctx);
}

float* KvCache::k_rows(int64_t layer, int64_t position) {
    return k_.get() + layer * layer_floats() + position * shape_.row_floats();
}

float* KvCache::v_rows(int64_t layer, int64_t position) {
    return v_.get() + layer * layer_floats() + position * shape_.row_floats();
}

void KvCache::commit(int64_t n) {
    check_room(n);
    n_filled_ += n;
}

void KvCache::truncate(int64_t n) {
    if (n < 0 || n > n_filled_) throw_error("kv cache", "cannot truncate {} positions to {}", n_filled_, n);
    n_filled_ = n;
}

}  // namespace rocmforge::kv
