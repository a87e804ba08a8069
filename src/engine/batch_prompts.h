#pragma once
// The PROMPTS file of `rocmforge batch`: one prompt per line (text), or, for a `.jsonl` file, one
// JSON object per line: {"prompt": "...", "max_tokens": N, "temperature": T, "seed": S} (only
// "prompt" required). The whole file is validated before anything runs.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rocmforge::engine {

struct BatchPrompt {
    std::string prompt;
    std::optional<int64_t> max_tokens;   // >= 0
    std::optional<float> temperature;    // >= 0
    std::optional<uint64_t> seed;
};

// Parses `contents` (of file `name`, used in messages). Throws rocmforge::Error with a one-line
// message naming the file, line number and field: an empty file, an empty line, invalid JSON, a
// line that is not an object, a missing or empty prompt, an unknown field, a wrong type or an
// out-of-range value. `jsonl` selects the JSON-lines form.
std::vector<BatchPrompt> parse_batch_prompts(const std::string& name, const std::string& contents, bool jsonl);

// Reads and parses a file; jsonl when its name ends in ".jsonl".
std::vector<BatchPrompt> read_batch_prompts(const std::string& path);

}  // namespace rocmforge::engine
