#pragma once
// A load generator for `rocmforge serve` (rocmforge bench-serve): N clients at once, each sending
// streaming /v1/completions requests (token-id prompts, temperature 0 unless set, ignore_eos,
// max_tokens output tokens) one after another until the level's requests are done. Times come from the
// client side: TTFT = request sent → first chunk with text; inter-token latency = the gap between
// consecutive chunks with text (one token each in steady decode).
#include <cstdint>
#include <string>
#include <vector>

namespace rocmforge::server {

struct LoadOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string api_key;
    std::vector<std::vector<int32_t>> prompts;  // used in turn, one per request (not empty)
    int64_t max_tokens = 128;
    double temperature = 0.0;  // > 0: sampled (the server's default top-k, top-p, min-p), seed = request index
    int64_t concurrency = 1;
    int64_t requests = 4;  // requests in the level (>= concurrency)
    int timeout_s = 600;   // per request
};

struct LoadResult {
    int64_t concurrency = 0;
    int64_t requests = 0;
    int64_t errors = 0;               // requests that failed or returned fewer tokens than asked
    std::string first_error;
    int64_t prompt_tokens = 0;        // summed usage over successful requests
    int64_t output_tokens = 0;
    double wall_s = 0;                // first request sent → last one finished
    double output_tok_s = 0;          // output_tokens / wall_s
    double ttft_p50_s = 0, ttft_p99_s = 0;
    double itl_p50_s = 0, itl_p99_s = 0;
    double latency_p50_s = 0;         // request sent → finished
};

// Runs one level. Throws rocmforge::Error naming the option for invalid options.
LoadResult run_load(const LoadOptions& options);

// Nearest-rank percentile (p in [0, 100]) of values; 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace rocmforge::server
