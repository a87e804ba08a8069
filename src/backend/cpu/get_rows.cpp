#include "backend/cpu/get_rows.h"

#include "backend/cpu/dequantize_row.h"
#include "util/error.h"

namespace rocmforge::backend::cpu {

void get_rows(const tensor::Tensor& table, const int32_t* ids, int64_t n_ids, float* out) {
    for (int64_t t = 0; t < n_ids; ++t) {
        if (ids[t] < 0 || ids[t] >= table.ne[1])
            throw_error("get_rows", "token id {} is outside the vocabulary [0, {})", ids[t], table.ne[1]);
        dequantize_row(table, ids[t], out + t * table.ne[0]);
    }
}

}  // namespace rocmforge::backend::cpu
