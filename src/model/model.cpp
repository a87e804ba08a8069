#include "model/model.h"

#include "util/error.h"

#include <algorithm>
#include <filesystem>

namespace rocmforge::model {

std::unique_ptr<Model> Model::load(const std::string& path) {
    if (!std::filesystem::exists(path)) throw_error(path, "model file not found");
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
    return model;
}

kv::KvCache Model::make_cache(int64_t n_ctx) const {
    if (n_ctx <= 0) n_ctx = std::min<int64_t>(hparams_.n_ctx_train, 4096);
    return kv::KvCache({hparams_.n_layers, n_ctx, hparams_.n_kv_heads, hparams_.head_dim});
}

}  // namespace rocmforge::model
