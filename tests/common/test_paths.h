#pragma once
// Locations the tests read from: the repository and the read-only ../shared folder beside it.
#include <filesystem>
#include <string>
#include <vector>

namespace rocmforge::test {

// The repository root (compile-time).
std::filesystem::path source_dir();
// ../shared relative to the repository root. Fails the current test with a clear message
// (and returns an empty path) when it is missing.
std::filesystem::path shared_dir();
// A file under ../shared; fails the current test if it does not exist.
std::filesystem::path shared_file(const std::string& relative);
// Every *.gguf under ../shared (recursively), sorted.
std::vector<std::filesystem::path> all_shared_ggufs();
// The built rocmforge binary (the environment variable ROCMFORGE_BINARY overrides).
std::string rocmforge_binary();

// Runs a shell command, capturing stdout (and stderr when merge_stderr). Returns the exit code.
struct CommandResult {
    int exit_code = -1;
    std::string output;
};
CommandResult run_command(const std::string& command, bool merge_stderr = false);

// `s` quoted for a POSIX shell command line.
std::string shell_quoted(const std::string& s);
// A parameterized test's name from any text: every character that is not a letter or digit → '_'.
std::string test_name_from(std::string text);

// A path in the temporary directory unique to this process: /tmp/rocmforge_<pid>_<name>.
std::string temp_path(const std::string& name);

// Reads a whole file as bytes.
std::string read_file_bytes(const std::filesystem::path& path);

}  // namespace rocmforge::test
