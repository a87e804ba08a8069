#pragma once
// Least-squares scale searches shared by the quantizers. All minimize the plain squared error
// sum((x - model)^2), which is the error the quality checks measure.
#include <cstdint>

namespace rocmforge::quant::search {

// Asymmetric fit x ≈ scale*q - min with integer q in [0, nmax], scale >= 0, min >= 0.
// Tries a grid of inverse scales around nmax/(max-min), fits (scale, min) by least squares for each
// code assignment, then refines by alternating code assignment and refit. Returns the squared error.
float fit_scale_min(const float* x, int n, int nmax, float* scale, float* min);

// Symmetric fit x ≈ scale*q with integer q in [-nneg, npos]; scale may be negative (the extreme
// value may land on either end of the range). Returns the squared error.
float fit_scale_symmetric(const float* x, int n, int nneg, int npos, float* scale);

// Codebook fit x ≈ scale*codebook[q] (16 sorted entries). Returns the squared error.
float fit_scale_codebook(const float* x, int n, const int8_t* codebook, float* scale);
// Index of the codebook entry nearest to v (codebook sorted ascending, 16 entries).
int nearest_codebook_index(const int8_t* codebook, float v);

}  // namespace rocmforge::quant::search
