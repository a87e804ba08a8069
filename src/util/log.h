#pragma once
// Process-wide logging to stderr with levels (error, warn, info, debug, trace), backed by spdlog.
#include <spdlog/spdlog.h>

#include <string>

namespace rocmforge {

// Sets the level by name: "trace", "debug", "info", "warn", "error", "off".
// Throws rocmforge::Error naming the value if it is not one of these.
void set_log_level(const std::string& name);

// Installs the stderr logger with ROCmForge's pattern ("[level] message"). Idempotent.
void init_logging();

namespace log {
using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;
}  // namespace log

}  // namespace rocmforge
