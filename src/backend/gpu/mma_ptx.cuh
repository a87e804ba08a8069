#pragma once
// NVIDIA sm_80+ warp-level PTX shared by the tensor-core kernels: cp.async copies to shared memory,
// ldmatrix fragment loads and mma.sync. CUDA only (HIP builds never include it). Fragment layouts
// are the PTX ISA's; g = lane / 4, q = lane % 4 below. The host launches these kernels only on
// sm_80 and newer (gemv_tensor_cores); other archs compile a trap.
#include "backend/gpu/common.cuh"

#if defined(ROCMFORGE_HIP)
#error "mma_ptx.cuh is NVIDIA PTX: HIP builds must not include it"
#endif

#include <cstdint>

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
#define ROCMFORGE_MMA_PTX 1
#endif

namespace rocmforge::backend::gpu {

__device__ __forceinline__ uint32_t shared_address(const void* p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
// 16 bytes global -> shared without registers. PRECOND: both 16-byte aligned. Shared memory by
// shared_address (or, for 16 bytes, by pointer).
__device__ __forceinline__ void copy_async_16(uint32_t shared, const void* global) {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(shared), "l"(global) : "memory");
#else
    __trap();
#endif
}
__device__ __forceinline__ void copy_async_16(void* shared, const void* global) {
    copy_async_16(shared_address(shared), global);
}
__device__ __forceinline__ void copy_async_4(uint32_t shared, const void* global) {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"(shared), "l"(global) : "memory");
#else
    __trap();
#endif
}
__device__ __forceinline__ void copy_async_commit() {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("cp.async.commit_group;" ::: "memory");
#endif
}
// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void copy_async_wait() {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
#endif
}

// Four 8x8 matrices of 16-bit elements (8 rows of 16 bytes each); lane i gives the address of row
// i % 8 of matrix i / 8, and r[m] holds bytes 4q .. 4q + 3 of row g of matrix m.
__device__ __forceinline__ void load_matrix_x4(uint32_t (&r)[4], uint32_t row) {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(row) : "memory");
#else
    __trap();
#endif
}
__device__ __forceinline__ void load_matrix_x4(uint32_t (&r)[4], const void* row) { load_matrix_x4(r, shared_address(row)); }
// Two 8x8 matrices: lanes 0..15 give the row addresses (lane i: row i % 8 of matrix i / 8; the
// other lanes' addresses are not read); r[m] as for load_matrix_x4.
__device__ __forceinline__ void load_matrix_x2(uint32_t (&r)[2], uint32_t row) {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];"
                 : "=r"(r[0]), "=r"(r[1])
                 : "r"(row) : "memory");
#else
    __trap();
#endif
}
// The same four matrices transposed: r[m] holds elements (row 2q, column g) and (row 2q + 1,
// column g) of matrix m.
__device__ __forceinline__ void load_matrix_x4_trans(uint32_t (&r)[4], const void* row) {
#if defined(ROCMFORGE_MMA_PTX)
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(shared_address(row)) : "memory");
#else
    __trap();
#endif
}

// d = c + a · b for one 16x32 int8 tile of weights (row-major) and a 32x8 int8 tile of activations
// (column-major), int32 c and d (m16n8k32):
// a[0] row g, bytes 4q..4q+3; a[1] row g + 8, same bytes; a[2], a[3] the same rows, bytes 16 + 4q..;
// b[0] token g, bytes 4q..; b[1] token g, bytes 16 + 4q..; c[0], c[1] (and d) row g, tokens 2q,
// 2q + 1; c[2], c[3] row g + 8, same tokens.
__device__ __forceinline__ void mma_s8(int (&d)[4], const int (&a)[4], uint32_t b0, uint32_t b1, const int (&c)[4]) {
#if defined(ROCMFORGE_MMA_PTX)
    asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};"
        : "=r"(d[0]), "=r"(d[1]), "=r"(d[2]), "=r"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "r"(c[0]), "r"(c[1]), "r"(c[2]), "r"(c[3]));
#else
    __trap();
#endif
}

// d += a · b for a 16x16 f16 tile a (row-major) and a 16x8 f16 tile b (column-major), f32 d
// (m16n8k16); each register holds two f16, the lower column (a) or row (b) in the low half:
// a[0] row g, columns 2q, 2q + 1; a[1] row g + 8, same columns; a[2], a[3] the same rows, columns
// 8 + 2q, 9 + 2q; b0 column g, rows 2q, 2q + 1; b1 column g, rows 8 + 2q, 9 + 2q; d[0], d[1] row g,
// columns 2q, 2q + 1; d[2], d[3] row g + 8, same columns.
__device__ __forceinline__ void mma_f16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
#if defined(ROCMFORGE_MMA_PTX)
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#else
    __trap();
#endif
}

}  // namespace rocmforge::backend::gpu
