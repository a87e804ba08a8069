#include "model/model.h"

#include "util/error.h"
#include "util/log.h"
#include "util/page_memory.h"
#include "util/progress_bar.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace rocmforge::model {

std::unique_ptr<Model> Model::load(const std::string& path, backend::Backend& backend) {
    if (!std::filesystem::exists(path)) throw_error(path, "model file not found");
    const auto start = std::chrono::steady_clock::now();
    auto model = std::unique_ptr<Model>(new Model(gguf::GgufFile::open(path)));
    model->backend_ = &backend;
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

    // One pass over every weight: the backend must run the op that reads it on its type (checked
    // before anything is uploaded), then it gets its device copy.
    auto& w = model->weights_;
    const auto check = [&](const std::string& name, const tensor::Tensor& t, backend::Op op) {
        if (backend.supports(op, t.dtype)) return;
        const char* device = tensor::device_name(backend.device());
        if (!backend.supports(op, gguf::GgmlType::F32))  // no type at all: the op is missing
            throw_error(file.name(), "tensor '{}': op {} is not implemented on {}", name, backend::op_name(op), device);
        throw_error(file.name(), "tensor '{}': op {} does not support type {} on {}", name, backend::op_name(op),
                    gguf::ggml_type_name(t.dtype), device);
    };
    w.visit_tensors([&](const std::string& name, tensor::Tensor& t, backend::Op op) { check(name, t, op); });
    if (w.output.data == w.token_embd.data) check("token_embd.weight (tied output)", w.token_embd, backend::Op::Matmul);
    uint64_t total_bytes = 0;
    w.visit_tensors([&](const std::string&, tensor::Tensor& t, backend::Op) { total_bytes += tensor::tensor_bytes(t.dtype, t.ne); });
    ProgressBar progress(fmt::format("load {}", std::filesystem::path(path).filename().string()), total_bytes);
    w.visit_tensors([&](const std::string&, tensor::Tensor& t, backend::Op) {
        const tensor::Tensor host = t;
        const size_t bytes = tensor::tensor_bytes(host.dtype, host.ne);
        t = backend.upload_weight(host);
        // The backend keeps its own copy: this process's pages of the file range are not needed.
        if (t.data != host.data && file.is_in_mapping(host.data)) release_mapped_pages(host.data, bytes);
        progress.advance(bytes);
    });
    progress.finish();

    const auto& h = model->hparams_;
    log::debug("loaded {} in {:.1f} ms: {} ({} blocks, n_embd {}, heads {}/{}, vocab {}), {:.1f} MiB mapped, on {}",
               path, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(),
               h.arch, h.n_layers, h.n_embd, h.n_heads, h.n_kv_heads, h.n_vocab, file.file_size() / 1048576.0,
               backend.description());
    return model;
}

backend::KvStorageShape Model::kv_shape(int64_t n_blocks, int64_t block_size, gguf::GgmlType kv_type) const {
    backend::KvStorageShape s;
    s.n_layers = hparams_.n_layers;
    s.n_blocks = n_blocks;
    s.block_size = block_size;
    s.row_elements = hparams_.n_kv_heads * hparams_.head_dim;
    s.dtype = kv_type;
    return s;
}

size_t Model::kv_bytes_per_position(gguf::GgmlType kv_type) const {
    const auto row = tensor::tensor_bytes(kv_type, {hparams_.n_kv_heads * hparams_.head_dim, 1, 1, 1});
    return 2 * row * static_cast<size_t>(hparams_.n_layers);
}

}  // namespace rocmforge::model
