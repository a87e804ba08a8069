#include "model/arch_table.h"

#include "util/error.h"

#include <array>

namespace rocmforge::model {
namespace {

using backend::RopeStyle;

// Defaults follow the reference implementations (HF config defaults / llama.cpp loaders).
constexpr std::array kArchTable{
    ArchSpec{"llama", RopeStyle::Normal, false, false, 1e-5, 10000.0},
    ArchSpec{"qwen2", RopeStyle::Neox, true, false, 1e-6, 10000.0},
    ArchSpec{"qwen3", RopeStyle::Neox, false, true, 1e-6, 10000.0},
};

}  // namespace

const ArchSpec& find_arch(std::string_view arch) {
    for (const auto& spec : kArchTable)
        if (spec.name == arch) return spec;
    throw_error("general.architecture", "unsupported architecture '{}' (supported: {})", arch, supported_arch_names());
}

std::string supported_arch_names() {
    std::string names;
    for (const auto& spec : kArchTable) names += (names.empty() ? "" : ", ") + std::string(spec.name);
    return names;
}

}  // namespace rocmforge::model
