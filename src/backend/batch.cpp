#include "backend/batch.h"

#include "util/error.h"

#include <algorithm>

namespace rocmforge::backend {

const char* op_name(Op op) {
    switch (op) {
        case Op::GetRows: return "get_rows";
        case Op::RmsNorm: return "rms_norm";
        case Op::Matmul: return "matmul";
        case Op::AddBias: return "add_bias";
        case Op::Rope: return "rope";
        case Op::KvStore: return "kv_store";
        case Op::Attention: return "attention";
        case Op::Swiglu: return "swiglu";
        case Op::Add: return "add";
        case Op::Scale: return "scale";
        case Op::Softcap: return "softcap";
        case Op::Geglu: return "geglu";
        case Op::MoeFfn: return "moe_ffn";
    }
    return "?";
}

int64_t Batch::add_sequence(std::span<const int32_t> tokens, int64_t n_past, std::span<const int32_t> block_table,
                            RowClass row_class, int64_t n_logits, int64_t prompt_length) {
    BatchSequence s;
    s.prompt_length = prompt_length;
    s.token_begin = n_tokens();
    s.n_tokens = static_cast<int64_t>(tokens.size());
    s.n_past = n_past;
    s.row_class = row_class;
    s.logit_class = std::min(n_logits, s.n_tokens) > 1 ? RowClass::Prefill : RowClass::Decode;
    s.block_table.assign(block_table.begin(), block_table.end());
    const auto index = static_cast<int32_t>(sequences.size());
    for (int64_t i = 0; i < s.n_tokens; ++i) {
        token_ids.push_back(tokens[static_cast<size_t>(i)]);
        positions.push_back(static_cast<int32_t>(n_past + i));
        token_sequence.push_back(index);
        if (i >= s.n_tokens - n_logits) logit_rows.push_back(static_cast<int32_t>(s.token_begin + i));
    }
    sequences.push_back(std::move(s));
    return index;
}

void Batch::clear() {
    token_ids.clear();
    positions.clear();
    token_sequence.clear();
    sequences.clear();
    logit_rows.clear();
}

namespace {

void append_run(std::vector<RowRun>& runs, int64_t row, RowClass row_class) {
    if (!runs.empty() && runs.back().row_class == row_class && runs.back().begin + runs.back().count == row) {
        ++runs.back().count;
        return;
    }
    runs.push_back({row, 1, row_class});
}

}  // namespace

std::vector<RowRun> Batch::token_runs() const {
    std::vector<RowRun> runs;
    for (const auto& s : sequences) {
        if (s.n_tokens == 0) continue;
        if (!runs.empty() && runs.back().row_class == s.row_class) {
            runs.back().count += s.n_tokens;
        } else {
            runs.push_back({s.token_begin, s.n_tokens, s.row_class});
        }
    }
    return runs;
}

std::vector<RowRun> Batch::logit_runs() const {
    std::vector<RowRun> runs;
    for (int64_t i = 0; i < n_logit_rows(); ++i) {
        const int32_t token = logit_rows[static_cast<size_t>(i)];
        append_run(runs, i, sequences[static_cast<size_t>(token_sequence[static_cast<size_t>(token)])].logit_class);
    }
    return runs;
}

void Batch::validate(int64_t block_size, int64_t n_blocks) const {
    const int64_t n = n_tokens();
    if (static_cast<int64_t>(positions.size()) != n || static_cast<int64_t>(token_sequence.size()) != n)
        throw_error("batch", "{} token ids but {} positions and {} sequence indices", n, positions.size(),
                    token_sequence.size());
    int64_t next = 0;
    for (size_t si = 0; si < sequences.size(); ++si) {
        const auto& s = sequences[si];
        if (s.token_begin != next || s.n_tokens < 1 || s.n_past < 0)
            throw_error("batch", "sequence {}: tokens [{}, {}) with {} past positions do not follow token {}", si,
                        s.token_begin, s.token_begin + s.n_tokens, s.n_past, next);
        next += s.n_tokens;
        if (next > n) throw_error("batch", "sequence {} runs past the {} tokens of the batch", si, n);
        const int64_t end = s.n_past + s.n_tokens;
        if ((end + block_size - 1) / block_size > static_cast<int64_t>(s.block_table.size()))
            throw_error("batch", "sequence {}: {} positions need {} blocks of {}, the block table has {}", si, end,
                        (end + block_size - 1) / block_size, block_size, s.block_table.size());
        for (int32_t b : s.block_table)
            if (b < 0 || b >= n_blocks)
                throw_error("batch", "sequence {}: block {} is outside [0, {})", si, b, n_blocks);
        for (int64_t t = s.token_begin; t < s.token_begin + s.n_tokens; ++t)
            if (token_sequence[static_cast<size_t>(t)] != static_cast<int32_t>(si) ||
                positions[static_cast<size_t>(t)] != s.n_past + (t - s.token_begin))
                throw_error("batch", "token {}: sequence index or position does not match sequence {}", t, si);
    }
    if (next != n) throw_error("batch", "sequences cover {} of the {} tokens", next, n);
    for (size_t i = 0; i < logit_rows.size(); ++i)
        if (logit_rows[i] < 0 || logit_rows[i] >= n || (i > 0 && logit_rows[i] <= logit_rows[i - 1]))
            throw_error("batch", "logit row {} ({}) is out of order or outside [0, {})", i, logit_rows[i], n);
}

}  // namespace rocmforge::backend
