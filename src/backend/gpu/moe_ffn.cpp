// GpuBackend::moe_ffn: the CPU op's algorithm (backend/cpu/moe.h) on the device. The router
// logits come to the host (one stream sync per MoE layer) and are routed there by route_token
// (backend/moe_routing.h), so the GPU picks exactly the CPU's experts and weights. Then per row
// class and expert: the rows routed to it are gathered, run through gate/up (one
// matmul_shared_input), swiglu and down with the existing GEMV (Decode) / GEMM (Prefill)
// launchers, and scattered to their (token, rank) slot; one kernel sums each token's slots in rank
// order plus the gated shared expert (its gate's logit by a per-row dot product kernel). A row's
// result depends only on its input and row class (batch invariance), as the matmul launchers
// guarantee per row.
#include "backend/gpu/gpu_backend.h"
#include "backend/gpu/moe_rows.cuh"
#include "util/error.h"

#include <algorithm>
#include <cassert>

namespace rocmforge::backend::gpu {
namespace {

float* f32_ptr(const tensor::Buffer& b) { return static_cast<float*>(b.data()); }
const float* f32_data(const tensor::Tensor& t) {
    assert(t.dtype == gguf::GgmlType::F32 && t.device == tensor::Device::Gpu && t.is_contiguous());
    return t.data_as<float>();
}

tensor::Tensor device_view(const tensor::Buffer& b, int64_t n, int64_t rows) {
    return tensor::make_tensor(gguf::GgmlType::F32, {n, rows, 1, 1}, b.data(), tensor::Device::Gpu);
}

}  // namespace

void GpuBackend::moe_ffn(const tensor::Tensor& x, const tensor::Tensor& router_logits, const MoeFfn& moe,
                         tensor::Tensor& out, std::span<const RowRun> runs) {
    const int64_t n_embd = x.ne[0], n_tokens = x.n_rows(), n_expert = router_logits.ne[0], k = moe.n_used;
    assert(k >= 1 && k <= n_expert && static_cast<int64_t>(moe.gate.size()) == n_expert);
    assert(router_logits.n_rows() == n_tokens && out.ne[0] == n_embd && out.n_rows() == n_tokens);
    if (n_tokens == 0) return;
    graphs_enabled_ = false;  // the host round trip of the routing cannot be recorded in a step graph
    forget_q8();
    MoeScratch& s = moe_scratch_;
    const int64_t n_ff = moe.gate[0].ne[1];

    // Routing on the host (copy_to_host waits for the logits).
    s.logits.resize(static_cast<size_t>(n_expert * n_tokens));
    copy_to_host(router_logits, s.logits.data());
    s.choices.resize(static_cast<size_t>(n_tokens * k));
    s.weights.resize(s.choices.size());
    for (int64_t t = 0; t < n_tokens; ++t)
        route_token(s.logits.data() + t * n_expert, n_expert, k, moe.norm_weights, s.choices.data() + t * k);
    for (size_t i = 0; i < s.choices.size(); ++i) s.weights[i] = s.choices[i].weight;
    s.row_class.assign(static_cast<size_t>(n_tokens), RowClass::Prefill);
    for (const auto& run : runs) std::fill_n(s.row_class.begin() + run.begin, run.count, run.row_class);

    // Slot lists per (row class, expert), concatenated; groups remember where theirs start.
    struct Group {
        int64_t expert, begin, count;
        RowClass row_class;
    };
    std::vector<Group> groups;
    s.slots.clear();
    for (const RowClass cls : {RowClass::Prefill, RowClass::Decode}) {
        for (int64_t e = 0; e < n_expert; ++e) {
            const auto begin = static_cast<int64_t>(s.slots.size());
            for (int64_t t = 0; t < n_tokens; ++t) {
                if (s.row_class[static_cast<size_t>(t)] != cls) continue;
                for (int64_t r = 0; r < k; ++r)
                    if (s.choices[static_cast<size_t>(t * k + r)].expert == e)
                        s.slots.push_back(static_cast<int32_t>(t * k + r));
            }
            const auto count = static_cast<int64_t>(s.slots.size()) - begin;
            if (count > 0) groups.push_back({e, begin, count, cls});
        }
    }
    // The host vectors stay untouched until the next call, which syncs before changing them.
    reserve(s.slots_dev, s.slots.size() * sizeof(int32_t));
    reserve(s.weights_dev, s.weights.size() * sizeof(float));
    copy_h2d_async(s.slots_dev.data(), s.slots.data(), s.slots.size() * sizeof(int32_t), stream_);
    copy_h2d_async(s.weights_dev.data(), s.weights.data(), s.weights.size() * sizeof(float), stream_);

    // An expert takes each token at most once: at most n_tokens rows per group.
    const auto floats = [](int64_t n) { return static_cast<size_t>(n) * sizeof(float); };
    reserve(s.x_rows, floats(n_embd * n_tokens));
    reserve(s.y_rows, floats(n_embd * n_tokens));
    reserve(s.gate, floats(n_ff * n_tokens));
    reserve(s.up, floats(n_ff * n_tokens));
    reserve(s.expert_out, floats(n_embd * n_tokens * k));
    const auto* slots_dev = static_cast<const int32_t*>(s.slots_dev.data());
    for (const Group& g : groups) {
        const auto e = static_cast<size_t>(g.expert);
        const int32_t* slots = slots_dev + g.begin;
        launch_moe_gather_rows(f32_data(x), n_embd, slots, k, g.count, f32_ptr(s.x_rows), stream_);
        const auto xg = device_view(s.x_rows, n_embd, g.count);
        auto gate = device_view(s.gate, n_ff, g.count), up = device_view(s.up, n_ff, g.count);
        auto y = device_view(s.y_rows, n_embd, g.count);
        const RowRun run{0, g.count, g.row_class};
        const MatmulTask tasks[] = {{&moe.gate[e], &gate}, {&moe.up[e], &up}};
        matmul_shared_input(tasks, xg, std::span<const RowRun>(&run, 1));
        swiglu(gate, up, gate);
        matmul(moe.down[e], gate, y, std::span<const RowRun>(&run, 1));
        launch_moe_scatter_rows(f32_ptr(s.y_rows), n_embd, slots, g.count, f32_ptr(s.expert_out), stream_);
    }

    // Shared expert (qwen2moe) over all rows by their runs, its sigmoid gate's logit alongside.
    const bool shared = moe.shared_gate != nullptr;
    if (shared) {
        const int64_t n_ff_sh = moe.shared_gate->ne[1];
        reserve(s.shared_gate, floats(n_ff_sh * n_tokens));
        reserve(s.shared_up, floats(n_ff_sh * n_tokens));
        reserve(s.shared_out, floats(n_embd * n_tokens));
        reserve(s.shared_score, floats(n_tokens));
        auto sg = device_view(s.shared_gate, n_ff_sh, n_tokens), su = device_view(s.shared_up, n_ff_sh, n_tokens);
        auto so = device_view(s.shared_out, n_embd, n_tokens);
        const MatmulTask tasks[] = {{moe.shared_gate, &sg}, {moe.shared_up, &su}};
        matmul_shared_input(tasks, x, runs);
        swiglu(sg, su, sg);
        matmul(*moe.shared_down, sg, so, runs);
        // Its gate's logit by a dot product per row: the GEMM of a one-column weight (cuBLAS) gives
        // a row different bits depending on the number of rows.
        if (moe.shared_gate_inp->dtype != gguf::GgmlType::F32 || moe.shared_gate_inp->ne[1] != 1)
            throw_error("gpu", "moe_ffn: the shared expert gate must be f32 [n_embd, 1], got {} [{}, {}]",
                        gguf::ggml_type_name(moe.shared_gate_inp->dtype), moe.shared_gate_inp->ne[0],
                        moe.shared_gate_inp->ne[1]);
        launch_moe_gate_score(f32_data(x), moe.shared_gate_inp->data_as<float>(), n_embd, n_tokens,
                              f32_ptr(s.shared_score), stream_);
    }
    launch_moe_combine(f32_ptr(s.expert_out), static_cast<const float*>(s.weights_dev.data()), k,
                       shared ? f32_ptr(s.shared_out) : nullptr, shared ? f32_ptr(s.shared_score) : nullptr, n_embd,
                       n_tokens, const_cast<float*>(f32_data(out)), stream_);
}

}  // namespace rocmforge::backend::gpu
