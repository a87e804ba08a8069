#include "common/test_paths.h"

#include <cctype>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rocmforge::test {

std::filesystem::path source_dir() { return ROCMFORGE_SOURCE_DIR; }

std::filesystem::path shared_dir() {
    // ROCMFORGE_SHARED_DIR overrides (binaries carried to another machine, e.g. the GPU device).
    const char* env = std::getenv("ROCMFORGE_SHARED_DIR");
    const auto dir = env != nullptr && *env != '\0' ? std::filesystem::path(env)
                                                     : std::filesystem::weakly_canonical(source_dir() / ".." / "shared");
    if (!std::filesystem::is_directory(dir)) {
        ADD_FAILURE() << "shared test data not found at " << dir
                      << ": the read-only ../shared folder must sit beside the repository";
        return {};
    }
    return dir;
}

std::filesystem::path shared_file(const std::string& relative) {
    const auto path = shared_dir() / relative;
    if (!std::filesystem::exists(path)) ADD_FAILURE() << "missing shared file " << path;
    return path;
}

std::vector<std::filesystem::path> all_shared_ggufs() {
    std::vector<std::filesystem::path> files;
    const auto dir = shared_dir();
    if (dir.empty()) return files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() == ".gguf") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string rocmforge_binary() {
    // ROCMFORGE_BINARY overrides, as ROCMFORGE_SHARED_DIR does (binaries carried to the GPU device).
    const char* env = std::getenv("ROCMFORGE_BINARY");
    return env != nullptr && *env != '\0' ? std::string(env) : std::string(ROCMFORGE_BINARY);
}

CommandResult run_command(const std::string& command, bool merge_stderr) {
    CommandResult result;
    const std::string full = merge_stderr ? command + " 2>&1" : command;
    std::FILE* pipe = ::popen(full.c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 65536> buffer{};
    size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("rocmforge_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::string read_file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string shell_quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string test_name_from(std::string text) {
    for (auto& c : text)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return text;
}

}  // namespace rocmforge::test
