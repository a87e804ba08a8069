#include "backend/gpu/gpu_check.h"

#include "util/error.h"

namespace rocmforge::backend::gpu {

void throw_gpu_error(const char* call, const char* message, const char* file, int line) {
    throw_error("gpu", "{} failed at {}:{}: {}", call, file, line, message);
}

}  // namespace rocmforge::backend::gpu
