#pragma once
// Error reporting of the GPU layer, callable from .cu files without pulling fmt into device
// compilation. Every runtime call goes through GPU_CHECK (common.cuh), which names file and line.
namespace rocmforge::backend::gpu {

// Throws rocmforge::Error("gpu", "<call> failed at <file>:<line>: <message>").
[[noreturn]] void throw_gpu_error(const char* call, const char* message, const char* file, int line);

}  // namespace rocmforge::backend::gpu
