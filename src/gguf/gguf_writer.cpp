#include "gguf/gguf_writer.h"

#include "util/checked_math.h"
#include "util/error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace rocmforge::gguf {
namespace {

// Appends little-endian encodings; Out is a byte sink with write(const void*, size_t).
template <typename Out>
class Encoder {
public:
    explicit Encoder(Out& out) : out_(out) {}

    template <typename T>
    void scalar(T v) { out_.write(&v, sizeof(T)); }

    void string(const std::string& s) {
        scalar<uint64_t>(s.size());
        out_.write(s.data(), s.size());
    }

    void value(const Value& v) {
        std::visit(
            [&](const auto& x) {
                using V = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<V, std::string>) {
                    string(x);
                } else if constexpr (std::is_same_v<V, Array>) {
                    scalar<uint32_t>(static_cast<uint32_t>(x.element_type));
                    scalar<uint64_t>(x.items.size());
                    for (const Value& item : x.items) {
                        if (item.type() != x.element_type) {
                            throw_error("gguf writer", "array of {} holds a {} item", value_type_name(x.element_type),
                                        value_type_name(item.type()));
                        }
                        value(item);
                    }
                } else if constexpr (std::is_same_v<V, bool>) {
                    scalar<uint8_t>(x ? 1 : 0);
                } else {
                    scalar<V>(x);
                }
            },
            v.storage);
    }

    void padding(uint64_t alignment) {
        static constexpr uint8_t kZeros[256] = {};
        uint64_t pad = (alignment - out_.position() % alignment) % alignment;
        while (pad > 0) {
            const uint64_t n = std::min<uint64_t>(pad, sizeof(kZeros));
            out_.write(kZeros, n);
            pad -= n;
        }
    }

private:
    Out& out_;
};

struct BufferSink {
    std::vector<uint8_t> bytes;
    void write(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
    }
    uint64_t position() const { return bytes.size(); }
};

struct FileSink {
    std::FILE* file;
    std::string path;
    uint64_t written = 0;
    void write(const void* p, size_t n) {
        if (n != 0 && std::fwrite(p, 1, n, file) != n) throw_error(path, "write failed: {}", std::strerror(errno));
        written += n;
    }
    uint64_t position() const { return written; }
};

}  // namespace

uint64_t tensor_byte_size(GgmlType type, const std::vector<int64_t>& ne) {
    const GgmlTypeInfo& info = ggml_type_info(type);
    uint64_t n = 1;
    for (int64_t d : ne) {
        if (d < 0) throw_error("gguf writer", "negative dimension {}", d);
        const auto p = checked_mul(n, static_cast<uint64_t>(d));
        if (!p) throw_error("gguf writer", "tensor element count overflows");
        n = *p;
    }
    const int64_t row = ne.empty() ? 1 : ne[0];
    if (row % info.block_size != 0) {
        throw_error("gguf writer", "row length {} is not a multiple of the {} block size {}", row, info.name, info.block_size);
    }
    const auto bytes = checked_mul(n / info.block_size, info.type_size);
    if (!bytes) throw_error("gguf writer", "tensor byte size overflows");
    return *bytes;
}

GgufWriter::GgufWriter(uint32_t version) : version_(version) {
    if (version != 2 && version != 3) throw_error("gguf writer", "cannot write GGUF version {} (only 2 or 3)", version);
}

GgufWriter GgufWriter::from_file(const GgufFile& source) {
    GgufWriter writer(source.version());
    writer.metadata_ = source.metadata();
    for (const TensorInfo& t : source.tensors()) writer.add_tensor_view(t.name, t.type, t.ne, t.bytes());
    return writer;
}

void GgufWriter::set(const std::string& key, Value value) {
    for (auto& entry : metadata_) {
        if (entry.key == key) {
            entry.value = std::move(value);
            return;
        }
    }
    metadata_.push_back({key, std::move(value)});
}

void GgufWriter::remove(const std::string& key) {
    std::erase_if(metadata_, [&](const MetadataEntry& e) { return e.key == key; });
}

void GgufWriter::check_new_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne,
                                  size_t n_bytes) const {
    if (ne.size() > kMaxDims) throw_error("gguf writer: tensor '" + name + "'", "{} dimensions (at most {})", ne.size(), kMaxDims);
    for (const auto& t : tensors_) {
        if (t.name == name) throw_error("gguf writer", "duplicate tensor name '{}'", name);
    }
    const uint64_t expected = tensor_byte_size(type, ne);
    if (expected != n_bytes) {
        throw_error("gguf writer: tensor '" + name + "'", "has {} bytes of data, its type and shape need {}", n_bytes, expected);
    }
}

void GgufWriter::add_tensor_view(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                                 std::span<const uint8_t> data) {
    check_new_tensor(name, type, ne, data.size());
    tensors_.push_back({name, type, std::move(ne), data, {}});
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne, std::vector<uint8_t> data) {
    check_new_tensor(name, type, ne, data.size());
    tensors_.push_back({name, type, std::move(ne), {}, std::move(data)});
    tensors_.back().data = tensors_.back().owned;
}

uint64_t GgufWriter::alignment() const {
    for (const auto& e : metadata_) {
        if (e.key != "general.alignment") continue;
        const auto* a = std::get_if<uint32_t>(&e.value.storage);
        if (a == nullptr || *a == 0 || (*a & (*a - 1)) != 0) {
            throw_error("gguf writer: metadata 'general.alignment'", "must be a u32 power of two");
        }
        return *a;
    }
    return kDefaultAlignment;
}

template <typename Sink>
void GgufWriter::serialize(Sink& sink) const {
    Encoder encoder(sink);
    const uint64_t align = alignment();
    encoder.template scalar<uint32_t>(kGgufMagic);
    encoder.template scalar<uint32_t>(version_);
    encoder.template scalar<uint64_t>(tensors_.size());
    encoder.template scalar<uint64_t>(metadata_.size());
    for (const auto& entry : metadata_) {
        encoder.string(entry.key);
        encoder.template scalar<uint32_t>(static_cast<uint32_t>(entry.value.type()));
        encoder.value(entry.value);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
        encoder.string(t.name);
        encoder.template scalar<uint32_t>(static_cast<uint32_t>(t.ne.size()));
        for (int64_t d : t.ne) encoder.template scalar<int64_t>(d);
        encoder.template scalar<uint32_t>(static_cast<uint32_t>(t.type));
        encoder.template scalar<uint64_t>(offset);
        offset += (t.data.size() + align - 1) / align * align;
    }
    encoder.padding(align);
    for (const auto& t : tensors_) {
        sink.write(t.data.data(), t.data.size());
        encoder.padding(align);
    }
}

std::vector<uint8_t> GgufWriter::write_to_buffer() const {
    BufferSink sink;
    serialize(sink);
    return std::move(sink.bytes);
}

void GgufWriter::write(const std::string& path) const {
    const std::string tmp = path + ".tmp";
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(tmp.c_str(), "wb"), &std::fclose);
    if (!file) throw_error(tmp, "cannot create file: {}", std::strerror(errno));
    FileSink sink{file.get(), tmp};
    try {
        serialize(sink);
        if (std::fflush(file.get()) != 0) throw_error(tmp, "write failed: {}", std::strerror(errno));
    } catch (...) {
        file.reset();
        std::remove(tmp.c_str());
        throw;
    }
    if (std::fclose(file.release()) != 0) throw_error(tmp, "close failed: {}", std::strerror(errno));
    if (std::rename(tmp.c_str(), path.c_str()) != 0) throw_error(path, "cannot rename from {}: {}", tmp, std::strerror(errno));
}

}  // namespace rocmforge::gguf
