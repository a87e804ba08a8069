#pragma once
// GGUF v2/v3 reader. Parses and validates the header, metadata and tensor infos of a file;
// tensor data is never read during parsing: tensors are zero-copy views into the mapping.
//
// Layout (little-endian): magic "GGUF", u32 version, u64 n_tensors, u64 n_kv,
//   n_kv × (string key, u32 value type, value), n_tensors × (string name, u32 n_dims,
//   n_dims × u64 ne, u32 type, u64 offset), padding to `alignment`, tensor data.
#include "gguf/ggml_type.h"
#include "gguf/gguf_value.h"
#include "util/mapped_file.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rocmforge::gguf {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;

struct MetadataEntry {
    std::string key;
    Value value;
};

struct TensorInfo {
    std::string name;
    GgmlType type = GgmlType::F32;
    std::vector<int64_t> ne;      // GGML order: ne[0] is the row length (contiguous dimension)
    uint64_t offset = 0;          // relative to the start of the data section
    uint64_t n_bytes = 0;         // exact size of the tensor's data
    uint64_t n_elements = 0;
    const uint8_t* data = nullptr;  // points into the file mapping (or caller's buffer)

    int64_t row_length() const { return ne.empty() ? 1 : ne[0]; }
    int64_t n_rows() const { return row_length() == 0 ? 0 : static_cast<int64_t>(n_elements) / row_length(); }
    std::span<const uint8_t> bytes() const { return {data, n_bytes}; }
};

struct ParseStats {
    uint64_t bytes_parsed = 0;  // bytes of header/metadata/tensor-info consumed (= data_offset minus padding)
};

class GgufFile {
public:
    // Maps and parses `path`. Throws rocmforge::Error naming the file, field and byte offset.
    static GgufFile open(const std::string& path);
    // Parses a buffer the caller keeps alive for the lifetime of the result; `name` is used in errors.
    static GgufFile parse(std::span<const uint8_t> bytes, const std::string& name);

    const std::string& name() const { return name_; }
    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }
    uint64_t file_size() const { return file_size_; }
    const ParseStats& stats() const { return stats_; }

    const std::vector<MetadataEntry>& metadata() const { return metadata_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }

    const Value* find(std::string_view key) const;
    const TensorInfo* find_tensor(std::string_view name) const;

    // Typed metadata accessors. Missing key → nullopt; present with an incompatible type →
    // rocmforge::Error naming the key, expected and actual types.
    std::optional<int64_t> get_int(std::string_view key) const;
    std::optional<double> get_float(std::string_view key) const;
    std::optional<bool> get_bool(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;
    const Array* get_array(std::string_view key) const;

    // True when `p` points into this file's own mapping (open(); never for parse()'s buffers).
    bool is_in_mapping(const void* p) const;

    // Sum over tensors of n_elements, and of n_bytes.
    uint64_t parameter_count() const;
    uint64_t tensor_bytes() const;

private:
    friend class GgufParser;
    GgufFile() = default;

    std::string name_;
    std::shared_ptr<MappedFile> mapping_;  // null when parsing a caller-owned buffer
    uint32_t version_ = 0;
    uint64_t alignment_ = kDefaultAlignment;
    uint64_t data_offset_ = 0;
    uint64_t file_size_ = 0;
    ParseStats stats_;
    std::vector<MetadataEntry> metadata_;
    std::vector<TensorInfo> tensors_;
    std::unordered_map<std::string, size_t> metadata_index_;
    std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace rocmforge::gguf
