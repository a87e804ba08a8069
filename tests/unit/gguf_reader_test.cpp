// GGUF reader: every validation path yields rocmforge::Error naming the problem and offset.
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <cstring>

namespace rocmforge::gguf {
namespace {

// Builds GGUF bytes field by field, so tests can write malformed files on purpose.
class RawGguf {
public:
    RawGguf& u32(uint32_t v) { return put(&v, 4); }
    RawGguf& u64(uint64_t v) { return put(&v, 8); }
    RawGguf& i64(int64_t v) { return put(&v, 8); }
    RawGguf& u8(uint8_t v) { return put(&v, 1); }
    RawGguf& put_u16(uint16_t v) { return put(&v, 2); }
    RawGguf& put_raw(const std::string& s) { return put(s.data(), s.size()); }
    RawGguf& str(const std::string& s) { u64(s.size()); return put(s.data(), s.size()); }
    RawGguf& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        return u32(kGgufMagic).u32(version).u64(n_tensors).u64(n_kv);
    }
    RawGguf& pad_to(size_t alignment) {
        while (bytes.size() % alignment != 0) bytes.push_back(0);
        return *this;
    }
    RawGguf& zeros(size_t n) { bytes.resize(bytes.size() + n, 0); return *this; }
    std::vector<uint8_t> bytes;

private:
    RawGguf& put(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
        return *this;
    }
};

std::string parse_error(const std::vector<uint8_t>& bytes) {
    try {
        GgufFile::parse(bytes, "test.gguf");
    } catch (const Error& e) {
        return e.what();
    }
    return "(parsed without error)";
}

TEST(GgufReader, ParsesEveryScalarTypeAndNestedArrays) {
    RawGguf g;
    g.header(0, 14);
    g.str("u8").u32(0).u8(200);
    g.str("i8").u32(1).u8(0xff);
    g.str("u16").u32(2).put_u16(65535);
    g.str("i16").u32(3).put_u16(0x8000);
    g.str("u32").u32(4).u32(4000000000u);
    g.str("i32").u32(5).u32(0xffffffffu);
    const float f = 1.5f;
    g.str("f32").u32(6).u32([&] { uint32_t u; std::memcpy(&u, &f, 4); return u; }());
    g.str("bool").u32(7).u8(1);
    g.str("str").u32(8).str("hello");
    g.str("u64").u32(10).u64(UINT64_MAX);
    g.str("i64").u32(11).i64(-5);
    const double d = -2.25;
    g.str("f64").u32(12).u64([&] { uint64_t u; std::memcpy(&u, &d, 8); return u; }());
    g.str("arr").u32(9).u32(8).u64(2).str("a").str("bc");
    g.str("nested").u32(9).u32(9).u64(2).u32(4).u64(1).u32(7).u32(4).u64(0);

    const GgufFile file = GgufFile::parse(g.bytes, "test.gguf");
    EXPECT_EQ(file.get_int("u8"), 200);
    EXPECT_EQ(file.get_int("i8"), -1);
    EXPECT_EQ(file.get_int("u16"), 65535);
    EXPECT_EQ(file.get_int("i16"), -32768);
    EXPECT_EQ(file.get_int("u32"), 4000000000LL);
    EXPECT_EQ(file.get_int("i32"), -1);
    EXPECT_EQ(file.get_float("f32"), 1.5);
    EXPECT_EQ(file.get_bool("bool"), true);
    EXPECT_EQ(file.get_string("str"), "hello");
    EXPECT_EQ(std::get<uint64_t>(file.find("u64")->storage), UINT64_MAX);
    EXPECT_EQ(file.get_int("i64"), -5);
    EXPECT_EQ(file.get_float("f64"), -2.25);
    const Array* arr = file.get_array("arr");
    ASSERT_NE(arr, nullptr);
    ASSERT_EQ(arr->items.size(), 2u);
    EXPECT_EQ(*arr->items[1].as_string(), "bc");
    const Array* nested = file.get_array("nested");
    ASSERT_NE(nested, nullptr);
    EXPECT_EQ(nested->element_type, ValueType::ARRAY);
    EXPECT_EQ(nested->items[0].as_array()->items.size(), 1u);
    EXPECT_EQ(*nested->items[0].as_array()->items[0].as_int(), 7);
    EXPECT_TRUE(nested->items[1].as_array()->items.empty());
    EXPECT_EQ(nested->items[1].as_array()->element_type, ValueType::UINT32);
    EXPECT_THROW(file.get_string("u8"), Error);
    EXPECT_FALSE(file.get_int("missing").has_value());
}

TEST(GgufReader, TensorViewsPointIntoTheBuffer) {
    RawGguf g;
    g.header(2, 0);
    g.str("a").u32(2).i64(4).i64(2).u32(0).u64(0);   // f32 [4,2] = 32 bytes at 0
    g.str("b").u32(1).i64(32).u32(8).u64(32);        // q8_0 [32] = 34 bytes at 32
    g.pad_to(32);
    const size_t data_start = g.bytes.size();
    g.zeros(32 + 34);
    g.bytes[data_start + 32] = 0x7f;
    const GgufFile file = GgufFile::parse(g.bytes, "test.gguf");
    EXPECT_EQ(file.data_offset(), data_start);
    ASSERT_EQ(file.tensors().size(), 2u);
    const TensorInfo* b = file.find_tensor("b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->type, GgmlType::Q8_0);
    EXPECT_EQ(b->n_bytes, 34u);
    EXPECT_EQ(b->data, g.bytes.data() + data_start + 32);
    EXPECT_EQ(file.parameter_count(), 8u + 32u);
    EXPECT_EQ(file.find_tensor("a")->n_rows(), 2);
}

TEST(GgufReader, RejectsBadMagicAndVersions) {
    RawGguf bad_magic;
    bad_magic.u32(0x12345678).u32(3).u64(0).u64(0);
    EXPECT_NE(parse_error(bad_magic.bytes).find("bad magic"), std::string::npos);

    RawGguf v1;
    v1.header(0, 0, 1);
    EXPECT_NE(parse_error(v1.bytes).find("version 1 is not supported"), std::string::npos);
    RawGguf v9;
    v9.header(0, 0, 9);
    EXPECT_NE(parse_error(v9.bytes).find("unsupported GGUF version 9"), std::string::npos);
    RawGguf big_endian;
    big_endian.header(0, 0, 0x03000000);
    EXPECT_NE(parse_error(big_endian.bytes).find("big-endian"), std::string::npos);
    EXPECT_NE(parse_error({}).find("truncated"), std::string::npos);
}

TEST(GgufReader, ErrorsNameTheFieldAndOffset) {
    RawGguf long_string;
    long_string.header(0, 1).u64(1000).put_raw("abcdefghijkl");
    const std::string e1 = parse_error(long_string.bytes);
    EXPECT_NE(e1.find("metadata[0].key length 1000 runs past the end"), std::string::npos) << e1;
    EXPECT_NE(e1.find("(offset 24)"), std::string::npos) << e1;

    RawGguf unknown_type;
    unknown_type.header(0, 1).str("k").u32(13);
    const std::string e2 = parse_error(unknown_type.bytes);
    EXPECT_NE(e2.find("metadata 'k' has unknown value type id 13"), std::string::npos) << e2;

    RawGguf huge_array;
    huge_array.header(0, 1).str("k").u32(9).u32(4).u64(1ull << 60);
    EXPECT_NE(parse_error(huge_array.bytes).find("array length 1152921504606846976 runs past"), std::string::npos);

    RawGguf bad_bool;
    bad_bool.header(0, 1).str("k").u32(7).u8(2);
    EXPECT_NE(parse_error(bad_bool.bytes).find("invalid byte value 2"), std::string::npos);

    RawGguf duplicate;
    duplicate.header(0, 2).str("k").u32(0).u8(1).str("k").u32(0).u8(2);
    EXPECT_NE(parse_error(duplicate.bytes).find("duplicate metadata key 'k'"), std::string::npos);

    RawGguf deep;
    deep.header(0, 1).str("k").u32(9);
    for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
    EXPECT_NE(parse_error(deep.bytes).find("nests arrays deeper"), std::string::npos);
}

TEST(GgufReader, RejectsBadTensorInfos) {
    auto one_tensor = [](uint32_t n_dims, std::vector<int64_t> ne, uint32_t type, uint64_t offset, size_t data) {
        RawGguf g;
        g.header(1, 0).str("t").u32(n_dims);
        for (int64_t d : ne) g.i64(d);
        g.u32(type).u64(offset).pad_to(32).zeros(data);
        return parse_error(g.bytes);
    };
    EXPECT_NE(one_tensor(5, {1, 1, 1, 1, 1}, 0, 0, 4).find("5 dimensions"), std::string::npos);
    EXPECT_NE(one_tensor(1, {-3}, 0, 0, 4).find("negative ne[0] = -3"), std::string::npos);
    EXPECT_NE(one_tensor(2, {1ll << 40, 1ll << 40}, 0, 0, 4).find("element count overflows"), std::string::npos);
    EXPECT_NE(one_tensor(1, {4}, 4, 0, 16).find("unknown tensor type id 4"), std::string::npos);
    EXPECT_NE(one_tensor(1, {4}, 99, 0, 16).find("unknown tensor type id 99"), std::string::npos);
    EXPECT_NE(one_tensor(1, {48}, 8, 0, 64).find("row length 48 is not a multiple of the q8_0 block size 32"),
              std::string::npos);
    EXPECT_NE(one_tensor(1, {4}, 0, 8, 64).find("not a multiple of the alignment 32"), std::string::npos);
    EXPECT_NE(one_tensor(1, {16}, 0, 32, 64).find("out of bounds"), std::string::npos);
    EXPECT_NE(one_tensor(1, {16}, 0, 0, 63).find("out of bounds"), std::string::npos);
    EXPECT_EQ(one_tensor(1, {16}, 0, 0, 64), "(parsed without error)");

    RawGguf overlap;
    overlap.header(2, 0);
    overlap.str("a").u32(1).i64(16).u32(0).u64(0);
    overlap.str("b").u32(1).i64(16).u32(0).u64(32);
    overlap.pad_to(32).zeros(128);
    EXPECT_NE(parse_error(overlap.bytes).find("tensor 'b' data [32, 96) overlaps tensor 'a' data [0, 64)"), std::string::npos)
        << parse_error(overlap.bytes);

    RawGguf duplicate;
    duplicate.header(2, 0);
    duplicate.str("a").u32(1).i64(8).u32(0).u64(0);
    duplicate.str("a").u32(1).i64(8).u32(0).u64(32);
    duplicate.pad_to(32).zeros(64);
    EXPECT_NE(parse_error(duplicate.bytes).find("duplicate tensor name 'a'"), std::string::npos);

    RawGguf lying_count;
    lying_count.header(1000000, 0);
    EXPECT_NE(parse_error(lying_count.bytes).find("tensor count 1000000 exceeds"), std::string::npos);
}

TEST(GgufReader, HonoursGeneralAlignment) {
    RawGguf g;
    g.header(1, 1).str("general.alignment").u32(4).u32(64);
    g.str("t").u32(1).i64(4).u32(0).u64(64);
    g.pad_to(64).zeros(128);
    const GgufFile file = GgufFile::parse(g.bytes, "test.gguf");
    EXPECT_EQ(file.alignment(), 64u);
    EXPECT_EQ(file.data_offset() % 64, 0u);

    RawGguf not_pow2;
    not_pow2.header(0, 1).str("general.alignment").u32(4).u32(48);
    EXPECT_NE(parse_error(not_pow2.bytes).find("power of two, found 48"), std::string::npos);
    RawGguf wrong_type;
    wrong_type.header(0, 1).str("general.alignment").u32(10).u64(32);
    EXPECT_NE(parse_error(wrong_type.bytes).find("must be u32, found u64"), std::string::npos);
}

TEST(GgufWriter, RoundTripsAndRejectsWrongSizes) {
    GgufWriter writer;
    writer.set("general.architecture", Value(std::string("llama")));
    writer.set("x.list", Value(Array{ValueType::INT32, {Value(int32_t{1}), Value(int32_t{-2})}}));
    writer.set("general.alignment", Value(uint32_t{64}));
    std::vector<uint8_t> data(34 * 2, 0xab);
    writer.add_tensor("q", GgmlType::Q8_0, {64}, data);
    writer.add_tensor("f", GgmlType::F32, {3}, std::vector<uint8_t>(12, 1));
    EXPECT_THROW(writer.add_tensor("bad", GgmlType::F32, {3}, std::vector<uint8_t>(11)), Error);
    EXPECT_THROW(writer.add_tensor("q", GgmlType::F32, {3}, std::vector<uint8_t>(12)), Error);
    EXPECT_THROW(writer.add_tensor("rows", GgmlType::Q8_0, {48}, std::vector<uint8_t>(51)), Error);
    writer.set("general.architecture", Value(std::string("qwen2")));  // replaces in place

    const auto bytes = writer.write_to_buffer();
    const GgufFile file = GgufFile::parse(bytes, "buffer");
    ASSERT_EQ(file.metadata().size(), 3u);
    EXPECT_EQ(file.metadata()[0].key, "general.architecture");
    EXPECT_EQ(file.get_string("general.architecture"), "qwen2");
    EXPECT_EQ(file.alignment(), 64u);
    ASSERT_EQ(file.tensors().size(), 2u);
    EXPECT_EQ(file.tensors()[1].offset % 64, 0u);
    EXPECT_EQ(std::vector<uint8_t>(file.tensors()[0].data, file.tensors()[0].data + 68), data);
    EXPECT_EQ(bytes.size() % 64, 0u);
}

}  // namespace
}  // namespace rocmforge::gguf
