#include "gguf/gguf_file.h"

#include "util/checked_math.h"
#include "util/error.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

namespace rocmforge::gguf {

// Reads the file front to back through one cursor; every read is bounds-checked and every
// error names the field and the byte offset where it starts.
class GgufParser {
public:
    GgufParser(std::span<const uint8_t> bytes, std::string name) : bytes_(bytes), name_(std::move(name)) {}

    GgufFile parse() {
        GgufFile file;
        file.name_ = name_;
        file.file_size_ = bytes_.size();

        const uint32_t magic = read_scalar<uint32_t>("magic");
        if (magic != kGgufMagic) {
            fail(0, "bad magic 0x{:08x} (expected 0x{:08x} \"GGUF\"): not a GGUF file", magic, kGgufMagic);
        }
        const uint64_t version_offset = pos_;
        const uint32_t version = read_scalar<uint32_t>("version");
        if (version != 2 && version != 3) {
            if (version == 1) fail(version_offset, "GGUF version 1 is not supported (expected 2 or 3)");
            if (__builtin_bswap32(version) == 2 || __builtin_bswap32(version) == 3) {
                fail(version_offset, "big-endian GGUF files are not supported (version field 0x{:08x})", version);
            }
            fail(version_offset, "unsupported GGUF version {} (expected 2 or 3)", version);
        }
        file.version_ = version;

        const uint64_t n_tensors_offset = pos_;
        const uint64_t n_tensors = read_scalar<uint64_t>("tensor count");
        const uint64_t n_kv_offset = pos_;
        const uint64_t n_kv = read_scalar<uint64_t>("metadata count");
        // Each entry needs at least this many bytes, so counts beyond remaining/min are lies.
        constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
        constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;
        if (n_kv > remaining() / kMinKvBytes) fail(n_kv_offset, "metadata count {} exceeds what the file can hold", n_kv);
        if (n_tensors > remaining() / kMinTensorInfoBytes) {
            fail(n_tensors_offset, "tensor count {} exceeds what the file can hold", n_tensors);
        }

        file.metadata_.reserve(n_kv);
        for (uint64_t i = 0; i < n_kv; ++i) {
            const uint64_t entry_offset = pos_;
            MetadataEntry entry;
            entry.key = read_string(fmt::format("metadata[{}].key", i));
            if (file.metadata_index_.count(entry.key) != 0) fail(entry_offset, "duplicate metadata key '{}'", entry.key);
            const std::string field = fmt::format("metadata '{}'", entry.key);
            const uint32_t type_id = read_scalar<uint32_t>(field + " type");
            entry.value = read_value(type_id, field, 0);
            file.metadata_index_.emplace(entry.key, file.metadata_.size());
            file.metadata_.push_back(std::move(entry));
        }

        file.alignment_ = read_alignment(file);

        file.tensors_.reserve(n_tensors);
        std::vector<uint64_t> info_offsets;
        info_offsets.reserve(n_tensors);
        for (uint64_t i = 0; i < n_tensors; ++i) {
            info_offsets.push_back(pos_);
            TensorInfo info = read_tensor_info(i, file.alignment_);
            if (file.tensor_index_.count(info.name) != 0) fail(info_offsets.back(), "duplicate tensor name '{}'", info.name);
            file.tensor_index_.emplace(info.name, file.tensors_.size());
            file.tensors_.push_back(std::move(info));
        }

        file.stats_.bytes_parsed = pos_;
        const auto data_offset = checked_align_up(pos_, file.alignment_);
        if (!data_offset) fail(pos_, "data offset overflows");
        file.data_offset_ = *data_offset;
        place_tensor_data(file, info_offsets);
        return file;
    }

private:
    template <typename... Args>
    [[noreturn]] void fail(uint64_t offset, fmt::format_string<Args...> format, Args&&... args) const {
        throw Error(fmt::format("{} (offset {})", name_, offset), fmt::format(format, std::forward<Args>(args)...));
    }

    uint64_t remaining() const { return bytes_.size() - pos_; }

    void require(uint64_t n, const std::string& field) const {
        if (n > remaining()) {
            fail(pos_, "truncated file: {} needs {} bytes but only {} remain", field, n, remaining());
        }
    }

    template <typename T>
    T read_scalar(const std::string& field) {
        require(sizeof(T), field);
        T value;
        std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return value;
    }

    std::string read_string(const std::string& field) {
        const uint64_t start = pos_;
        const uint64_t length = read_scalar<uint64_t>(field + " length");
        if (length > remaining()) {
            fail(start, "{} length {} runs past the end of the file ({} bytes remain)", field, length, remaining());
        }
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
        pos_ += length;
        return s;
    }

    // Minimum encoded size of one value of a type, for sanity-checking array counts.
    static uint64_t min_encoded_size(ValueType type) {
        switch (type) {
            case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
            case ValueType::UINT16: case ValueType::INT16: return 2;
            case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
            case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
            case ValueType::STRING: return 8;
            case ValueType::ARRAY: return 4 + 8;
        }
        return 1;
    }

    Value read_value(uint32_t type_id, const std::string& field, int depth) {
        const uint64_t start = pos_;
        if (type_id >= kValueTypeCount) fail(start - 4, "{} has unknown value type id {}", field, type_id);
        switch (static_cast<ValueType>(type_id)) {
            case ValueType::UINT8: return Value(read_scalar<uint8_t>(field));
            case ValueType::INT8: return Value(read_scalar<int8_t>(field));
            case ValueType::UINT16: return Value(read_scalar<uint16_t>(field));
            case ValueType::INT16: return Value(read_scalar<int16_t>(field));
            case ValueType::UINT32: return Value(read_scalar<uint32_t>(field));
            case ValueType::INT32: return Value(read_scalar<int32_t>(field));
            case ValueType::FLOAT32: return Value(read_scalar<float>(field));
            case ValueType::UINT64: return Value(read_scalar<uint64_t>(field));
            case ValueType::INT64: return Value(read_scalar<int64_t>(field));
            case ValueType::FLOAT64: return Value(read_scalar<double>(field));
            case ValueType::BOOL: {
                const uint8_t b = read_scalar<uint8_t>(field);
                if (b > 1) fail(start, "{} is a bool with invalid byte value {}", field, b);
                return Value(b != 0);
            }
            case ValueType::STRING: return Value(read_string(field));
            case ValueType::ARRAY: return Value(read_array(field, depth));
        }
        fail(start, "{} has unknown value type id {}", field, type_id);
    }

    Array read_array(const std::string& field, int depth) {
        constexpr int kMaxNesting = 8;
        const uint64_t start = pos_;
        if (depth >= kMaxNesting) fail(start, "{} nests arrays deeper than {}", field, kMaxNesting);
        const uint32_t element_type_id = read_scalar<uint32_t>(field + " element type");
        if (element_type_id >= kValueTypeCount) {
            fail(start, "{} has unknown array element type id {}", field, element_type_id);
        }
        Array array;
        array.element_type = static_cast<ValueType>(element_type_id);
        const uint64_t count_offset = pos_;
        const uint64_t count = read_scalar<uint64_t>(field + " array length");
        if (count > remaining() / min_encoded_size(array.element_type)) {
            fail(count_offset, "{} array length {} runs past the end of the file ({} bytes remain)", field, count,
                 remaining());
        }
        array.items.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
            array.items.push_back(read_value(element_type_id, field, depth + 1));
        }
        return array;
    }

    uint64_t read_alignment(const GgufFile& file) const {
        const auto it = file.metadata_index_.find("general.alignment");
        if (it == file.metadata_index_.end()) return kDefaultAlignment;
        const Value& value = file.metadata_[it->second].value;
        const auto* alignment = std::get_if<uint32_t>(&value.storage);
        if (alignment == nullptr) {
            throw Error(name_ + ": metadata 'general.alignment'",
                        fmt::format("must be u32, found {}", value_type_name(value.type())));
        }
        if (*alignment == 0 || !std::has_single_bit(*alignment)) {
            throw Error(name_ + ": metadata 'general.alignment'",
                        fmt::format("must be a non-zero power of two, found {}", *alignment));
        }
        return *alignment;
    }

    TensorInfo read_tensor_info(uint64_t index, uint64_t alignment) {
        const uint64_t start = pos_;
        TensorInfo info;
        info.name = read_string(fmt::format("tensor[{}].name", index));
        const std::string field = fmt::format("tensor '{}'", info.name);
        const uint64_t dims_offset = pos_;
        const uint32_t n_dims = read_scalar<uint32_t>(field + " n_dims");
        if (n_dims > kMaxDims) fail(dims_offset, "{} has {} dimensions (at most {} supported)", field, n_dims, kMaxDims);
        uint64_t n_elements = 1;
        for (uint32_t d = 0; d < n_dims; ++d) {
            const uint64_t dim_offset = pos_;
            const int64_t ne = read_scalar<int64_t>(fmt::format("{} ne[{}]", field, d));
            if (ne < 0) fail(dim_offset, "{} has negative ne[{}] = {}", field, d, ne);
            const auto product = checked_mul(n_elements, static_cast<uint64_t>(ne));
            if (!product || *product > static_cast<uint64_t>(INT64_MAX)) {
                fail(dim_offset, "{} element count overflows (ne[{}] = {})", field, d, ne);
            }
            n_elements = *product;
            info.ne.push_back(ne);
        }
        info.n_elements = n_elements;

        const uint64_t type_offset = pos_;
        const uint32_t type_id = read_scalar<uint32_t>(field + " type");
        const auto type_info = ggml_type_info(type_id);
        if (!type_info) fail(type_offset, "{} has unknown tensor type id {}", field, type_id);
        info.type = type_info->type;
        if (info.row_length() % type_info->block_size != 0) {
            fail(start, "{} row length {} is not a multiple of the {} block size {}", field, info.row_length(),
                 type_info->name, type_info->block_size);
        }
        const auto n_bytes = checked_mul(n_elements / type_info->block_size, type_info->type_size);
        if (!n_bytes) fail(start, "{} byte size overflows", field);
        info.n_bytes = *n_bytes;

        const uint64_t offset_offset = pos_;
        info.offset = read_scalar<uint64_t>(field + " data offset");
        if (info.offset % alignment != 0) {
            fail(offset_offset, "{} data offset {} is not a multiple of the alignment {}", field, info.offset, alignment);
        }
        return info;
    }

    void place_tensor_data(GgufFile& file, const std::vector<uint64_t>& info_offsets) const {
        const uint64_t file_size = bytes_.size();
        const uint64_t data_size = file.data_offset_ <= file_size ? file_size - file.data_offset_ : 0;
        std::vector<size_t> order(file.tensors_.size());
        std::iota(order.begin(), order.end(), size_t{0});
        for (size_t i : order) {
            TensorInfo& t = file.tensors_[i];
            const auto end = checked_add(t.offset, t.n_bytes);
            if (!end || *end > data_size) {
                fail(info_offsets[i], "tensor '{}' data [{}, {}) is out of bounds: the data section at file offset {} holds {} bytes",
                     t.name, t.offset, end ? fmt::format("{}", *end) : std::string("overflow"), file.data_offset_, data_size);
            }
            t.data = t.n_bytes == 0 ? nullptr : bytes_.data() + file.data_offset_ + t.offset;
        }
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return file.tensors_[a].offset < file.tensors_[b].offset;
        });
        for (size_t k = 1; k < order.size(); ++k) {
            const TensorInfo& prev = file.tensors_[order[k - 1]];
            const TensorInfo& cur = file.tensors_[order[k]];
            if (prev.n_bytes != 0 && cur.n_bytes != 0 && prev.offset + prev.n_bytes > cur.offset) {
                fail(info_offsets[order[k]], "tensor '{}' data [{}, {}) overlaps tensor '{}' data [{}, {})", cur.name,
                     cur.offset, cur.offset + cur.n_bytes, prev.name, prev.offset, prev.offset + prev.n_bytes);
            }
        }
    }

    std::span<const uint8_t> bytes_;
    std::string name_;
    uint64_t pos_ = 0;
};

GgufFile GgufFile::open(const std::string& path) {
    auto mapping = std::make_shared<MappedFile>(path);
    GgufFile file = GgufParser(mapping->bytes(), path).parse();
    file.mapping_ = std::move(mapping);
    return file;
}

GgufFile GgufFile::parse(std::span<const uint8_t> bytes, const std::string& name) {
    return GgufParser(bytes, name).parse();
}

const Value* GgufFile::find(std::string_view key) const {
    const auto it = metadata_index_.find(std::string(key));
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].value;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
    const auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
[[noreturn]] void wrong_type(const std::string& file, std::string_view key, std::string_view expected, const Value& v) {
    throw Error(fmt::format("{}: metadata '{}'", file, key),
                fmt::format("expected {}, found {}", expected, value_type_name(v.type())));
}
}  // namespace

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_integer()) wrong_type(name_, key, "an integer", *v);
    const auto i = v->as_int();
    if (!i) throw Error(fmt::format("{}: metadata '{}'", name_, key), "integer value too large");
    return i;
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return std::nullopt;
    const auto d = v->as_double();
    if (!d) wrong_type(name_, key, "a number", *v);
    return d;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return std::nullopt;
    const auto b = v->as_bool();
    if (!b) wrong_type(name_, key, "a bool", *v);
    return b;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (v->as_string() == nullptr) wrong_type(name_, key, "a string", *v);
    return *v->as_string();
}

const Array* GgufFile::get_array(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr) return nullptr;
    if (v->as_array() == nullptr) wrong_type(name_, key, "an array", *v);
    return v->as_array();
}

uint64_t GgufFile::parameter_count() const {
    uint64_t total = 0;
    for (const auto& t : tensors_) total += t.n_elements;
    return total;
}

bool GgufFile::is_in_mapping(const void* p) const {
    if (mapping_ == nullptr) return false;
    const auto* byte = static_cast<const uint8_t*>(p);
    return byte >= mapping_->data() && byte < mapping_->data() + mapping_->size();
}

uint64_t GgufFile::tensor_bytes() const {
    uint64_t total = 0;
    for (const auto& t : tensors_) total += t.n_bytes;
    return total;
}

}  // namespace rocmforge::gguf
