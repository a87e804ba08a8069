// The online scheduler as plain data over a real KvCacheManager (no model): budget order,
// admission limits, preemption of the newest request and the row classes of a recompute.
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <numeric>

namespace rocmforge::engine {
namespace {

using backend::RowClass;

std::vector<int32_t> prompt_of(int64_t n, int32_t first) {
    std::vector<int32_t> p(static_cast<size_t>(n));
    std::iota(p.begin(), p.end(), first);
    return p;
}

// Runs a plan the way ModelRunner::step does for the KV bookkeeping (reserve, then append),
// then reports it and appends `next_token` to every request whose chunk ended at its last token.
void run_plan(kv::KvCacheManager& kv, Scheduler& s, const StepPlan& plan, int32_t next_token = 7) {
    std::vector<kv::BlockCopy> copies;
    for (const auto& c : plan.chunks) ASSERT_TRUE(kv.reserve(c.seq, c.n, copies)) << "request " << c.request;
    for (const auto& c : plan.chunks)
        kv.append(c.seq, s.tokens(c.request).subspan(static_cast<size_t>(c.begin), static_cast<size_t>(c.n)));
    s.step_done(plan);
    for (const auto& c : plan.chunks)
        if (c.n_logits == 1) s.append_token(c.request, next_token);
}

TEST(Scheduler, DecodeTokensFirstThenPromptChunksWithinBudget) {
    kv::KvCacheManager kv(64, 4, false);
    Scheduler s(kv, {/*max_running=*/4, /*batch_tokens=*/10});
    s.add(1, prompt_of(6, 100));
    auto plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 1u);
    EXPECT_EQ(plan.chunks[0].row_class, RowClass::Prefill);
    EXPECT_EQ(plan.chunks[0].n, 6);
    EXPECT_EQ(plan.chunks[0].n_logits, 1);
    run_plan(kv, s, plan);

    s.add(2, prompt_of(20, 200));
    plan = s.schedule();
    // Request 1's sampled token first (Decode), then 9 tokens of request 2's prompt (no logits).
    ASSERT_EQ(plan.chunks.size(), 2u);
    EXPECT_EQ(plan.chunks[0].request, 1u);
    EXPECT_EQ(plan.chunks[0].row_class, RowClass::Decode);
    EXPECT_EQ(plan.chunks[0].begin, 6);
    EXPECT_EQ(plan.chunks[0].n, 1);
    EXPECT_EQ(plan.chunks[1].request, 2u);
    EXPECT_EQ(plan.chunks[1].row_class, RowClass::Prefill);
    EXPECT_EQ(plan.chunks[1].n, 9);
    EXPECT_EQ(plan.chunks[1].n_logits, 0);
    EXPECT_EQ(plan.n_tokens(), 10);
    // Every chunk carries its request's prompt length (LongRoPE's factor choice).
    EXPECT_EQ(plan.chunks[0].prompt_length, 6);
    EXPECT_EQ(plan.chunks[1].prompt_length, 20);
    run_plan(kv, s, plan);
    plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 2u);
    EXPECT_EQ(plan.chunks[1].begin, 9);
    EXPECT_EQ(plan.chunks[1].n, 9);
    run_plan(kv, s, plan);
    plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 2u);
    EXPECT_EQ(plan.chunks[1].n, 2);
    EXPECT_EQ(plan.chunks[1].n_logits, 1);
}

TEST(Scheduler, AdmissionStopsAtParallelAndWhenBlocksRunOut) {
    kv::KvCacheManager kv(6, 4, false);  // 24 positions
    Scheduler s(kv, {/*max_running=*/2, /*batch_tokens=*/100});
    for (uint64_t id = 1; id <= 3; ++id) s.add(id, prompt_of(8, static_cast<int32_t>(id * 100)));
    auto plan = s.schedule();
    EXPECT_EQ(plan.chunks.size(), 2u);  // the slot limit
    EXPECT_EQ(s.n_running(), 2);
    EXPECT_EQ(s.n_waiting(), 1);
    run_plan(kv, s, plan);
    s.remove(2);  // frees its 2 blocks at once
    EXPECT_EQ(kv.pool().n_free(), 4);
    s.add(4, prompt_of(30, 400));
    plan = s.schedule();
    // Request 1 decodes (1 new block), request 3 is admitted whole (2 blocks); request 4 waits
    // for a slot.
    ASSERT_EQ(plan.chunks.size(), 2u);
    EXPECT_EQ(plan.chunks[1].request, 3u);
    run_plan(kv, s, plan);
    EXPECT_EQ(s.n_waiting(), 1);  // 4 waits: the slots are taken
}

TEST(Scheduler, PreemptsNewestAndRecomputesPromptAsPrefillAndGeneratedAsDecode) {
    kv::KvCacheManager kv(5, 4, false);  // 20 positions
    Scheduler s(kv, {/*max_running=*/2, /*batch_tokens=*/64});
    s.add(1, prompt_of(7, 100));
    s.add(2, prompt_of(7, 200));
    auto plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 2u);  // 2 + 2 blocks, one left
    run_plan(kv, s, plan);
    // Both decode position 7, which is still in their second block.
    plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 2u);
    EXPECT_TRUE(plan.preempted.empty());
    run_plan(kv, s, plan);  // both hold 8 positions = 2 full blocks; 1 block free
    plan = s.schedule();    // each needs a third block: request 2 (newest) is preempted
    ASSERT_EQ(plan.preempted, std::vector<uint64_t>{2});
    ASSERT_EQ(plan.chunks.size(), 1u);
    EXPECT_EQ(plan.chunks[0].request, 1u);
    EXPECT_EQ(s.n_preemptions(), 1);
    EXPECT_EQ(s.n_waiting(), 1);
    run_plan(kv, s, plan);
    s.remove(1);
    // Request 2 comes back: its 7 prompt tokens as Prefill without logits, then its 2 generated
    // tokens as one Decode chunk with the logits of the last.
    plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 1u);
    EXPECT_EQ(plan.chunks[0].request, 2u);
    EXPECT_EQ(plan.chunks[0].row_class, RowClass::Prefill);
    EXPECT_EQ(plan.chunks[0].begin, 0);
    EXPECT_EQ(plan.chunks[0].n, 7);
    EXPECT_EQ(plan.chunks[0].n_logits, 0);
    run_plan(kv, s, plan);
    plan = s.schedule();
    ASSERT_EQ(plan.chunks.size(), 1u);
    EXPECT_EQ(plan.chunks[0].row_class, RowClass::Decode);
    EXPECT_EQ(plan.chunks[0].begin, 7);
    EXPECT_EQ(plan.chunks[0].n, 2);
    EXPECT_EQ(plan.chunks[0].n_logits, 1);
    EXPECT_EQ(plan.chunks[0].prompt_length, 7);  // the original prompt, not prompt + generated
}

TEST(Scheduler, DecodeShortOfBlocksPreemptsThePromptOfTheNewest) {
    kv::KvCacheManager kv(4, 4, false);  // 16 positions
    Scheduler s(kv, {/*max_running=*/2, /*batch_tokens=*/8});
    s.add(1, prompt_of(12, 100));
    s.add(2, prompt_of(12, 200));
    auto plan = s.schedule();  // 8 tokens of request 1 (2 blocks); budget spent
    run_plan(kv, s, plan);
    plan = s.schedule();       // 4 more of 1 (1 block), request 2 admitted with 4 (1 block)
    run_plan(kv, s, plan);
    EXPECT_EQ(kv.pool().n_free(), 0);
    // Request 1 decodes position 12, which needs a 4th block: request 2 is preempted.
    plan = s.schedule();
    ASSERT_FALSE(plan.chunks.empty());
    EXPECT_EQ(plan.chunks[0].request, 1u);
    EXPECT_EQ(plan.preempted, std::vector<uint64_t>{2});
}

}  // namespace
}  // namespace rocmforge::engine
