#pragma once
// The backend a command runs on. Today the CPU backend; the GPU backend plugs in here.
#include "backend/backend.h"

#include <memory>

namespace rocmforge::engine {

// n_threads < 1: all hardware threads.
std::unique_ptr<backend::Backend> make_backend(int n_threads);

}  // namespace rocmforge::engine
