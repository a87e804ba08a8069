#include "sample/sampler.h"

#include "util/error.h"
#include "util/fast_exp.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace rocmforge::sample {

namespace {
// The candidates' order: the larger logit first, the smaller id among equal logits (a total order).
constexpr auto by_logit = [](const auto& a, const auto& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
};
}  // namespace

void validate(const SamplerParams& p) {
    if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature))
        throw_error("--temp", "temperature must be >= 0, got {}", p.temperature);
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) throw_error("--top-p", "top-p must be in (0, 1], got {}", p.top_p);
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) throw_error("--min-p", "min-p must be in [0, 1], got {}", p.min_p);
    if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty))
        throw_error("--repeat-penalty", "repeat penalty must be > 0, got {}", p.repeat_penalty);
    if (!std::isfinite(p.presence_penalty))
        throw_error("--presence-penalty", "must be finite, got {}", p.presence_penalty);
    if (!std::isfinite(p.frequency_penalty))
        throw_error("--frequency-penalty", "must be finite, got {}", p.frequency_penalty);
    if (p.penalty_last_n < 0) throw_error("--repeat-last-n", "must be >= 0, got {}", p.penalty_last_n);
}

int32_t argmax(std::span<const float> logits) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplerParams& params, int64_t n_vocab) : params_(params), n_vocab_(n_vocab), rng_(params.seed) {
    validate(params);
}

void Sampler::reset() {
    recent_.clear();
    rng_.seed(params_.seed);
}

void Sampler::accept(int32_t token) {
    if (params_.penalty_last_n == 0) return;
    recent_.push_back(token);
    while (static_cast<int32_t>(recent_.size()) > params_.penalty_last_n) recent_.pop_front();
}

double Sampler::uniform01() {
    // 53 random bits → [0, 1), identical on every platform.
    return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

std::unordered_map<int32_t, int> Sampler::penalty_counts() const {
    std::unordered_map<int32_t, int> counts;
    for (int32_t t : recent_)
        if (t >= 0 && t < n_vocab_) ++counts[t];
    return counts;
}

float Sampler::penalized(float logit, int count) const {
    logit = logit > 0 ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
    return logit - (static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty);
}

void Sampler::apply_penalties(std::vector<Candidate>& candidates) const {
    if (!penalties_in_effect()) return;
    for (const auto& [id, count] : penalty_counts()) {
        float& logit = candidates[static_cast<size_t>(id)].logit;  // candidates are still indexed by id here
        logit = penalized(logit, count);
    }
}

bool Sampler::penalties_in_effect() const {
    return params_.penalty_last_n != 0 && !recent_.empty() &&
           (params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f);
}

bool Sampler::plain_argmax() const { return params_.temperature == 0.0f && !penalties_in_effect(); }

int64_t Sampler::candidates_needed(int64_t max_k) const {
    return candidates_needed(max_k, penalties_in_effect() ? penalty_counts().size() : 0);
}

int64_t Sampler::candidates_needed(int64_t max_k, size_t n_penalized) const {
    const bool greedy = params_.temperature == 0.0f;
    const bool top_k_cut = !greedy && params_.top_k >= 1 && params_.top_k <= n_vocab_;
    if (!top_k_cut && !greedy) return 0;
    int64_t needed = greedy ? 1 : params_.top_k;
    if (penalties_in_effect()) {
        // Penalties that only lower logits move each penalized token down: the best `needed`
        // after them are among the best needed + (distinct penalized tokens) before them.
        const bool only_lower =
            params_.repeat_penalty >= 1.0f && params_.presence_penalty >= 0.0f && params_.frequency_penalty >= 0.0f;
        if (!only_lower) return 0;
        needed = std::min<int64_t>(n_vocab_, needed + static_cast<int64_t>(n_penalized));
    } else if (greedy) {
        return 0;  // plain argmax: the caller takes it where the logits are
    }
    return needed <= max_k ? needed : 0;
}

int32_t Sampler::sample_candidates(std::span<const int32_t> ids, std::span<const float> logits) {
    const bool penalize = penalties_in_effect();
    const auto counts = penalize ? penalty_counts() : std::unordered_map<int32_t, int>{};
    const auto n = static_cast<size_t>(candidates_needed(n_vocab_, counts.size()));
    if (n == 0 || ids.size() < n || logits.size() < n)
        throw_error("sampler", "{} candidates given where this draw needs {}", ids.size(), n);
    auto& c = candidates_;
    c.resize(n);
    for (size_t i = 0; i < n; ++i) c[i] = {ids[i], logits[i], 0.0f};
    if (penalize) {
        for (auto& x : c)
            if (const auto it = counts.find(x.id); it != counts.end()) x.logit = penalized(x.logit, it->second);
        std::sort(c.begin(), c.end(), by_logit);
    }
    if (params_.temperature == 0.0f) return c.front().id;
    c.resize(static_cast<size_t>(params_.top_k));
    return draw(c);
}

namespace {

// x.p = exp((x.logit - max_logit) / temperature) for every candidate (the vectorized exp of
// util/fast_exp.h, through a contiguous buffer); returns their sum in c's order.
template <typename Candidates>
double exponentiate(Candidates& c, float max_logit, float temperature) {
    thread_local std::vector<float> e;
    e.resize(c.size());
    for (size_t i = 0; i < c.size(); ++i) e[i] = (c[i].logit - max_logit) / temperature;
    exp_shifted(e.data(), 0.0f, e.data(), static_cast<int64_t>(e.size()));
    double sum = 0.0;
    for (size_t i = 0; i < c.size(); ++i) sum += (c[i].p = e[i]);
    return sum;
}

// p = softmax(logit / temperature) over c, summed in c's order; PRECOND: max_logit = the largest.
template <typename Candidates>
void normalize(Candidates& c, float max_logit, float temperature) {
    const double sum = exponentiate(c, max_logit, temperature);
    for (auto& x : c) x.p = static_cast<float>(x.p / sum);
}

// How many of the best-first candidates c[0, n) top-p and then min-p keep (p at temperature 1), or
// 0 when neither cut ends within the first n (more candidates are needed to know).
template <typename Candidates>
size_t kept_within(const Candidates& c, size_t n, float top_p, float min_p) {
    size_t keep = 0;
    if (top_p < 1.0f) {
        double cumulative = 0.0;
        for (size_t i = 0; i < n && keep == 0; ++i)
            if ((cumulative += c[i].p) >= top_p) keep = i + 1;
    }
    if (min_p > 0.0f) {
        const float threshold = c[0].p * min_p;
        const size_t limit = keep > 0 ? keep : n;
        for (size_t i = 1; i < limit; ++i)
            if (c[i].p < threshold) return i;
    }
    return keep;
}

}  // namespace

int32_t Sampler::sample(std::span<const float> logits) {
    if (plain_argmax()) return argmax(logits);  // same tie rule as below
    auto& c = candidates_;
    c.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) c[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
    apply_penalties(c);
    if (params_.temperature == 0.0f) return std::min_element(c.begin(), c.end(), by_logit)->id;

    size_t n = c.size();
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) n = static_cast<size_t>(params_.top_k);
    if (n == c.size()) {  // no top-k cut
        if (params_.top_p >= 1.0f && params_.min_p <= 0.0f) return draw_uncut(c);
        return draw_partially_sorted(c);
    }
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), c.end(), by_logit);
    c.resize(n);
    return draw(c);
}

int32_t Sampler::draw_uncut(std::vector<Candidate>& c) {
    float max_logit = -INFINITY;
    for (const auto& x : c) max_logit = std::max(max_logit, x.logit);
    const double sum = exponentiate(c, max_logit, params_.temperature);
    double r = uniform01();
    for (const auto& x : c) {
        r -= static_cast<float>(x.p / sum);
        if (r < 0) return x.id;
    }
    return c.back().id;
}

int32_t Sampler::draw(std::vector<Candidate>& c) {
    // Probabilities at temperature 1 for the top-p / min-p cuts (as llama.cpp's chain does).
    normalize(c, c.front().logit, 1.0f);
    const size_t keep = kept_within(c, c.size(), params_.top_p, params_.min_p);
    if (keep > 0) c.resize(keep);
    return draw_kept(c);
}

int32_t Sampler::draw_kept(std::vector<Candidate>& c) {
    normalize(c, c.front().logit, params_.temperature);
    double r = uniform01();
    for (const auto& x : c) {
        r -= x.p;
        if (r < 0) return x.id;
    }
    return c.back().id;
}

int32_t Sampler::draw_partially_sorted(std::vector<Candidate>& c) {
    float max_logit = -INFINITY;
    for (const auto& x : c) max_logit = std::max(max_logit, x.logit);
    normalize(c, max_logit, 1.0f);  // in id order
    // The cuts read only the best candidates up to where they end: sort a prefix, 4x longer until
    // one of them ends within it (or all is sorted).
    size_t n = std::min<size_t>(c.size(), 64), keep = 0;
    for (;;) {
        std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), c.end(), by_logit);
        keep = kept_within(c, n, params_.top_p, params_.min_p);
        if (keep > 0 || n == c.size()) break;
        n = std::min(c.size(), 4 * n);
    }
    c.resize(keep > 0 ? keep : c.size());
    return draw_kept(c);
}

}  // namespace rocmforge::sample
