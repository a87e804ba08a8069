// The forward pass of each architecture in the table vs a naive double-precision transformer
// written here from the published model definitions (HF LlamaModel / Qwen2Model / Qwen3Model),
// on small synthetic F32 models (make-model shapes tiny, tiny-qwen2, tiny-qwen3). This checks the
// per-architecture flags (QKV bias, per-head Q/K RMSNorm, NeoX vs normal RoPE) end to end; the
// llama path is also checked against other engines in tests/golden.
#include "gguf/gguf_file.h"
#include "common/test_model.h"
#include "engine/model_runner.h"
#include "model/model.h"
#include "model/synthetic_model.h"

#include "util/error.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

namespace rocmforge::model {
namespace {

using Vec = std::vector<double>;

struct Reference {
    const gguf::GgufFile& f;
    std::string arch;
    int64_t n_embd, n_heads, n_kv, head_dim, n_ff, n_vocab;
    double eps, base;

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
    void rope(Vec& v, size_t offset, int64_t pos) const {
        const bool neox = arch != "llama";
        for (int64_t i = 0; i < head_dim / 2; ++i) {
            const double theta = pos * std::pow(base, -2.0 * i / head_dim);
            const size_t a = offset + (neox ? i : 2 * i), b = offset + (neox ? i + head_dim / 2 : 2 * i + 1);
            const double x0 = v[a], x1 = v[b];
            v[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
            v[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
        }
    }

    // Logits [n_tokens][n_vocab].
    std::vector<Vec> forward(const std::vector<int32_t>& tokens, int64_t n_layers) const {
        const auto embd = tensor("token_embd.weight");
        std::vector<Vec> x;
        for (int32_t t : tokens) x.emplace_back(embd.begin() + t * n_embd, embd.begin() + (t + 1) * n_embd);
        const size_t n = tokens.size();
        for (int64_t il = 0; il < n_layers; ++il) {
            const std::string p = "blk." + std::to_string(il) + ".";
            std::vector<Vec> q(n), k(n), v(n);
            for (size_t t = 0; t < n; ++t) {
                const auto h = rms_norm(x[t], tensor(p + "attn_norm.weight"), 0, n_embd);
                q[t] = matvec(tensor(p + "attn_q.weight"), h, n_heads * head_dim);
                k[t] = matvec(tensor(p + "attn_k.weight"), h, n_kv * head_dim);
                v[t] = matvec(tensor(p + "attn_v.weight"), h, n_kv * head_dim);
                if (arch == "qwen2") {
                    const auto bq = tensor(p + "attn_q.bias"), bk = tensor(p + "attn_k.bias"), bv = tensor(p + "attn_v.bias");
                    for (size_t i = 0; i < q[t].size(); ++i) q[t][i] += bq[i];
                    for (size_t i = 0; i < k[t].size(); ++i) k[t][i] += bk[i], v[t][i] += bv[i];
                }
                if (arch == "qwen3") {
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
                for (int64_t hd = 0; hd < n_heads; ++hd) rope(q[t], hd * head_dim, static_cast<int64_t>(t));
                for (int64_t hd = 0; hd < n_kv; ++hd) rope(k[t], hd * head_dim, static_cast<int64_t>(t));
            }
            for (size_t t = 0; t < n; ++t) {
                Vec attn(static_cast<size_t>(n_heads * head_dim), 0.0);
                for (int64_t hd = 0; hd < n_heads; ++hd) {
                    const int64_t kvh = hd / (n_heads / n_kv);
                    Vec w(t + 1);
                    double mx = -1e300, sum = 0;
                    for (size_t s = 0; s <= t; ++s) {
                        double d = 0;
                        for (int64_t i = 0; i < head_dim; ++i) d += q[t][hd * head_dim + i] * k[s][kvh * head_dim + i];
                        w[s] = d / std::sqrt(double(head_dim));
                        mx = std::max(mx, w[s]);
                    }
                    for (auto& e : w) sum += (e = std::exp(e - mx));
                    for (size_t s = 0; s <= t; ++s)
                        for (int64_t i = 0; i < head_dim; ++i) attn[hd * head_dim + i] += w[s] / sum * v[s][kvh * head_dim + i];
                }
                const auto o = matvec(tensor(p + "attn_output.weight"), attn, n_embd);
                for (int64_t i = 0; i < n_embd; ++i) x[t][i] += o[i];
                const auto h = rms_norm(x[t], tensor(p + "ffn_norm.weight"), 0, n_embd);
                auto g = matvec(tensor(p + "ffn_gate.weight"), h, n_ff);
                const auto u = matvec(tensor(p + "ffn_up.weight"), h, n_ff);
                for (int64_t i = 0; i < n_ff; ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
                const auto d = matvec(tensor(p + "ffn_down.weight"), g, n_embd);
                for (int64_t i = 0; i < n_embd; ++i) x[t][i] += d[i];
            }
        }
        std::vector<Vec> logits;
        for (size_t t = 0; t < n; ++t)
            logits.push_back(matvec(tensor("output.weight"), rms_norm(x[t], tensor("output_norm.weight"), 0, n_embd), n_vocab));
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
    const std::vector<int32_t> tokens{1, 72, 101, 108, 108, 111, 33, 5, 200};
    const auto expected = ref.forward(tokens, h.n_layers);

    // Whole prompt as one batch, then the same positions split into a prefix batch + single steps.
    for (int split : {0, 5}) {
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

INSTANTIATE_TEST_SUITE_P(Synthetic, ArchForwardTest, testing::Values("tiny", "tiny-qwen2", "tiny-qwen3"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (auto& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

}  // namespace
}  // namespace rocmforge::model
