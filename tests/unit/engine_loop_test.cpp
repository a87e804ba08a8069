// The serving engine on wp-25M Q8_0: concurrent greedy requests get exactly the tokens
// engine::generate gives each alone (also when a tiny KV pool forces preemptions), cancellation
// returns the pool to idle, and a bad request is refused naming the field.
#include "common/test_model.h"
#include "common/test_paths.h"
#include "engine/engine_loop.h"
#include "engine/tokenizer_text.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace rocmforge::engine {
namespace {

using namespace std::chrono_literals;

struct Fixture {
    test::TestModel model;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
    std::unique_ptr<TokenizerText> text;
};

Fixture load() {
    Fixture f;
    f.model = test::load_cpu_model(test::shared_file("models/wp-25M-Q8_0.gguf").string());
    f.tokenizer = tokenizer::Tokenizer::from_gguf(f.model->file());
    f.text = std::make_unique<TokenizerText>(*f.tokenizer);
    return f;
}

// n prompts cut from wp-val.txt, of about 5 to 60 tokens.
std::vector<std::vector<int32_t>> prompts(const Fixture& f, int n) {
    const std::string val = test::read_file_bytes(test::shared_file("models/wp-val.txt"));
    std::vector<std::vector<int32_t>> out;
    size_t at = 0;
    for (int i = 0; i < n; ++i) {
        at = val.find(' ', at + 611) + 1;
        const size_t end = val.find(' ', at + 20 + static_cast<size_t>((i * 53) % 240));
        out.push_back(f.tokenizer->encode(val.substr(at, end - at), true, false));
    }
    return out;
}

GenerationOptions greedy(int64_t max_tokens) {
    GenerationOptions o;
    o.max_tokens = max_tokens;
    o.sampler.temperature = 0.0f;
    return o;
}

// Tokens of each prompt generated alone: one sequence on a fresh runner (generator.h).
std::vector<std::vector<int32_t>> alone(const Fixture& f, const std::vector<std::vector<int32_t>>& ps,
                                        const GenerationOptions& o) {
    std::vector<std::vector<int32_t>> out;
    for (const auto& p : ps) {
        RunnerOptions ro;
        ro.n_ctx = 512;
        ModelRunner runner(*f.model, ro);
        out.push_back(generate(runner, runner.kv().create_sequence(), p, o, *f.text, nullptr).tokens);
    }
    return out;
}

// Submits every prompt at once and collects each request's tokens from its event stream.
std::vector<std::vector<int32_t>> served(EngineLoop& engine, const std::vector<std::vector<int32_t>>& ps,
                                         const GenerationOptions& o) {
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (const auto& p : ps) handles.push_back(engine.submit({p, o}));
    std::vector<std::vector<int32_t>> out;
    for (auto& h : handles) {
        std::vector<int32_t> tokens;
        std::string text;
        bool finished = false;
        const auto deadline = std::chrono::steady_clock::now() + 120s;
        while (!finished && std::chrono::steady_clock::now() < deadline) {
            const auto e = h->next_event(1000ms);
            if (!e) continue;
            if (e->kind == RequestEvent::Kind::Tokens) {
                tokens.insert(tokens.end(), e->tokens.begin(), e->tokens.end());
                text += e->text;
            }
            EXPECT_NE(e->kind, RequestEvent::Kind::Error) << e->error;
            finished = e->kind != RequestEvent::Kind::Tokens;
        }
        EXPECT_TRUE(finished) << "request " << h->id() << " did not finish in time";
        EXPECT_EQ(h->snapshot().text, text);
        out.push_back(tokens);
    }
    return out;
}

TEST(EngineLoop, ThirtyTwoConcurrentGreedyRequestsEqualGenerateAlone) {
    const auto f = load();
    const auto ps = prompts(f, 32);
    const auto o = greedy(16);
    const auto expected = alone(f, ps, o);
    EngineOptions eo;
    eo.runner.n_ctx = 512;
    eo.runner.max_sequences = 32;
    eo.runner.batch_tokens = 256;  // prompts are cut into chunks and mixed with decode tokens
    EngineLoop engine(*f.model, *f.text, eo);
    const auto got = served(engine, ps, o);
    for (size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "prompt " << i;
    const auto m = engine.metrics();
    EXPECT_EQ(m.requests_by_status.at("length"), 32u);
    EXPECT_EQ(m.generated_tokens, 32u * 16u);
}

TEST(EngineLoop, TinyKvPoolPreemptsAndStillGivesTheTokensAlone) {
    const auto f = load();
    const auto ps = prompts(f, 12);
    const auto o = greedy(40);
    const auto expected = alone(f, ps, o);
    EngineOptions eo;
    eo.runner.n_ctx = 512;
    eo.runner.max_sequences = 12;
    eo.runner.kv_size = 160;  // 10 blocks of 16: about two requests' worth
    eo.runner.batch_tokens = 64;
    EngineLoop engine(*f.model, *f.text, eo);
    const auto got = served(engine, ps, o);
    for (size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "prompt " << i;
    const auto m = engine.metrics();
    EXPECT_GT(m.preemptions, 0u);
    EXPECT_EQ(m.requests_by_status.at("length"), 12u);
}

// Polls the metrics until the engine thread has published its gauges after the last event.
int64_t kv_blocks_used_when_settled(const EngineLoop& engine) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    auto m = engine.metrics();
    while ((m.kv_blocks_used != 0 || m.running != 0 || m.waiting != 0) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        m = engine.metrics();
    }
    return m.kv_blocks_used;
}

TEST(EngineLoop, CancelFreesBlocksAndTheEngineKeepsServing) {
    const auto f = load();
    const auto ps = prompts(f, 8);
    EngineOptions eo;
    eo.runner.n_ctx = 512;
    eo.runner.max_sequences = 4;  // four run, four wait
    EngineLoop engine(*f.model, *f.text, eo);
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (const auto& p : ps) handles.push_back(engine.submit({p, greedy(400)}));
    // Wait until the first request streams, then cancel everything (running and waiting).
    ASSERT_TRUE(handles[0]->next_event(60s).has_value());
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (engine.metrics().kv_blocks_used == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    EXPECT_GT(engine.metrics().kv_blocks_used, 0);
    for (auto& h : handles) engine.cancel(*h);
    for (auto& h : handles) {
        const auto s = h->wait();
        EXPECT_EQ(s.state, "cancelled");
        EXPECT_EQ(s.finish_reason, "cancelled");
    }
    EXPECT_EQ(kv_blocks_used_when_settled(engine), 0);
    EXPECT_EQ(engine.metrics().requests_by_status.at("cancelled"), 8u);
    // Still serving, with the same tokens as alone.
    const std::vector<std::vector<int32_t>> one = {ps[3]};
    EXPECT_EQ(served(engine, one, greedy(8)), alone(f, one, greedy(8)));
}

TEST(EngineLoop, RefusesRequestsThatCanNeverRunNamingTheField) {
    const auto f = load();
    EngineOptions eo;
    eo.runner.n_ctx = 64;
    eo.max_queue = 1;
    EngineLoop engine(*f.model, *f.text, eo);
    const auto error_context = [&](RequestParams p) {
        try {
            engine.submit(std::move(p));
        } catch (const Error& e) {
            return e.context();
        }
        return std::string("accepted");
    };
    EXPECT_EQ(error_context({{}, greedy(4)}), "prompt");
    EXPECT_EQ(error_context({std::vector<int32_t>(65, 100), greedy(4)}), "prompt");
    EXPECT_EQ(error_context({{1, 40000}, greedy(4)}), "prompt");
    EXPECT_EQ(error_context({{1, 100}, greedy(-1)}), "max_tokens");
    auto h = engine.submit({{1, 100}, greedy(2)});  // a prompt of exactly 64 would also be fine
    EXPECT_EQ(h->wait().finish_reason, "length");
    EXPECT_EQ(h->snapshot().tokens.size(), 2u);
}

// Logprobs ride along with the tokens: one entry per generated token, for the token generated,
// greedy picks the first alternative, and a request that did not ask gets none.
TEST(EngineLoop, LogprobsFollowEveryTokenOnlyWhenAsked) {
    const auto f = load();
    const auto ps = prompts(f, 3);
    EngineOptions eo;
    eo.runner.n_ctx = 256;
    eo.runner.max_sequences = 3;
    EngineLoop engine(*f.model, *f.text, eo);
    RequestParams greedy_lp{ps[0], greedy(6)};
    greedy_lp.top_logprobs = 4;
    RequestParams sampled_lp{ps[1], greedy(6)};
    sampled_lp.options.sampler.temperature = 1.5f;
    sampled_lp.options.sampler.top_k = 0;
    sampled_lp.options.sampler.seed = 7;
    sampled_lp.top_logprobs = 0;
    auto a = engine.submit(greedy_lp);
    auto b = engine.submit(sampled_lp);
    auto c = engine.submit({ps[2], greedy(6)});
    const auto sa = a->wait(), sb = b->wait(), sc = c->wait();
    ASSERT_EQ(sa.logprobs.size(), sa.tokens.size());
    ASSERT_EQ(sb.logprobs.size(), sb.tokens.size());
    EXPECT_TRUE(sc.logprobs.empty());
    for (size_t i = 0; i < sa.tokens.size(); ++i) {
        const auto& lp = sa.logprobs[i];
        EXPECT_EQ(lp.chosen.token, sa.tokens[i]);
        ASSERT_EQ(lp.top.size(), 4u);
        EXPECT_EQ(lp.top[0].token, lp.chosen.token);
        EXPECT_EQ(lp.top[0].logprob, lp.chosen.logprob);
        for (size_t k = 1; k < 4; ++k) EXPECT_LE(lp.top[k].logprob, lp.top[k - 1].logprob);
    }
    for (size_t i = 0; i < sb.tokens.size(); ++i) {
        EXPECT_EQ(sb.logprobs[i].chosen.token, sb.tokens[i]);
        EXPECT_LE(sb.logprobs[i].chosen.logprob, 0.0f);
        EXPECT_TRUE(sb.logprobs[i].top.empty());
    }
    RequestParams too_many{ps[0], greedy(1)};
    too_many.top_logprobs = 21;
    EXPECT_THROW(engine.submit(too_many), Error);
}

}  // namespace
}  // namespace rocmforge::engine
