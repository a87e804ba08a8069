// The forward pass of each architecture in the table vs a naive double-precision transformer
// written here from the published model definitions (HF LlamaModel / Qwen2Model / Qwen3Model /
// Gemma2Model / Gemma3TextModel / Phi3Model / GlmModel / Mixtral / Qwen2Moe / Qwen3Moe), on small
// synthetic F32 models (make-model shapes tiny, tiny-qwen2, tiny-qwen3, tiny-gemma2, tiny-gemma3,
// tiny-phi3, tiny-chatglm, tiny-mixtral, tiny-qwen2moe, tiny-qwen3moe). This checks the
// per-architecture flags (QKV bias, per-head Q/K RMSNorm, NeoX vs normal RoPE, gemma's embedding
// scale, post-norms, GeGLU, soft-caps, sliding window on alternating layers, local rope base,
// fused QKV/gate-up, LongRoPE, partial rotary, expert routing) end to end; the llama path
// is also checked against other engines in tests/golden. Gemma's hyper-parameters are read from
// the GGUF keys here; which layers slide (gemma2: even layers, gemma3: 5 of every 6) and gemma3's
// local rope base 10000 come from the HF configs (sliding_window_pattern, rope_local_base_freq).
#include "gguf/gguf_file.h"
#include "common/test_model.h"
#include "engine/model_runner.h"
#include "model/model.h"
#include "model/synthetic_model.h"

#include "util/error.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

namespace rocmforge::model {
namespace {

using Vec = std::vector<double>;

struct Reference {
    const gguf::GgufFile& f;
    std::string arch;
    int64_t n_embd, n_heads, n_kv, head_dim, n_ff, n_vocab;
    double eps, base;
    bool gemma = arch == "gemma2" || arch == "gemma3";
    int64_t window = f.get_int(arch + ".attention.sliding_window").value_or(0);
    double attn_softcap = f.get_float(arch + ".attn_logit_softcapping").value_or(0.0);
    double final_softcap = f.get_float(arch + ".final_logit_softcapping").value_or(0.0);

    // phi3 (HF Phi3ForCausalLM): fused qkv_proj and gate_up_proj, LongRoPE: cos and sin times
    // attn_factor, inv_freq divided by the short or the long factors.
    int64_t original_context = f.get_int(arch + ".rope.scaling.original_context_length").value_or(0);
    double rope_attn_factor = f.get_float(arch + ".rope.scaling.attn_factor").value_or(1.0);
    // Experts (HF MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock, Qwen3MoeSparseMoeBlock): softmax
    // over the router logits, top k, renormalized for Mixtral and Qwen3-MoE (norm_topk_prob), not
    // for Qwen2-MoE, which adds sigmoid(shared_expert_gate · x) * shared_expert(x).
    int64_t n_expert = f.get_int(arch + ".expert_count").value_or(0);
    int64_t n_used = f.get_int(arch + ".expert_used_count").value_or(0);
    int64_t n_ff_exp = f.get_int(arch + ".expert_feed_forward_length").value_or(n_ff);
    int64_t n_ff_shexp = f.get_int(arch + ".expert_shared_feed_forward_length").value_or(n_ff);

    // down(silu(gate x) * up x) with matrices given as flat row-major slices.
    static Vec swiglu_ffn(const Vec& gate_w, const Vec& up_w, const Vec& down_w, const Vec& x, int64_t ff, int64_t n) {
        auto g = matvec(gate_w, x, ff);
        const auto u = matvec(up_w, x, ff);
        for (int64_t i = 0; i < ff; ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
        return matvec(down_w, g, n);
    }
    Vec moe(const std::string& p, const Vec& x) const {
        const auto logits = matvec(tensor(p + "ffn_gate_inp.weight"), x, n_expert);
        Vec prob(logits.size());
        double mx = -1e300, sum = 0;
        for (double l : logits) mx = std::max(mx, l);
        for (size_t e = 0; e < prob.size(); ++e) sum += (prob[e] = std::exp(logits[e] - mx));
        for (auto& pr : prob) pr /= sum;
        std::vector<int64_t> order(static_cast<size_t>(n_expert));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return prob[a] > prob[b]; });
        double selected = 0;
        for (int64_t i = 0; i < n_used; ++i) selected += prob[order[i]];
        const double norm = arch == "qwen2moe" ? 1.0 : selected;
        const auto gate = tensor(p + "ffn_gate_exps.weight"), up = tensor(p + "ffn_up_exps.weight"),
                   down = tensor(p + "ffn_down_exps.weight");
        const auto slice = [&](const Vec& all, int64_t e) {
            const auto size = static_cast<int64_t>(all.size()) / n_expert;
            return Vec(all.begin() + e * size, all.begin() + (e + 1) * size);
        };
        Vec out(static_cast<size_t>(n_embd), 0.0);
        for (int64_t i = 0; i < n_used; ++i) {
            const int64_t e = order[i];
            const auto y = swiglu_ffn(slice(gate, e), slice(up, e), slice(down, e), x, n_ff_exp, n_embd);
            for (int64_t j = 0; j < n_embd; ++j) out[j] += prob[e] / norm * y[j];
        }
        if (arch == "qwen2moe") {
            const auto y = swiglu_ffn(tensor(p + "ffn_gate_shexp.weight"), tensor(p + "ffn_up_shexp.weight"),
                                      tensor(p + "ffn_down_shexp.weight"), x, n_ff_shexp, n_embd);
            const double g = 1 / (1 + std::exp(-matvec(tensor(p + "ffn_gate_inp_shexp.weight"), x, 1)[0]));
            for (int64_t j = 0; j < n_embd; ++j) out[j] += g * y[j];
        }
        return out;
    }

    // Switches that remove one feature, to show the comparison can see it.
    bool ignore_window = false, ignore_long_factors = false;

    bool sliding(int64_t il) const {
        if (window == 0 || ignore_window) return false;
        if (arch == "phi3") return true;
        if (arch == "gemma2") return il % 2 == 0;
        if (arch == "gemma3") return (il + 1) % 6 != 0;
        return false;
    }
    static double softcap(double x, double cap) { return cap > 0 ? cap * std::tanh(x / cap) : x; }

    // F32 tensor as doubles; row r of a [cols, rows] matrix is at [r * cols].
    Vec tensor(const std::string& name) const {
        const auto* t = f.find_tensor(name);
        if (t == nullptr) return {};
        const auto* p = reinterpret_cast<const float*>(t->data);
        return Vec(p, p + t->n_elements);
    }
    static Vec matvec(const Vec& w, const Vec& x, int64_t rows) {
        const int64_t cols = static_cast<int64_t>(x.size());
        Vec y(static_cast<size_t>(rows), 0.0);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) y[r] += w[r * cols + c] * x[c];
        return y;
    }
    Vec rms_norm(const Vec& x, const Vec& w, size_t offset, size_t n) const {
        double ss = 0;
        for (size_t i = 0; i < n; ++i) ss += x[offset + i] * x[offset + i];
        const double s = 1.0 / std::sqrt(ss / n + eps);
        Vec y(n);
        for (size_t i = 0; i < n; ++i) y[i] = x[offset + i] * s * w[i];
        return y;
    }
    // HF rotate_half (NeoX: pairs i, i + d/2) for qwen; GGUF llama stores Q/K so that the
    // rotation applies to adjacent pairs (2i, 2i + 1).
    // GLM-4 (HF GlmForCausalLM) rotates the first n_rot dims of each head in adjacent pairs
    // (rotate_half on interleaved pairs); dims past n_rot pass through.
    int64_t n_rot = f.get_int(arch + ".rope.dimension_count").value_or(head_dim);
    void rope(Vec& v, size_t offset, int64_t pos, double rope_base, const Vec& factors) const {
        const bool neox = arch != "llama" && arch != "chatglm";
        const double m = original_context > 0 ? rope_attn_factor : 1.0;
        for (int64_t i = 0; i < n_rot / 2; ++i) {
            double theta = pos * std::pow(rope_base, -2.0 * i / n_rot);
            if (!factors.empty()) theta /= factors[i];
            const size_t a = offset + (neox ? i : 2 * i), b = offset + (neox ? i + n_rot / 2 : 2 * i + 1);
            const double x0 = v[a], x1 = v[b];
            v[a] = (x0 * std::cos(theta) - x1 * std::sin(theta)) * m;
            v[b] = (x0 * std::sin(theta) + x1 * std::cos(theta)) * m;
        }
    }

    // Logits [n_tokens][n_vocab]. seq_len_at[t]: the sequence length of the step that computed
    // token t (its chunk's end), which picks LongRoPE's factors as HF does (> original context:
    // long).
    std::vector<Vec> forward(const std::vector<int32_t>& tokens, int64_t n_layers,
                             const std::vector<int64_t>& seq_len_at) const {
        const auto embd = tensor("token_embd.weight");
        std::vector<Vec> x;
        for (int32_t t : tokens) x.emplace_back(embd.begin() + t * n_embd, embd.begin() + (t + 1) * n_embd);
        if (gemma)
            for (auto& row : x)
                for (auto& e : row) e *= std::sqrt(double(n_embd));
        const size_t n = tokens.size();
        for (int64_t il = 0; il < n_layers; ++il) {
            const std::string p = "blk." + std::to_string(il) + ".";
            const double layer_base = arch == "gemma3" && sliding(il) ? 10000.0 : base;
            std::vector<Vec> q(n), k(n), v(n);
            for (size_t t = 0; t < n; ++t) {
                const auto h = rms_norm(x[t], tensor(p + "attn_norm.weight"), 0, n_embd);
                if (arch == "phi3" || arch == "chatglm") {
                    auto qkv = matvec(tensor(p + "attn_qkv.weight"), h, (n_heads + 2 * n_kv) * head_dim);
                    if (arch == "chatglm") {
                        const auto bias = tensor(p + "attn_qkv.bias");
                        for (size_t i = 0; i < qkv.size(); ++i) qkv[i] += bias[i];
                    }
                    const auto at = [&](int64_t begin) { return qkv.begin() + begin * head_dim; };
                    q[t] = Vec(at(0), at(n_heads));
                    k[t] = Vec(at(n_heads), at(n_heads + n_kv));
                    v[t] = Vec(at(n_heads + n_kv), at(n_heads + 2 * n_kv));
                } else {
                    q[t] = matvec(tensor(p + "attn_q.weight"), h, n_heads * head_dim);
                    k[t] = matvec(tensor(p + "attn_k.weight"), h, n_kv * head_dim);
                    v[t] = matvec(tensor(p + "attn_v.weight"), h, n_kv * head_dim);
                }
                if (arch == "qwen2" || arch == "qwen2moe") {
                    const auto bq = tensor(p + "attn_q.bias"), bk = tensor(p + "attn_k.bias"), bv = tensor(p + "attn_v.bias");
                    for (size_t i = 0; i < q[t].size(); ++i) q[t][i] += bq[i];
                    for (size_t i = 0; i < k[t].size(); ++i) k[t][i] += bk[i], v[t][i] += bv[i];
                }
                if (arch == "qwen3" || arch == "gemma3" || arch == "qwen3moe") {
                    const auto qn = tensor(p + "attn_q_norm.weight"), kn = tensor(p + "attn_k_norm.weight");
                    for (int64_t hd = 0; hd < n_heads; ++hd) {
                        const auto y = rms_norm(q[t], qn, hd * head_dim, head_dim);
                        std::copy(y.begin(), y.end(), q[t].begin() + hd * head_dim);
                    }
                    for (int64_t hd = 0; hd < n_kv; ++hd) {
                        const auto y = rms_norm(k[t], kn, hd * head_dim, head_dim);
                        std::copy(y.begin(), y.end(), k[t].begin() + hd * head_dim);
                    }
                }
                Vec factors;
                if (original_context > 0)
                    factors = tensor(seq_len_at[t] > original_context && !ignore_long_factors ? "rope_factors_long.weight"
                                                                                              : "rope_factors_short.weight");
                for (int64_t hd = 0; hd < n_heads; ++hd)
                    rope(q[t], hd * head_dim, static_cast<int64_t>(t), layer_base, factors);
                for (int64_t hd = 0; hd < n_kv; ++hd)
                    rope(k[t], hd * head_dim, static_cast<int64_t>(t), layer_base, factors);
            }
            for (size_t t = 0; t < n; ++t) {
                Vec attn(static_cast<size_t>(n_heads * head_dim), 0.0);
                for (int64_t hd = 0; hd < n_heads; ++hd) {
                    const int64_t kvh = hd / (n_heads / n_kv);
                    // Keys s with t - s < window on sliding layers (HF sliding_window mask).
                    const size_t first = sliding(il) && t + 1 > size_t(window) ? t + 1 - size_t(window) : 0;
                    Vec w(t + 1, 0.0);
                    double mx = -1e300, sum = 0;
                    for (size_t s = first; s <= t; ++s) {
                        double d = 0;
                        for (int64_t i = 0; i < head_dim; ++i) d += q[t][hd * head_dim + i] * k[s][kvh * head_dim + i];
                        w[s] = softcap(d / std::sqrt(double(head_dim)), attn_softcap);
                        mx = std::max(mx, w[s]);
                    }
                    for (size_t s = first; s <= t; ++s) sum += (w[s] = std::exp(w[s] - mx));
                    for (size_t s = first; s <= t; ++s)
                        for (int64_t i = 0; i < head_dim; ++i) attn[hd * head_dim + i] += w[s] / sum * v[s][kvh * head_dim + i];
                }
                auto o = matvec(tensor(p + "attn_output.weight"), attn, n_embd);
                if (gemma) o = rms_norm(o, tensor(p + "post_attention_norm.weight"), 0, n_embd);
                for (int64_t i = 0; i < n_embd; ++i) x[t][i] += o[i];
                const auto h = rms_norm(x[t], tensor(p + "ffn_norm.weight"), 0, n_embd);
                if (n_expert > 0) {
                    const auto y = moe(p, h);
                    for (int64_t i = 0; i < n_embd; ++i) x[t][i] += y[i];
                    continue;
                }
                Vec g, u;
                if (arch == "phi3" || arch == "chatglm") {
                    const auto gate_up = matvec(tensor(p + "ffn_up.weight"), h, 2 * n_ff);
                    g = Vec(gate_up.begin(), gate_up.begin() + n_ff);
                    u = Vec(gate_up.begin() + n_ff, gate_up.end());
                } else {
                    g = matvec(tensor(p + "ffn_gate.weight"), h, n_ff);
                    u = matvec(tensor(p + "ffn_up.weight"), h, n_ff);
                }
                const double c = std::sqrt(2.0 / M_PI);
                for (int64_t i = 0; i < n_ff; ++i)
                    g[i] = (gemma ? 0.5 * g[i] * (1 + std::tanh(c * (g[i] + 0.044715 * g[i] * g[i] * g[i])))
                                  : g[i] / (1 + std::exp(-g[i]))) * u[i];
                auto d = matvec(tensor(p + "ffn_down.weight"), g, n_embd);
                if (gemma) d = rms_norm(d, tensor(p + "post_ffw_norm.weight"), 0, n_embd);
                for (int64_t i = 0; i < n_embd; ++i) x[t][i] += d[i];
            }
        }
        std::vector<Vec> logits;
        const auto output = f.find_tensor("output.weight") ? tensor("output.weight") : embd;  // tied
        for (size_t t = 0; t < n; ++t) {
            logits.push_back(matvec(output, rms_norm(x[t], tensor("output_norm.weight"), 0, n_embd), n_vocab));
            for (auto& e : logits.back()) e = softcap(e, final_softcap);
        }
        return logits;
    }
};

class ArchForwardTest : public testing::TestWithParam<std::string> {};

TEST_P(ArchForwardTest, MatchesNaiveReference) {
    const auto path = (std::filesystem::temp_directory_path() /
                       ("rocmforge_" + std::to_string(::getpid()) + "_" + GetParam() + ".gguf")).string();
    ThreadPool pool(2);
    SyntheticModelOptions options;
    options.shape = GetParam();
    options.type = gguf::GgmlType::F32;
    options.seed = 11;
    write_synthetic_model(options, path, pool);
    auto model = test::load_cpu_model(path);
    const auto& h = model->hparams();
    const Reference ref{model->file(), h.arch,     h.n_embd, h.n_heads, h.n_kv_heads, h.head_dim, h.n_ff,
                        h.n_vocab,     h.rms_eps,  h.rope_base};
    // 20 tokens: longer than the sliding windows (gemma 8, phi3 12) and phi3's original context (16).
    const std::vector<int32_t> tokens{1, 72, 101, 108, 108, 111, 33, 5, 200, 44, 17, 250, 9, 3, 120, 66, 101, 7, 88, 31};
    const auto rel_diff = [&](const std::vector<Vec>& a, const std::vector<Vec>& b) {
        double diff = 0, norm = 0;
        for (size_t t = 0; t < a.size(); ++t)
            for (size_t i = 0; i < a[t].size(); ++i) diff += (a[t][i] - b[t][i]) * (a[t][i] - b[t][i]), norm += b[t][i] * b[t][i];
        return std::sqrt(diff / norm);
    };

    // Whole prompt as one batch, then the same positions split into a prefix batch + single steps.
    for (int split : {0, 5, 13}) {
        std::vector<int64_t> seq_len_at(tokens.size());
        for (size_t t = 0; t < tokens.size(); ++t)
            seq_len_at[t] = split == 0 ? int64_t(tokens.size()) : (int(t) < split ? split : int64_t(t) + 1);
        const auto expected = ref.forward(tokens, h.n_layers, seq_len_at);
        // The features under test change the logits well beyond the tolerance (the test can fail).
        if (ref.window > 0) {
            auto no_window = ref;
            no_window.ignore_window = true;
            EXPECT_GT(rel_diff(no_window.forward(tokens, h.n_layers, seq_len_at), expected), 1e-4) << "window";
        }
        if (ref.original_context > 0 && split == 0) {
            auto short_only = ref;
            short_only.ignore_long_factors = true;
            EXPECT_GT(rel_diff(short_only.forward(tokens, h.n_layers, seq_len_at), expected), 1e-4) << "long factors";
        }
        engine::RunnerOptions ro;
        ro.n_ctx = 32;
        ro.max_logit_rows = 32;
        engine::ModelRunner runner(*model, ro);
        const int32_t seq = runner.kv().create_sequence();
        std::vector<float> logits, part;
        if (split == 0) {
            runner.eval(seq, tokens, backend::RowClass::Prefill, static_cast<int64_t>(tokens.size()), logits);
        } else {
            runner.eval(seq, std::span(tokens).first(split), backend::RowClass::Prefill, split, logits);
            for (size_t t = split; t < tokens.size(); ++t) {
                runner.eval(seq, std::span(tokens).subspan(t, 1), backend::RowClass::Decode, 1, part);
                logits.insert(logits.end(), part.begin(), part.end());
            }
        }
        double diff = 0, norm = 0;
        for (size_t t = 0; t < tokens.size(); ++t)
            for (int64_t i = 0; i < h.n_vocab; ++i) {
                const double e = expected[t][i], o = logits[t * h.n_vocab + i];
                diff += (o - e) * (o - e);
                norm += e * e;
            }
        EXPECT_LE(std::sqrt(diff / norm), 1e-5) << GetParam() << " split " << split;
    }
    std::filesystem::remove(path);
}

// Context sizing: the default is the training context unless memory says otherwise; a context
// whose KV cache cannot fit in memory is refused with an error naming -c, not a bad_alloc.
TEST(ModelContext, DefaultIsTrainingContextAndHugeContextsAreRefused) {
    const auto path = (std::filesystem::temp_directory_path() /
                       ("rocmforge_" + std::to_string(::getpid()) + "_ctx.gguf")).string();
    ThreadPool pool(1);
    SyntheticModelOptions options;
    options.shape = "tiny";
    options.type = gguf::GgmlType::F32;
    write_synthetic_model(options, path, pool);
    auto model = test::load_cpu_model(path, 1);
    engine::RunnerOptions ro;
    EXPECT_EQ(engine::ModelRunner(*model, ro).n_ctx(), model->hparams().n_ctx_train);
    try {
        ro.n_ctx = int64_t{1} << 40;
        engine::ModelRunner runner(*model, ro);
        ADD_FAILURE() << "expected an error for a 2^40-position context";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("-c: a context of 1099511627776 positions needs"), std::string::npos)
            << e.what();
    }
    std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Synthetic, ArchForwardTest, testing::Values("tiny", "tiny-qwen2", "tiny-qwen3", "tiny-gemma2", "tiny-gemma3",
                                                         "tiny-phi3", "tiny-chatglm", "tiny-mixtral", "tiny-qwen2moe", "tiny-qwen3moe"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (auto& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

// The finite check of a logits row: false for a NaN or an infinity anywhere (vector body or tail).
TEST(AllFinite, FlagsNanAndInfinityAnywhere) {
    std::vector<float> row(37, 1.5f);
    row[5] = -3.0e38f;
    EXPECT_TRUE(engine::all_finite(row));
    EXPECT_TRUE(engine::all_finite({}));
    for (const float bad : {std::nanf(""), INFINITY, -INFINITY})
        for (size_t i : {size_t{0}, size_t{17}, row.size() - 1}) {
            auto copy = row;
            copy[i] = bad;
            EXPECT_FALSE(engine::all_finite(copy)) << "value " << bad << " at " << i;
        }
}

}  // namespace
}  // namespace rocmforge::model
