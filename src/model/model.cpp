#include "model/model.h"

#include "util/error.h"
#include "util/log.h"

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
    if (n_ctx <= 0) n_ctx = std::min<int64_t>(hparams_.n_ctx_train, 4096);
    kv::KvCache cache({hparams_.n_layers, n_ctx, hparams_.n_kv_heads, hparams_.head_dim});
    log::debug("KV cache: {} positions, {:.1f} MiB (f32)", n_ctx, cache.bytes() / 1048576.0);
    return cache;
}

}  // namespace rocmforge::model
