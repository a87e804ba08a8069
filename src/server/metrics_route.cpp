// GET /metrics: the engine's counters in the Prometheus text format (version 0.0.4).
#include "server/serving_context.h"

#include <httplib.h>

#include <fmt/format.h>

namespace rocmforge::server {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

void histogram(std::string& out, const char* name, const char* help, const engine::Histogram& h) {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    for (size_t i = 0; i < h.bounds.size(); ++i)
        out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, h.bounds[i], h.counts[i]);
    out +=
        fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, h.count, name, h.sum, name, h.count);
}

std::string render(const engine::ServingMetricsSnapshot& m) {
    std::string out;
    out += "# HELP rocmforge_requests_total Requests by final status.\n# TYPE rocmforge_requests_total counter\n";
    for (const char* status : {"stop", "eog", "length", "context", "cancelled", "error"}) {
        const auto it = m.requests_by_status.find(status);
        out += fmt::format("rocmforge_requests_total{{status=\"{}\"}} {}\n", status,
                           it == m.requests_by_status.end() ? 0 : it->second);
    }
    metric(out, "rocmforge_prompt_tokens_total", "counter", "Prompt tokens of finished requests.",
           static_cast<double>(m.prompt_tokens));
    metric(out, "rocmforge_generated_tokens_total", "counter", "Tokens generated.",
           static_cast<double>(m.generated_tokens));
    metric(out, "rocmforge_computed_tokens_total", "counter",
           "Tokens run through the model (recomputation included, prefix-cache hits not).",
           static_cast<double>(m.computed_tokens));
    metric(out, "rocmforge_steps_total", "counter", "Forward steps.", static_cast<double>(m.steps));
    metric(out, "rocmforge_requests_running", "gauge", "Requests with KV blocks.", static_cast<double>(m.running));
    metric(out, "rocmforge_requests_waiting", "gauge", "Requests waiting for a slot or blocks.",
           static_cast<double>(m.waiting));
    metric(out, "rocmforge_preemptions_total", "counter", "Requests preempted (blocks freed, recomputed later).",
           static_cast<double>(m.preemptions));
    metric(out, "rocmforge_kv_blocks_used", "gauge", "KV blocks referenced by requests.",
           static_cast<double>(m.kv_blocks_used));
    metric(out, "rocmforge_kv_blocks_total", "gauge", "KV blocks in the pool.", static_cast<double>(m.kv_blocks_total));
    metric(out, "rocmforge_prefix_cache_queries_total", "counter", "Full prompt blocks looked up in the prefix cache.",
           static_cast<double>(m.prefix_cache_queries));
    metric(out, "rocmforge_prefix_cache_hits_total", "counter", "Prompt blocks found in the prefix cache.",
           static_cast<double>(m.prefix_cache_hits));
    metric(out, "rocmforge_prefix_cache_hit_rate", "gauge", "Hits per query since start (0 before any query).",
           m.prefix_cache_queries == 0
               ? 0.0
               : static_cast<double>(m.prefix_cache_hits) / static_cast<double>(m.prefix_cache_queries));
    histogram(out, "rocmforge_time_to_first_token_seconds", "From submission to the first generated token.",
              m.time_to_first_token);
    histogram(out, "rocmforge_inter_token_latency_seconds", "Between consecutive generated tokens of a request.",
              m.inter_token_latency);
    histogram(out, "rocmforge_request_latency_seconds", "From submission to the end of a request.",
              m.end_to_end_latency);
    return out;
}

}  // namespace

void add_metrics_route(httplib::Server& server, RouteContext& routes) {
    server.Get("/metrics", [&routes](const httplib::Request&, httplib::Response& res) {
        RouteContext::guard(res, [&] {
            res.set_content(render(routes.get().engine.metrics()), "text/plain; version=0.0.4; charset=utf-8");
        });
    });
}

}  // namespace rocmforge::server
