#include "model/model_quantizer.h"

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "quant/quant_traits.h"
#include "quant/reference_kernels.h"
#include "util/error.h"
#include "util/log.h"
#include "util/progress_bar.h"
#include "util/thread_pool.h"

#include <algorithm>
#include <cctype>

namespace rocmforge::model {
namespace {

using gguf::GgmlType;
using quant::FromFloatFn;
using quant::is_supported;
using quant::quant_traits;
namespace ref = quant::ref;

// TYPE names and the general.file_type they produce (llama.cpp's LLAMA_FTYPE values; plain
// K-quant types map to the "_S" ftype, which is the all-same-type variant).
struct TargetRow {
    const char* name;
    GgmlType base;
    QuantMix mix;
    uint32_t file_type;
};
constexpr TargetRow kTargets[] = {
    {"F32", GgmlType::F32, QuantMix::None, 0},       {"F16", GgmlType::F16, QuantMix::None, 1},
    {"BF16", GgmlType::BF16, QuantMix::None, 32},    {"Q4_0", GgmlType::Q4_0, QuantMix::None, 2},
    {"Q4_1", GgmlType::Q4_1, QuantMix::None, 3},     {"Q5_0", GgmlType::Q5_0, QuantMix::None, 8},
    {"Q5_1", GgmlType::Q5_1, QuantMix::None, 9},     {"Q8_0", GgmlType::Q8_0, QuantMix::None, 7},
    {"Q2_K", GgmlType::Q2_K, QuantMix::Q2_K, 10},    {"Q3_K", GgmlType::Q3_K, QuantMix::None, 11},
    {"Q4_K", GgmlType::Q4_K, QuantMix::None, 14},    {"Q5_K", GgmlType::Q5_K, QuantMix::None, 16},
    {"Q6_K", GgmlType::Q6_K, QuantMix::None, 18},    {"IQ4_NL", GgmlType::IQ4_NL, QuantMix::None, 25},
    {"IQ4_XS", GgmlType::IQ4_XS, QuantMix::None, 30}, {"TQ1_0", GgmlType::TQ1_0, QuantMix::None, 36},
    {"TQ2_0", GgmlType::TQ2_0, QuantMix::None, 37},  {"MXFP4", GgmlType::MXFP4, QuantMix::None, 38},
    {"Q3_K_M", GgmlType::Q3_K, QuantMix::Q3_K_M, 12}, {"Q4_K_M", GgmlType::Q4_K, QuantMix::Q4_K_M, 15},
    {"Q5_K_M", GgmlType::Q5_K, QuantMix::Q5_K_M, 17},
};

bool is_float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// Row quantizer of a target type: the traits' from_float, or the ternary quantizers (which are
// not in the traits table because they are only meaningful for ternary-trained weights).
FromFloatFn quantizer_for(GgmlType t) {
    if (t == GgmlType::TQ1_0) return ref::quantize_row_tq1_0;
    if (t == GgmlType::TQ2_0) return ref::quantize_row_tq2_0;
    return quant_traits(t).from_float;
}

// Compatible type for rows that are not a multiple of `t`'s block size.
GgmlType fallback_type(GgmlType t, int64_t row_length) {
    GgmlType f = GgmlType::F16;
    switch (t) {
        case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::IQ4_XS: f = GgmlType::IQ4_NL; break;
        case GgmlType::Q4_K: f = GgmlType::Q5_0; break;
        case GgmlType::Q5_K: f = GgmlType::Q5_1; break;
        case GgmlType::Q6_K: f = GgmlType::Q8_0; break;
        default: break;
    }
    if (row_length % gguf::ggml_type_info(f).block_size != 0) f = GgmlType::F16;
    return f;
}

// Layers at the start, the end and every third in between get more bits in the _M mixes.
bool use_more_bits(int layer, int n_layers) {
    return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// N of a "blk.N." tensor name, or -1.
int layer_of(const std::string& name) {
    if (!name.starts_with("blk.")) return -1;
    size_t i = 4;
    int layer = 0;
    while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])) && layer < 1000000) layer = layer * 10 + (name[i++] - '0');
    return (i > 4 && i < name.size() && name[i] == '.') ? layer : -1;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Type of a quantizable weight under the target's mix, before the divisibility fallback.
// n_gqa: query heads per KV head (attention.head_count / head_count_kv), 1 when unknown.
GgmlType mixed_type(const QuantizeTarget& target, const std::string& name, int n_layers, int64_t n_gqa, std::string* note) {
    const GgmlType base = target.base;
    if (target.pure) return base;
    const bool quantized_base = !is_float_type(base);
    if (name == "output.weight" && quantized_base && base != GgmlType::Q8_0 && base != GgmlType::Q6_K) {
        *note = "output projection kept at q6_K";
        return GgmlType::Q6_K;
    }
    const int layer = layer_of(name);
    const bool attn_v = contains(name, "attn_v.weight") || contains(name, "attn_qkv.weight");
    const bool ffn_down = contains(name, "ffn_down");
    switch (target.mix) {
        case QuantMix::None: return base;
        case QuantMix::Q2_K:
            if (attn_v) { *note = "mix"; return n_gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K; }
            if (ffn_down || contains(name, "attn_output.weight")) { *note = "mix"; return GgmlType::Q3_K; }
            return base;
        case QuantMix::Q4_K_M:
        case QuantMix::Q5_K_M:
            if ((attn_v || ffn_down) && layer >= 0 && use_more_bits(layer, n_layers)) {
                *note = "mix: more bits for this layer";
                return GgmlType::Q6_K;
            }
            return base;
        case QuantMix::Q3_K_M:
            if (attn_v && layer >= 0) { *note = "mix"; return layer < 2 ? GgmlType::Q5_K : GgmlType::Q4_K; }
            if (ffn_down && layer >= 0) { *note = "mix"; return layer < n_layers / 16 ? GgmlType::Q5_K : GgmlType::Q4_K; }
            if (contains(name, "attn_output.weight")) { *note = "mix"; return GgmlType::Q4_K; }
            return base;
    }
    return base;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<QuantizeTarget> parse_quantize_target(std::string_view name) {
    const std::string u = upper(name);
    for (const auto& row : kTargets) {
        if (u == row.name) return QuantizeTarget{row.name, row.base, row.mix, row.file_type};
    }
    return std::nullopt;
}

std::vector<std::string> quantize_target_names() {
    std::vector<std::string> names;
    for (const auto& row : kTargets) names.emplace_back(row.name);
    return names;
}

std::vector<TensorPlan> plan_quantization(const gguf::GgufFile& file, const QuantizeTarget& target) {
    int n_layers = 0;
    for (const auto& t : file.tensors()) n_layers = std::max(n_layers, layer_of(t.name) + 1);
    int64_t n_gqa = 1;
    if (const auto arch = file.get_string("general.architecture")) {
        const auto heads = file.get_int(*arch + ".attention.head_count");
        const auto kv_heads = file.get_int(*arch + ".attention.head_count_kv");
        if (heads && kv_heads && *kv_heads > 0) n_gqa = *heads / *kv_heads;
    }
    std::vector<TensorPlan> plan;
    for (const auto& t : file.tensors()) {
        TensorPlan p{t.name, t.type, t.type, ""};
        const bool is_weight = t.name.size() >= 6 && t.name.ends_with("weight");
        if (t.ne.size() < 2) {
            p.to = GgmlType::F32;  // norms, biases: tiny and precision-sensitive
            if (t.type != GgmlType::F32) p.note = "1-D tensor stored as f32";
        } else if (is_weight) {
            p.to = mixed_type(target, t.name, n_layers, n_gqa, &p.note);
            const int64_t row = t.row_length();
            if (row % gguf::ggml_type_info(p.to).block_size != 0) {
                const GgmlType wanted = p.to;
                p.to = fallback_type(wanted, row);
                p.note = fmt::format("row length {} is not a multiple of {}'s block size {}: using {}", row,
                                     gguf::ggml_type_name(wanted), gguf::ggml_type_info(wanted).block_size,
                                     gguf::ggml_type_name(p.to));
            }
        }
        plan.push_back(std::move(p));
    }
    return plan;
}

QuantizeSummary quantize_model(const std::string& input_path, const std::string& output_path,
                               const QuantizeTarget& target, const QuantizeOptions& options) {
    const gguf::GgufFile input = gguf::GgufFile::open(input_path);
    QuantizeSummary summary;
    summary.plan = plan_quantization(input, target);

    uint64_t work = 0;
    for (size_t i = 0; i < summary.plan.size(); ++i) {
        const auto& p = summary.plan[i];
        const auto& t = input.tensors()[i];
        if (p.from == p.to) continue;
        if (!is_supported(p.from)) {
            throw_error(input_path, "tensor '{}' has type {} which this build cannot convert", p.name, gguf::ggml_type_name(p.from));
        }
        if (!is_float_type(p.from) && !options.allow_requantize) {
            throw_error(input_path,
                        "tensor '{}' is already quantized ({}); quantizing it again to {} loses quality, pass "
                        "--allow-requantize to do it anyway",
                        p.name, gguf::ggml_type_name(p.from), gguf::ggml_type_name(p.to));
        }
        work += t.n_elements;
    }
    for (const auto& p : summary.plan) {
        if (p.note.find("row length") != std::string::npos) log::warn("{}: tensor '{}': {}", input_path, p.name, p.note);
    }

    gguf::GgufWriter writer(input.version());
    for (const auto& entry : input.metadata()) writer.set(entry.key, entry.value);
    writer.set("general.file_type", gguf::Value(target.file_type));
    if (!is_float_type(target.base)) writer.set("general.quantization_version", gguf::Value(uint32_t{2}));

    ThreadPool pool(resolve_thread_count(options.threads));
    ProgressBar progress(fmt::format("quantize {}", target.name), work);
    for (size_t i = 0; i < summary.plan.size(); ++i) {
        const auto& p = summary.plan[i];
        const auto& t = input.tensors()[i];
        summary.input_bytes += t.n_bytes;
        if (p.from == p.to) {
            writer.add_tensor_view(t.name, t.type, t.ne, t.bytes());
            summary.output_bytes += t.n_bytes;
            continue;
        }
        const auto& src = quant_traits(p.from);
        const FromFloatFn quantize_row = p.to == GgmlType::F32 ? quant_traits(GgmlType::F32).from_float : quantizer_for(p.to);
        const auto& dst_info = gguf::ggml_type_info(p.to);
        const int64_t row = t.row_length();
        const int64_t n_rows = t.n_rows();
        const size_t src_row_bytes = static_cast<size_t>(row / src.block_size) * src.type_size;
        const size_t dst_row_bytes = static_cast<size_t>(row / dst_info.block_size) * dst_info.type_size;
        std::vector<uint8_t> out(dst_row_bytes * n_rows);
        pool.parallel_for(n_rows, [&](int64_t begin, int64_t end) {
            std::vector<float> buffer(row);
            for (int64_t r = begin; r < end; ++r) {
                src.to_float(t.data + r * src_row_bytes, buffer.data(), row);
                quantize_row(buffer.data(), out.data() + r * dst_row_bytes, row);
                progress.advance(static_cast<uint64_t>(row));
            }
        });
        summary.output_bytes += out.size();
        writer.add_tensor(t.name, p.to, t.ne, std::move(out));
    }
    progress.finish();
    writer.write(output_path);
    return summary;
}

}  // namespace rocmforge::model
