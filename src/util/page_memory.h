#pragma once
// Page-level memory control for large read-mostly buffers (weights).
#include <cstddef>

namespace rocmforge {

// `bytes` of memory aligned to 2 MiB and advised as transparent-huge-page backed (MADV_HUGEPAGE,
// where the kernel allows it: fewer TLB misses when streaming gigabytes). Free with std::free.
// Throws rocmforge::Error when the memory is not available.
void* allocate_huge_page_aligned(size_t bytes);

// Advises the whole 2 MiB pages inside [data, data + bytes) as transparent-huge-page backed, so
// their first touch faults in one huge page instead of 512 small ones (a KV pool written for the
// first time during generation). Advice only: without THP nothing changes.
void advise_huge_pages(void* data, size_t bytes);

// Commits the pages of [data, data + bytes) of anonymous memory now (MADV_POPULATE_WRITE: each
// missing page is faulted in zeroed, pages already present keep their contents), so that later
// first writes do not stop on page faults. Best effort: a kernel without it (before Linux 5.14)
// leaves the pages to be faulted in on first touch.
void populate_pages(void* data, size_t bytes);

// Drops this process's pages of [data, data + bytes) of a read-only file mapping (MADV_DONTNEED on
// the whole pages inside the range): the memory is given back, and a later read faults the file
// contents in again. Use when a copy of the range replaces it.
void release_mapped_pages(const void* data, size_t bytes);

}  // namespace rocmforge
