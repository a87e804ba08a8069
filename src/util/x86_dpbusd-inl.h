// acc + the int32 lanes of sum over each 4 bytes j of a[j] * b[j] (a unsigned, b signed): vpdpbusd
// in its EVEX encoding (AVX512-VNNI + AVX512-VL), for Highway's AVX3_DL target.
//
// Not _mm256_dpbusd_epi32: Highway 1.0.3's AVX3_DL target string also enables AVX-VNNI, under which
// GCC and Clang emit that intrinsic's VEX form ({vex} vpdpbusd), an illegal instruction on CPUs
// with AVX512-VNNI but no AVX-VNNI (Intel Ice Lake, AMD Zen 4) that Highway's run-time check still
// gives AVX3_DL.
//
// No include guard: included once per Highway target, inside namespace HWY_NAMESPACE, by each file
// that needs it.
#if HWY_TARGET == HWY_AVX3_DL
HWY_INLINE __m256i DpbusdEvex(__m256i acc, __m256i a, __m256i b) {
    asm("%{evex%} vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(b));
    return acc;
}

// 512-bit form, b = the 4 bytes at p broadcast into every lane (folded into the instruction):
// acc + per lane sum over j < 4 of a[j] * p[j]. Inline assembly because Highway 1.0.3's AVX3_DL
// target string does not enable AVX512-VNNI for the intrinsic.
HWY_INLINE __m512i DpbusdBroadcast512(__m512i acc, __m512i a, const int8_t* p) {
    // The operand names the 4 bytes in place (a copy would make every token's instruction wait on
    // a store to one stack slot).
    asm("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(a), "m"(*reinterpret_cast<const int32_t*>(p)));
    return acc;
}
#endif
