#include "sample/sampler.h"

#include "util/error.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace rocmforge::sample {

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

void Sampler::apply_penalties(std::vector<Candidate>& candidates) const {
    const bool any = params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                     params_.frequency_penalty != 0.0f;
    if (!any || recent_.empty()) return;
    std::unordered_map<int32_t, int> counts;
    for (int32_t t : recent_) ++counts[t];
    for (const auto& [id, count] : counts) {
        if (id < 0 || id >= n_vocab_) continue;
        float& logit = candidates[static_cast<size_t>(id)].logit;  // candidates are still indexed by id here
        logit = logit > 0 ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
        logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
    }
}

bool Sampler::penalties_in_effect() const {
    return params_.penalty_last_n != 0 && !recent_.empty() &&
           (params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f);
}

bool Sampler::plain_argmax() const { return params_.temperature == 0.0f && !penalties_in_effect(); }

int64_t Sampler::candidates_needed(int64_t max_k) const {
    const bool top_k_only = params_.temperature > 0.0f && params_.top_k >= 1 && params_.top_k <= max_k &&
                            params_.top_k <= n_vocab_ && !penalties_in_effect();
    return top_k_only ? params_.top_k : 0;
}

int32_t Sampler::sample_candidates(std::span<const int32_t> ids, std::span<const float> logits) {
    const size_t n = static_cast<size_t>(params_.top_k);
    if (candidates_needed(n_vocab_) == 0 || ids.size() < n || logits.size() < n)
        throw_error("sampler", "{} candidates given where top-k sampling needs {}", ids.size(), params_.top_k);
    auto& c = candidates_;
    c.resize(n);
    for (size_t i = 0; i < n; ++i) c[i] = {ids[i], logits[i], 0.0f};
    return draw(c);
}

int32_t Sampler::sample(std::span<const float> logits) {
    if (plain_argmax()) return argmax(logits);  // same tie rule as below
    auto& c = candidates_;
    c.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) c[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
    apply_penalties(c);
    auto by_logit = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
    if (params_.temperature == 0.0f) return std::min_element(c.begin(), c.end(), by_logit)->id;

    size_t n = c.size();
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) n = static_cast<size_t>(params_.top_k);
    if (n == c.size() && params_.top_p >= 1.0f && params_.min_p <= 0.0f) return draw_uncut(c);
    if (n == c.size())
        std::sort(c.begin(), c.end(), by_logit);  // the same order as partial_sort (a total order), faster
    else
        std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), c.end(), by_logit);
    c.resize(n);
    return draw(c);
}

int32_t Sampler::draw_uncut(std::vector<Candidate>& c) {
    float max_logit = -INFINITY;
    for (const auto& x : c) max_logit = std::max(max_logit, x.logit);
    double sum = 0.0;
    for (auto& x : c) sum += (x.p = std::exp((x.logit - max_logit) / params_.temperature));
    double r = uniform01();
    for (const auto& x : c) {
        r -= static_cast<float>(x.p / sum);
        if (r < 0) return x.id;
    }
    return c.back().id;
}

int32_t Sampler::draw(std::vector<Candidate>& c) {
    // Probabilities at temperature 1 for the top-p / min-p cuts (as llama.cpp's chain does).
    auto normalize = [&c](float temperature) {
        const float max_logit = c.front().logit;
        double sum = 0.0;
        for (auto& x : c) sum += (x.p = std::exp((x.logit - max_logit) / temperature));
        for (auto& x : c) x.p = static_cast<float>(x.p / sum);
    };
    normalize(1.0f);
    if (params_.top_p < 1.0f) {
        double cumulative = 0.0;
        size_t keep = c.size();
        for (size_t i = 0; i < c.size(); ++i) {
            cumulative += c[i].p;
            if (cumulative >= params_.top_p) {
                keep = i + 1;
                break;
            }
        }
        c.resize(keep);
    }
    if (params_.min_p > 0.0f) {
        const float threshold = c.front().p * params_.min_p;
        size_t keep = 1;
        while (keep < c.size() && c[keep].p >= threshold) ++keep;
        c.resize(keep);
    }
    normalize(params_.temperature);
    double r = uniform01();
    for (const auto& x : c) {
        r -= x.p;
        if (r < 0) return x.id;
    }
    return c.back().id;
}

}  // namespace rocmforge::sample
