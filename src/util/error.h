#pragma once
// Error type for everything that comes from outside the process (files, flags, HTTP bodies).
// The message says what is wrong; the context says where (file, field, offset).
#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace rocmforge {

class Error : public std::runtime_error {
public:
    Error(std::string context, const std::string& message)
        : std::runtime_error(context.empty() ? message : context + ": " + message),
          context_(std::move(context)), message_(message) {}

    // Where the problem is, e.g. "model.gguf: tensor 'blk.0.attn_q.weight' (offset 1234)".
    const std::string& context() const { return context_; }
    // What the problem is, without the context prefix.
    const std::string& message() const { return message_; }

private:
    std::string context_;
    std::string message_;
};

// Throws rocmforge::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void throw_error(std::string context, fmt::format_string<Args...> format, Args&&... args) {
    throw Error(std::move(context), fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace rocmforge
