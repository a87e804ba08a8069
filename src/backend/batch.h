#pragma once
// One forward step as plain data: the tokens of several sequences, each sequence a run of
// consecutive tokens (a prompt chunk or one generated token) at consecutive positions, with the
// KV block table that places its positions in the paged KV storage.
//
//   tokens:     [ a0 a1 a2 a3 | b7 | c12 c13 ]   ids, positions, owning sequence per token
//   sequences:  a: tokens [0,4) n_past 0   b: [4,5) n_past 7   c: [5,7) n_past 12
//   logit_rows: token indices whose next-token logits are wanted (ascending), e.g. {3, 4, 6}
#include "backend/backend_types.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rocmforge::backend {

struct BatchSequence {
    int64_t token_begin = 0;           // first token of this sequence in the batch
    int64_t n_tokens = 0;              // its tokens: positions n_past .. n_past + n_tokens - 1
    int64_t n_past = 0;                // positions already in the KV storage (attended, not recomputed)
    RowClass row_class = RowClass::Prefill;
    // Kernel class of this sequence's logit rows: Decode when it wants one row (generation: the
    // GEMV over the vocabulary matrix), Prefill when it wants several (scoring a prompt).
    RowClass logit_class = RowClass::Decode;
    // Position p is in slot block_table[p / block_size] * block_size + p % block_size.
    std::vector<int32_t> block_table;
    // Length of the sequence's prompt when known (0: unknown). LongRoPE picks a token's factors by
    // its rope length: max(prompt_length, position + 1), or the step's end n_past + n_tokens when
    // unknown. That is HF transformers' choice for a prompt run at once and then tokens generated
    // one by one, whatever chunks the prompt is split into.
    int64_t prompt_length = 0;

    int64_t rope_length(int64_t position) const {
        return prompt_length > 0 ? std::max(prompt_length, position + 1) : n_past + n_tokens;
    }
};

struct Batch {
    std::vector<int32_t> token_ids;       // [n_tokens]
    std::vector<int32_t> positions;       // [n_tokens]
    std::vector<int32_t> token_sequence;  // [n_tokens] index into sequences
    std::vector<BatchSequence> sequences;
    std::vector<int32_t> logit_rows;      // ascending token indices

    int64_t n_tokens() const { return static_cast<int64_t>(token_ids.size()); }
    int64_t n_logit_rows() const { return static_cast<int64_t>(logit_rows.size()); }

    // Appends a sequence's tokens at positions n_past..; when n_logits > 0 its last n_logits
    // tokens get logit rows. Returns the sequence's index in the batch.
    int64_t add_sequence(std::span<const int32_t> tokens, int64_t n_past, std::span<const int32_t> block_table,
                         RowClass row_class, int64_t n_logits, int64_t prompt_length = 0);
    void clear();

    // Row runs of the batch's tokens (for matmuls over all tokens) and of its logit rows (for the
    // output matmul), merging neighbours of the same class.
    std::vector<RowRun> token_runs() const;
    std::vector<RowRun> logit_runs() const;

    // Throws rocmforge::Error (context "batch") when the structure is inconsistent: sequences not
    // contiguous or out of order, a position without a block in the table (block_size, n_blocks
    // of the storage), logit rows out of range or unsorted.
    void validate(int64_t block_size, int64_t n_blocks) const;
};

}  // namespace rocmforge::backend
