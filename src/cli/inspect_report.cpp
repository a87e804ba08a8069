#include "cli/inspect_report.h"

#include <fmt/format.h>

#include <map>

namespace rocmforge::cli {
namespace {

using json = nlohmann::ordered_json;
using gguf::Value;
using gguf::ValueType;

json value_to_json(const Value& value, bool summarize);

json array_to_json(const gguf::Array& array, bool summarize) {
    if (summarize && array.items.size() > kArraySummaryThreshold) {
        json head = json::array();
        for (size_t i = 0; i < kArraySummaryHead; ++i) head.push_back(value_to_json(array.items[i], true));
        return json{{"type", "array"},
                    {"element_type", std::string(gguf::value_type_name(array.element_type))},
                    {"length", array.items.size()},
                    {"head", std::move(head)}};
    }
    json out = json::array();
    for (const Value& item : array.items) out.push_back(value_to_json(item, summarize));
    return out;
}

json value_to_json(const Value& value, bool summarize) {
    return std::visit(
        [&](const auto& v) -> json {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, gguf::Array>) return array_to_json(v, summarize);
            else if constexpr (std::is_same_v<V, uint8_t> || std::is_same_v<V, uint16_t> || std::is_same_v<V, uint32_t>) return static_cast<uint64_t>(v);
            else if constexpr (std::is_same_v<V, int8_t> || std::is_same_v<V, int16_t> || std::is_same_v<V, int32_t>) return static_cast<int64_t>(v);
            else return v;
        },
        value.storage);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

json tokenizer_summary(const gguf::GgufFile& file) {
    json t = json::object();
    if (auto model = file.find("tokenizer.ggml.model"); model && model->as_string()) t["model"] = *model->as_string();
    if (auto pre = file.find("tokenizer.ggml.pre"); pre && pre->as_string()) t["pre"] = *pre->as_string();
    if (const Value* tokens = file.find("tokenizer.ggml.tokens"); tokens && tokens->as_array()) {
        t["vocab_size"] = tokens->as_array()->items.size();
    }
    if (const Value* merges = file.find("tokenizer.ggml.merges"); merges && merges->as_array()) {
        t["merges"] = merges->as_array()->items.size();
    }
    json special = json::object();
    for (const char* name : {"bos", "eos", "eot", "eom", "unknown", "padding", "separator", "cls", "mask"}) {
        const Value* id = file.find(fmt::format("tokenizer.ggml.{}_token_id", name));
        if (id && id->as_int()) special[name] = *id->as_int();
    }
    t["special_ids"] = std::move(special);
    for (const char* flag : {"add_bos_token", "add_eos_token", "add_space_prefix"}) {
        const Value* v = file.find(fmt::format("tokenizer.ggml.{}", flag));
        if (v && v->as_bool()) t[flag] = *v->as_bool();
    }
    t["has_chat_template"] = file.find("tokenizer.chat_template") != nullptr;
    return t;
}

}  // namespace

json build_inspect_report(const gguf::GgufFile& file) {
    json report;
    report["file"] = file.name();
    report["gguf_version"] = file.version();
    report["file_size"] = file.file_size();
    report["alignment"] = file.alignment();
    report["data_offset"] = file.data_offset();

    json general = json::object();
    json hparams = json::object();
    json metadata = json::object();
    std::string arch;
    if (const Value* a = file.find("general.architecture"); a && a->as_string()) arch = *a->as_string();
    for (const auto& entry : file.metadata()) {
        metadata[entry.key] = value_to_json(entry.value, true);
        if (starts_with(entry.key, "general.")) general[entry.key.substr(8)] = value_to_json(entry.value, true);
        if (!arch.empty() && starts_with(entry.key, arch + ".")) {
            hparams[entry.key.substr(arch.size() + 1)] = value_to_json(entry.value, true);
        }
    }
    report["general"] = std::move(general);
    report["architecture"] = arch.empty() ? json(nullptr) : json(arch);
    report["hyperparameters"] = std::move(hparams);
    report["tokenizer"] = tokenizer_summary(file);
    report["metadata"] = std::move(metadata);

    json tensors = json::array();
    struct TypeTotals { uint64_t tensors = 0, parameters = 0, bytes = 0; };
    std::map<std::string, TypeTotals> by_type;
    for (const auto& t : file.tensors()) {
        const std::string type(gguf::ggml_type_name(t.type));
        tensors.push_back(json{{"name", t.name}, {"type", type}, {"shape", t.ne}, {"n_elements", t.n_elements},
                               {"bytes", t.n_bytes}, {"offset", file.data_offset() + t.offset}});
        auto& totals = by_type[type];
        totals.tensors += 1;
        totals.parameters += t.n_elements;
        totals.bytes += t.n_bytes;
    }
    report["tensors"] = std::move(tensors);
    json types = json::object();
    for (const auto& [type, totals] : by_type) {
        types[type] = json{{"tensors", totals.tensors}, {"parameters", totals.parameters}, {"bytes", totals.bytes}};
    }
    report["totals"] = json{{"tensor_count", file.tensors().size()},
                            {"parameter_count", file.parameter_count()},
                            {"tensor_bytes", file.tensor_bytes()},
                            {"by_type", std::move(types)}};
    return report;
}

namespace {

std::string compact(const json& value) {
    std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
    constexpr size_t kMaxWidth = 120;
    if (s.size() > kMaxWidth) s = s.substr(0, kMaxWidth - 3) + "...";
    return s;
}

std::string summarize_for_text(const json& value) {
    if (value.is_object() && value.contains("length") && value.contains("head")) {
        return fmt::format("[{} x {}] {}", value["length"].get<uint64_t>(), value["element_type"].get<std::string>(),
                           compact(value["head"]));
    }
    return compact(value);
}

std::string human_bytes(uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) { v /= 1024.0; ++u; }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", v, units[u]);
}

void section(std::string& out, const std::string& title, const json& object) {
    out += title + ":\n";
    if (object.empty()) out += "  (none)\n";
    for (const auto& [key, value] : object.items()) out += fmt::format("  {:<40} {}\n", key, summarize_for_text(value));
}

}  // namespace

std::string render_inspect_text(const json& report) {
    std::string out;
    out += fmt::format("file: {}\n", report["file"].get<std::string>());
    out += fmt::format("  GGUF v{}, {} ({} bytes), alignment {}, data offset {}\n", report["gguf_version"].get<uint32_t>(),
                       human_bytes(report["file_size"].get<uint64_t>()), report["file_size"].get<uint64_t>(),
                       report["alignment"].get<uint64_t>(), report["data_offset"].get<uint64_t>());
    section(out, "general", report["general"]);
    const std::string arch = report["architecture"].is_string() ? report["architecture"].get<std::string>() : "unknown";
    section(out, fmt::format("hyper-parameters ({})", arch), report["hyperparameters"]);
    section(out, "tokenizer", report["tokenizer"]);
    section(out, fmt::format("metadata ({} keys)", report["metadata"].size()), report["metadata"]);

    const auto& tensors = report["tensors"];
    out += fmt::format("tensors ({}):\n", tensors.size());
    out += fmt::format("  {:<40} {:<8} {:<24} {:>14} {:>14}\n", "name", "type", "shape", "bytes", "offset");
    for (const auto& t : tensors) {
        out += fmt::format("  {:<40} {:<8} {:<24} {:>14} {:>14}\n", t["name"].get<std::string>(), t["type"].get<std::string>(),
                           t["shape"].dump(), t["bytes"].get<uint64_t>(), t["offset"].get<uint64_t>());
    }
    const auto& totals = report["totals"];
    out += "totals:\n";
    out += fmt::format("  tensors {}, parameters {}, tensor data {} ({} bytes)\n", totals["tensor_count"].get<uint64_t>(),
                       totals["parameter_count"].get<uint64_t>(), human_bytes(totals["tensor_bytes"].get<uint64_t>()),
                       totals["tensor_bytes"].get<uint64_t>());
    for (const auto& [type, t] : totals["by_type"].items()) {
        out += fmt::format("  {:<8} {:>5} tensors {:>14} parameters {:>14} bytes\n", type, t["tensors"].get<uint64_t>(),
                           t["parameters"].get<uint64_t>(), t["bytes"].get<uint64_t>());
    }
    return out;
}

}  // namespace rocmforge::cli
