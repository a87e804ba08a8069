#include "engine/backend_select.h"

#include "backend/cpu/cpu_backend.h"

namespace rocmforge::engine {

std::unique_ptr<backend::Backend> make_backend(int n_threads) {
    return std::make_unique<backend::cpu::CpuBackend>(n_threads);
}

}  // namespace rocmforge::engine
