// x86 (256-bit) dot-product kernels of the remaining block types, included from vec_dot_simd.cpp
// inside namespace HWY_NAMESPACE after x86_int_dot-inl.h. Each matches its ref:: counterpart.

// |a| * sign-adjusted b, pairwise, then times an int16 scale: scale * sum a*b per 4-lane group.
HWY_INLINE VI32 ScaledDotI8I8(VI8 a, VI8 b, int16_t scale) {
    const VU8 abs_a = hn::BitCast(DU8(), hn::Abs(a));
    const VI8 signed_b = VI8{_mm256_sign_epi8(b.raw, a.raw)};
    return ScaledDotU8I8(abs_a, signed_b, scale);
}
// Sum of the 32 int8 lanes of b as int32 lanes.
HWY_INLINE VI32 SumI8(VI8 b) { return DotU8I8(hn::Set(DU8(), 1), b); }

// E8M0 scale times 0.5 (MXFP4 codebook values are doubled to integers), exact.
HWY_INLINE float E8M0Half(uint8_t e) {
    if (e == 0xFF) return std::numeric_limits<float>::quiet_NaN();
    const uint32_t bits = e >= 2 ? static_cast<uint32_t>(e - 1) << 23 : (0x00200000u << e);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// 32-element types whose codes map through a 16-entry int8 table (IQ4_NL, MXFP4).
template <typename Block, class Scale>
HWY_INLINE float DotTable16(int64_t n, const Block* bx, const BlockQ8_0* by, const int8_t* table16, Scale scale_of) {
    const auto table = hn::Combine(DI8(), hn::LoadU(hn::Full128<int8_t>(), table16), hn::LoadU(hn::Full128<int8_t>(), table16));
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const VI8 values = hn::TableLookupBytes(table, hn::BitCast(DI8(), NibblesOf16Bytes(bx[i].qs)));
        const VI32 s = DotI8I8(values, hn::LoadU(DI8(), by[i].qs));
        acc = hn::MulAdd(hn::ConvertTo(DF32(), s), hn::Set(DF32(), scale_of(bx[i]) * HalfToFloat(by[i].d)), acc);
    }
    return ReduceF32(acc);
}

void VecDotIQ4_NL(int64_t n, float* result, const void* x, const void* y) {
    *result = DotTable16(n, static_cast<const BlockIQ4_NL*>(x), static_cast<const BlockQ8_0*>(y), kIq4nlValues,
                         [](const BlockIQ4_NL& b) { return HalfToFloat(b.d); });
}

void VecDotMXFP4(int64_t n, float* result, const void* x, const void* y) {
    static constexpr int8_t kDoubledE2M1[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
    *result = DotTable16(n, static_cast<const BlockMXFP4*>(x), static_cast<const BlockQ8_0*>(y), kDoubledE2M1,
                         [](const BlockMXFP4& b) { return E8M0Half(b.e); });
}

void VecDotQ4_1(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ4_1*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const VI8 q8 = hn::LoadU(DI8(), by[i].qs);
        const float dy = HalfToFloat(by[i].d);
        acc = hn::MulAdd(hn::ConvertTo(DF32(), DotU8I8(NibblesOf16Bytes(bx[i].qs), q8)), hn::Set(DF32(), HalfToFloat(bx[i].d) * dy), acc);
        acc = hn::MulAdd(hn::ConvertTo(DF32(), SumI8(q8)), hn::Set(DF32(), HalfToFloat(bx[i].m) * dy), acc);
    }
    *result = ReduceF32(acc);
}

void VecDotQ5_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ5_0*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    const VI8 sixteen = hn::Set(DI8(), 16);
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const VU8 codes = hn::Or(NibblesOf16Bytes(bx[i].qs), FifthBitsOf32(bx[i].qh));
        const VI32 s = DotI8I8(hn::Sub(hn::BitCast(DI8(), codes), sixteen), hn::LoadU(DI8(), by[i].qs));
        acc = hn::MulAdd(hn::ConvertTo(DF32(), s), hn::Set(DF32(), HalfToFloat(bx[i].d) * HalfToFloat(by[i].d)), acc);
    }
    *result = ReduceF32(acc);
}

void VecDotQ5_1(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ5_1*>(x);
    const auto* by = static_cast<const BlockQ8_0*>(y);
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK4_0; ++i) {
        const VI8 q8 = hn::LoadU(DI8(), by[i].qs);
        const VU8 codes = hn::Or(NibblesOf16Bytes(bx[i].qs), FifthBitsOf32(bx[i].qh));
        const float dy = HalfToFloat(by[i].d);
        acc = hn::MulAdd(hn::ConvertTo(DF32(), DotU8I8(codes, q8)), hn::Set(DF32(), HalfToFloat(bx[i].d) * dy), acc);
        acc = hn::MulAdd(hn::ConvertTo(DF32(), SumI8(q8)), hn::Set(DF32(), HalfToFloat(bx[i].m) * dy), acc);
    }
    *result = ReduceF32(acc);
}

void VecDotQ8_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ8_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        VI32 sumi = hn::Zero(DI32());
        for (int k = 0; k < 8; ++k) sumi = hn::Add(sumi, DotI8I8(hn::LoadU(DI8(), bx[i].qs + 32 * k), hn::LoadU(DI8(), by[i].qs + 32 * k)));
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), bx[i].d * by[i].d), acc);
    }
    *result = ReduceF32(acc);
}

void VecDotQ5_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ5_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const VU8 low_mask = hn::Set(DU8(), 0x0F), one = hn::Set(DU8(), 1), two = hn::Set(DU8(), 2);
    VF32 acc = hn::Zero(DF32());
    float mins_sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        int sc[8];
        const int mins_dot = DecodeK4ScalesMinsDot(bx[i].scales, by[i].bsums, sc);
        VU8 qh = hn::LoadU(DU8(), bx[i].qh);  // bit 2k: sub-block 2k, bit 2k+1: sub-block 2k+1
        VI32 sumi = hn::Zero(DI32());
        for (int k = 0; k < 4; ++k) {
            const VU8 q = hn::LoadU(DU8(), bx[i].qs + 32 * k);
            const VU8 lo = hn::Or(hn::And(q, low_mask), hn::ShiftLeft<4>(hn::And(qh, one)));
            const VU8 hi = hn::Or(hn::And(hn::ShiftRight<4>(q), low_mask), hn::ShiftLeft<3>(hn::And(qh, two)));
            qh = hn::ShiftRight<2>(qh);
            sumi = hn::Add(sumi, ScaledDotU8I8(lo, hn::LoadU(DI8(), by[i].qs + 64 * k), static_cast<int16_t>(sc[2 * k])));
            sumi = hn::Add(sumi, ScaledDotU8I8(hi, hn::LoadU(DI8(), by[i].qs + 64 * k + 32), static_cast<int16_t>(sc[2 * k + 1])));
        }
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), HalfToFloat(bx[i].d) * by[i].d), acc);
        mins_sum += HalfToFloat(bx[i].dmin) * by[i].d * static_cast<float>(mins_dot);
    }
    *result = ReduceF32(acc) - mins_sum;
}

void VecDotQ2_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ2_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const VU8 two_bits = hn::Set(DU8(), 3);
    VF32 acc = hn::Zero(DF32());
    float mins_sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        const uint8_t* sc = bx[i].scales;
        int mins_dot = 0;
        for (int s = 0; s < 16; ++s) mins_dot += (sc[s] >> 4) * by[i].bsums[s];
        VI32 sumi = hn::Zero(DI32());
        for (int h = 0; h < 2; ++h) {
            VU8 q = hn::LoadU(DU8(), bx[i].qs + 32 * h);
            for (int j = 0; j < 4; ++j) {  // elements 128h + 32j + l: sub-blocks 8h + 2j (+1 for l >= 16)
                const VU8 codes = hn::And(q, two_bits);
                q = hn::ShiftRight<2>(q);
                sumi = hn::Add(sumi, ScaledDot16U8I8(codes, hn::LoadU(DI8(), by[i].qs + 128 * h + 32 * j),
                                                     sc[8 * h + 2 * j] & 0xF, sc[8 * h + 2 * j + 1] & 0xF));
            }
        }
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), HalfToFloat(bx[i].d) * by[i].d), acc);
        mins_sum += HalfToFloat(bx[i].dmin) * by[i].d * static_cast<float>(mins_dot);
    }
    *result = ReduceF32(acc) - mins_sum;
}

void VecDotQ3_K(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockQ3_K*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const VU8 two_bits = hn::Set(DU8(), 3), one = hn::Set(DU8(), 1);
    VF32 acc = hn::Zero(DF32());
    float offset_sum = 0.0f;
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        int16_t sc[16];
        int offset_dot = 0;  // codes are stored +4: subtract 4 * sum_s sc[s] * bsum[s]
        for (int s = 0; s < 16; ++s) {
            sc[s] = static_cast<int16_t>(layout::q3k_scale(bx[i].scales, s));
            offset_dot += sc[s] * by[i].bsums[s];
        }
        VU8 hm = hn::LoadU(DU8(), bx[i].hmask);  // bit 4h + j: element 128h + 32j + l
        VI32 sumi = hn::Zero(DI32());
        for (int h = 0; h < 2; ++h) {
            VU8 q = hn::LoadU(DU8(), bx[i].qs + 32 * h);
            for (int j = 0; j < 4; ++j) {
                const VU8 codes = hn::Or(hn::And(q, two_bits), hn::ShiftLeft<2>(hn::And(hm, one)));  // [0,7]
                q = hn::ShiftRight<2>(q);
                hm = hn::ShiftRight<1>(hm);
                sumi = hn::Add(sumi, ScaledDot16U8I8(codes, hn::LoadU(DI8(), by[i].qs + 128 * h + 32 * j), sc[8 * h + 2 * j],
                                                     sc[8 * h + 2 * j + 1]));
            }
        }
        const float d = HalfToFloat(bx[i].d) * by[i].d;
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), d), acc);
        offset_sum += d * static_cast<float>(4 * offset_dot);
    }
    *result = ReduceF32(acc) - offset_sum;
}

void VecDotIQ4_XS(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockIQ4_XS*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const auto table = hn::Combine(DI8(), hn::LoadU(hn::Full128<int8_t>(), kIq4nlValues), hn::LoadU(hn::Full128<int8_t>(), kIq4nlValues));
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        VI32 sumi = hn::Zero(DI32());
        for (int s = 0; s < 8; ++s) {
            const VI8 values = hn::TableLookupBytes(table, hn::BitCast(DI8(), NibblesOf16Bytes(bx[i].qs + 16 * s)));
            sumi = hn::Add(sumi, ScaledDotI8I8(values, hn::LoadU(DI8(), by[i].qs + 32 * s), static_cast<int16_t>(layout::iq4xs_scale(bx[i], s))));
        }
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), HalfToFloat(bx[i].d) * by[i].d), acc);
    }
    *result = ReduceF32(acc);
}

void VecDotTQ2_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockTQ2_0*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    const VU8 two_bits = hn::Set(DU8(), 3);
    VF32 acc = hn::Zero(DF32());
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        VI32 sumi = hn::Zero(DI32());
        for (int c = 0; c < 2; ++c) {
            VU8 q = hn::LoadU(DU8(), bx[i].qs + 32 * c);
            for (int l = 0; l < 4; ++l) {  // elements 128c + 32l + m
                sumi = hn::Add(sumi, DotU8I8(hn::And(q, two_bits), hn::LoadU(DI8(), by[i].qs + 128 * c + 32 * l)));
                q = hn::ShiftRight<2>(q);
            }
        }
        int ysum = 0;  // codes are stored +1
        for (int s = 0; s < 16; ++s) ysum += by[i].bsums[s];
        sumi = hn::Sub(sumi, hn::InsertLane(hn::Zero(DI32()), 0, ysum));
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), HalfToFloat(bx[i].d) * by[i].d), acc);
    }
    *result = ReduceF32(acc);
}

// TQ1_0 base-3 digits: digit d of byte b is ((uint8)(b * 3^d) * 3) >> 8 (layout::tq1_digit).
// Decodes digit d of 32 bytes into 32 int8 values digit - 1, with 16-bit vector arithmetic.
HWY_INLINE __m256i Tq1Digits(__m256i bytes, int16_t pow3) {
    const __m256i low_byte = _mm256_set1_epi16(0xFF), p = _mm256_set1_epi16(pow3), three = _mm256_set1_epi16(3);
    const __m256i even = _mm256_and_si256(bytes, low_byte), odd = _mm256_srli_epi16(bytes, 8);
    const __m256i de = _mm256_srli_epi16(_mm256_mullo_epi16(_mm256_and_si256(_mm256_mullo_epi16(even, p), low_byte), three), 8);
    const __m256i dodd = _mm256_srli_epi16(_mm256_mullo_epi16(_mm256_and_si256(_mm256_mullo_epi16(odd, p), low_byte), three), 8);
    return _mm256_sub_epi8(_mm256_or_si256(de, _mm256_slli_epi16(dodd, 8)), _mm256_set1_epi8(1));
}

// TQ1_0: values are decoded into an int8 array first (qs[0..31] -> elements 32d + m;
// qs[32..47] -> 160 + 16d + m; qh[0..3] -> 240 + 4d + j), then dotted like Q8_K.
void VecDotTQ1_0(int64_t n, float* result, const void* x, const void* y) {
    const auto* bx = static_cast<const BlockTQ1_0*>(x);
    const auto* by = static_cast<const BlockQ8_K*>(y);
    static constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
    VF32 acc = hn::Zero(DF32());
    alignas(32) int8_t values[kQK_K];
    alignas(32) uint8_t tail[32] = {};
    alignas(32) int8_t digits[32];
    for (int64_t i = 0; i < n / kQK_K; ++i) {
        const __m256i head = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bx[i].qs));
        std::memcpy(tail, bx[i].qs + 32, 16);
        std::memcpy(tail + 16, bx[i].qh, 4);
        const __m256i rest = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
        for (int d = 0; d < 5; ++d) {
            _mm256_store_si256(reinterpret_cast<__m256i*>(values + 32 * d), Tq1Digits(head, kPow3[d]));
            _mm256_store_si256(reinterpret_cast<__m256i*>(digits), Tq1Digits(rest, kPow3[d]));
            std::memcpy(values + 160 + 16 * d, digits, 16);
            if (d < 4) std::memcpy(values + 240 + 4 * d, digits + 16, 4);
        }
        VI32 sumi = hn::Zero(DI32());
        for (int k = 0; k < 8; ++k) sumi = hn::Add(sumi, DotI8I8(hn::Load(DI8(), values + 32 * k), hn::LoadU(DI8(), by[i].qs + 32 * k)));
        acc = hn::MulAdd(hn::ConvertTo(DF32(), sumi), hn::Set(DF32(), HalfToFloat(bx[i].d) * by[i].d), acc);
    }
    *result = ReduceF32(acc);
}
