#pragma once
// GGUF writer: ordered metadata plus tensors, laid out with `general.alignment` (default 32)
// padding exactly as the reader expects. Anything GgufFile reads can be written back.
#include "gguf/ggml_type.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_value.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rocmforge::gguf {

class GgufWriter {
public:
    explicit GgufWriter(uint32_t version = 3);

    // Copies the metadata and tensor views (borrowed: `source` must outlive the writer) of a file.
    static GgufWriter from_file(const GgufFile& source);

    // Sets a key, keeping its position when it already exists, appending otherwise.
    void set(const std::string& key, Value value);
    void remove(const std::string& key);
    const std::vector<MetadataEntry>& metadata() const { return metadata_; }

    // Adds a tensor whose bytes the caller keeps alive until write() returns.
    // data.size() must equal the size implied by type and ne (checked; throws rocmforge::Error).
    void add_tensor_view(const std::string& name, GgmlType type, std::vector<int64_t> ne, std::span<const uint8_t> data);
    // Adds a tensor that owns its bytes.
    void add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne, std::vector<uint8_t> data);

    // Writes the file atomically (to PATH.tmp, then rename). Throws rocmforge::Error on I/O failure.
    void write(const std::string& path) const;
    // Serializes the whole file into memory.
    std::vector<uint8_t> write_to_buffer() const;

private:
    struct PendingTensor {
        std::string name;
        GgmlType type;
        std::vector<int64_t> ne;
        std::span<const uint8_t> data;
        std::vector<uint8_t> owned;
    };
    template <typename Sink>
    void serialize(Sink& sink) const;
    uint64_t alignment() const;
    void check_new_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne, size_t n_bytes) const;

    uint32_t version_;
    std::vector<MetadataEntry> metadata_;
    std::vector<PendingTensor> tensors_;
};

// Size in bytes of a tensor of `type` with GGML shape `ne`; throws if ne[0] is not a multiple
// of the block size or the size overflows.
uint64_t tensor_byte_size(GgmlType type, const std::vector<int64_t>& ne);

}  // namespace rocmforge::gguf
