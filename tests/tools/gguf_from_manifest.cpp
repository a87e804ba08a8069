// Test tool: writes a GGUF file with the project's GgufWriter from a JSON manifest plus raw
// little-endian f32 tensor files. Used to turn a Hugging Face state dict (dumped by
// scripts/hf_random_model_check.py) into a GGUF without any third-party converter.
//
// usage: rocmforge_gguf_from_manifest MANIFEST.json OUT.gguf
// manifest: {"metadata": [{"key": K, "type": T, "value": V}, ...],
//            "tensors":  [{"name": N, "shape": [ne0, ne1, ...], "file": "relative/path.f32"}, ...]}
// T: u32 | i32 | u64 | f32 | bool | str | i32[] | f32[] | str[]   (shape is GGML order: ne0 = row length)
#include "gguf/gguf_writer.h"
#include "util/error.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using rocmforge::gguf::Array;
using rocmforge::gguf::Value;
using rocmforge::gguf::ValueType;

namespace {

template <typename T>
Value typed_array(const nlohmann::json& items, ValueType type) {
    Array array{type, {}};
    for (const auto& item : items) array.items.emplace_back(item.get<T>());
    return Value(std::move(array));
}

Value to_value(const std::string& type, const nlohmann::json& v) {
    if (type == "u32") return Value(v.get<uint32_t>());
    if (type == "i32") return Value(v.get<int32_t>());
    if (type == "u64") return Value(v.get<uint64_t>());
    if (type == "f32") return Value(v.get<float>());
    if (type == "bool") return Value(v.get<bool>());
    if (type == "str") return Value(v.get<std::string>());
    if (type == "i32[]") return typed_array<int32_t>(v, ValueType::INT32);
    if (type == "f32[]") return typed_array<float>(v, ValueType::FLOAT32);
    if (type == "str[]") return typed_array<std::string>(v, ValueType::STRING);
    rocmforge::throw_error("manifest", "unknown metadata type '{}'", type);
}

std::vector<uint8_t> read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) rocmforge::throw_error(path.string(), "cannot open tensor file");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s MANIFEST.json OUT.gguf\n", argv[0]);
        return 2;
    }
    try {
        const std::filesystem::path manifest_path = argv[1];
        std::ifstream in(manifest_path);
        if (!in) rocmforge::throw_error(manifest_path.string(), "cannot open manifest");
        const auto manifest = nlohmann::json::parse(in);
        rocmforge::gguf::GgufWriter writer;
        for (const auto& entry : manifest.at("metadata")) {
            writer.set(entry.at("key").get<std::string>(), to_value(entry.at("type").get<std::string>(), entry.at("value")));
        }
        for (const auto& t : manifest.at("tensors")) {
            auto bytes = read_all(manifest_path.parent_path() / t.at("file").get<std::string>());
            writer.add_tensor(t.at("name").get<std::string>(), rocmforge::gguf::GgmlType::F32,
                              t.at("shape").get<std::vector<int64_t>>(), std::move(bytes));
        }
        writer.write(argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
