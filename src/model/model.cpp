#include "model/model.h"

#include "util/error.h"
#include "util/log.h"
#include "util/system_memory.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

namespace rocmforge::model {

std::unique_ptr<Model> Model::load(const std::string& path) {
    if (!std::filesystem::exists(path)) throw_error(path, "model file not found");
    const auto start = std::chrono::steady_clock::now();
    auto model = std::unique_ptr<Model>(new Model(gguf::GgufFile::open(path)));
    const auto& file = model->file_;
    const auto arch = file.get_string("general.architecture");
    if (!arch) throw_error(file.name(), "missing metadata key 'general.architecture'");
    try {
        model->spec_ = &find_arch(*arch);
    } catch (const Error& e) {
        throw Error(file.name(), e.what());
    }
    const auto* embd = file.find_tensor("token_embd.weight");
    if (embd == nullptr) throw_error(file.name(), "missing tensor 'token_embd.weight'");
    model->hparams_ = load_hparams(file, *model->spec_);
    model->hparams_.n_vocab = embd->n_rows();
    model->weights_ = load_weights(file, *model->spec_, model->hparams_);
    const auto& h = model->hparams_;
    log::debug("loaded {} in {:.1f} ms: {} ({} blocks, n_embd {}, heads {}/{}, vocab {}), {:.1f} MiB mapped, weights "
               "used in place", path, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
               h.arch, h.n_layers, h.n_embd, h.n_heads, h.n_kv_heads, h.n_vocab, file.file_size() / 1048576.0);
    return model;
}

kv::KvCache Model::make_cache(int64_t n_ctx) const {
    kv::KvCacheShape shape{hparams_.n_layers, n_ctx, hparams_.n_kv_heads, hparams_.head_dim};
    const size_t per_position = kv::KvCache::bytes_per_position(shape);
    const uint64_t available = available_memory_bytes();
    // The cache may take at most half of the memory available now (weights are mmapped beside it).
    const auto fitting = static_cast<int64_t>(std::max<uint64_t>(1, available / 2 / per_position));
    if (n_ctx <= 0) {
        shape.n_ctx = std::min<int64_t>(hparams_.n_ctx_train, fitting);
        if (shape.n_ctx < hparams_.n_ctx_train) {
            log::warn("context capped at {} positions by memory (the model was trained for {}; {:.1f} GiB available)",
                      shape.n_ctx, hparams_.n_ctx_train, static_cast<double>(available) / (1ull << 30));
        }
    } else if (n_ctx > fitting) {
        throw_error("-c", "a context of {} positions needs {:.2f} GiB of KV cache, more than half of the {:.2f} GiB "
                    "of memory available (at most {} fit)", n_ctx,
                    static_cast<double>(per_position) * static_cast<double>(n_ctx) / (1ull << 30),
                    static_cast<double>(available) / (1ull << 30), fitting);
    }
    kv::KvCache cache(shape);
    log::debug("KV cache: {} positions, {:.1f} MiB (f32, committed as it fills)", shape.n_ctx, cache.bytes() / 1048576.0);
    return cache;
}

}  // namespace rocmforge::model
