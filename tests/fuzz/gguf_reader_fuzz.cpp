// libFuzzer target for the GGUF reader: any input must parse or throw rocmforge::Error.
// Build and run with scripts/fuzz-gguf.sh SECONDS.
#include "gguf/gguf_file.h"
#include "util/error.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto file = rocmforge::gguf::GgufFile::parse({data, size}, "fuzz.gguf");
        // Touch what a consumer touches: typed lookups and tensor extents.
        (void)file.parameter_count();
        (void)file.get_string("general.architecture");
        for (const auto& t : file.tensors()) {
            if (t.n_bytes > 0) {
                volatile uint8_t first = t.data[0];
                volatile uint8_t last = t.data[t.n_bytes - 1];
                (void)first;
                (void)last;
            }
        }
    } catch (const rocmforge::Error&) {
    }
    return 0;
}
