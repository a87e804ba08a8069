#include "util/log.h"

#include "util/error.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace rocmforge {

void init_logging() {
    static const bool initialized = [] {
        auto logger = spdlog::stderr_color_mt("rocmforge");
        logger->set_pattern("[%^%l%$] %v");
        logger->set_level(spdlog::level::warn);
        spdlog::set_default_logger(logger);
        return true;
    }();
    (void)initialized;
}

void set_log_level(const std::string& name) {
    init_logging();
    const auto level = spdlog::level::from_str(name);
    // from_str maps unknown names to "off"; only accept "off" when it was asked for.
    if (level == spdlog::level::off && name != "off") {
        throw_error("--log-level", "unknown log level '{}' (expected trace, debug, info, warn, error, off)", name);
    }
    spdlog::set_level(level);
}

}  // namespace rocmforge
