#pragma once
// The one switch between vendors: ROCMFORGE_HIP selects HIP, otherwise CUDA. Nothing else in
// backend/gpu/ includes a vendor runtime header directly.
#if defined(ROCMFORGE_HIP)
#include "backend/gpu/vendor/hip.h"
#else
#include "backend/gpu/vendor/cuda.h"
#endif
