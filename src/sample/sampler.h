#pragma once
// Sampler chain, applied in this order to the logits of one position:
//   penalties (repetition / presence / frequency over the last `penalty_last_n` tokens)
//   → temperature 0: argmax (greedy), done
//   → top-k → top-p → min-p → temperature → softmax → draw with the seeded RNG, walking the
//     candidates best first (in id order when no filter cuts any: the same distribution, no sort).
// The same seed and inputs give the same tokens on every run and machine (std::mt19937_64 and
// our own uniform mapping; no std:: distributions, whose output is implementation-defined).
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

namespace rocmforge::sample {

struct SamplerParams {
    float temperature = 0.8f;        // 0 = greedy; must be >= 0
    int32_t top_k = 40;              // <= 0: disabled
    float top_p = 0.95f;             // in (0, 1]; 1 = disabled
    float min_p = 0.05f;             // in [0, 1]; 0 = disabled
    float repeat_penalty = 1.0f;     // > 0; 1 = disabled (logit / p if > 0, logit * p otherwise)
    float presence_penalty = 0.0f;   // subtracted once per token present in the window
    float frequency_penalty = 0.0f;  // subtracted per occurrence in the window
    int32_t penalty_last_n = 64;     // window of recent tokens for the penalties; 0 = disabled
    uint64_t seed = 0;
};

// Throws rocmforge::Error naming the flag and value ("--top-p must be in (0, 1], got 1.5").
void validate(const SamplerParams& params);

class Sampler {
public:
    // Validates params. n_vocab: row length of the logits passed to sample().
    Sampler(const SamplerParams& params, int64_t n_vocab);

    // Picks the next token from one row of n_vocab logits (not modified).
    int32_t sample(std::span<const float> logits);
    // Whether sample() is the plain argmax of the logits now (temperature 0, no penalty in
    // effect), so a caller may take the argmax where the logits are.
    bool plain_argmax() const;
    // The k its draw reads when sample() depends only on the row's k largest logits (largest
    // first, the smaller id first among equal logits), 0 otherwise: top_k (temperature > 0, top_k
    // in [1, n_vocab]) with no penalty in effect; with penalties that only lower logits (repeat >= 1,
    // presence >= 0, frequency >= 0), top_k (or 1 at temperature 0) plus the number of distinct
    // tokens in the penalty window; 0 when that k exceeds max_k, for greedy rows without penalties
    // (plain_argmax) and for draws over the whole row. A caller may then select those candidates
    // where the logits are.
    int64_t candidates_needed(int64_t max_k) const;
    // sample() from the row's k >= candidates_needed() best candidates in that order (ids, logits):
    // the same token, bit for bit, as sample() on the whole row.
    int32_t sample_candidates(std::span<const int32_t> ids, std::span<const float> logits);
    // Records a token (prompt or generated) in the penalty window.
    void accept(int32_t token);
    void reset();

private:
    struct Candidate {
        int32_t id;
        float logit;
        float p;
    };
    void apply_penalties(std::vector<Candidate>& candidates) const;
    // candidates_needed with the number of distinct tokens in the penalty window already counted.
    int64_t candidates_needed(int64_t max_k, size_t n_penalized) const;
    // Occurrences of each in-vocabulary token in the penalty window.
    std::unordered_map<int32_t, int> penalty_counts() const;
    // A logit of a token seen `count` times in the window, after the repeat, frequency and presence penalties.
    float penalized(float logit, int count) const;
    bool penalties_in_effect() const;
    // top-p, min-p, temperature and the draw over candidates sorted best first.
    int32_t draw(std::vector<Candidate>& c);
    // temperature and the draw over the candidates the cuts kept (best first).
    int32_t draw_kept(std::vector<Candidate>& c);
    // draw() for the whole vocabulary with a top-p or min-p cut: probabilities summed in id order,
    // then only as long a best-first prefix sorted as the cuts read.
    int32_t draw_partially_sorted(std::vector<Candidate>& c);
    // The draw when no filter cuts (top-k off or not below the vocabulary, top-p 1, min-p 0): every
    // token is a candidate, so it walks them in id order, O(n) with no sort.
    int32_t draw_uncut(std::vector<Candidate>& c);
    double uniform01();

    SamplerParams params_;
    int64_t n_vocab_;
    std::deque<int32_t> recent_;
    std::mt19937_64 rng_;
    std::vector<Candidate> candidates_;
};

// Greedy choice: index of the largest logit (lowest index on ties).
int32_t argmax(std::span<const float> logits);

}  // namespace rocmforge::sample
