// The SIMD kernels' machine code holds only instructions of the CPUs that run it. Highway 1.0.3's
// AVX3_DL target enables AVX-VNNI when it compiles, but its run-time check gives AVX3_DL to CPUs
// with AVX512-VNNI and no AVX-VNNI (Intel Ice Lake, AMD Zen 4), where a VEX-encoded VNNI
// instruction ({vex} vpdpbusd, vpdpwssd, ...) is illegal. This binary links every CPU kernel, so its
// own disassembly must hold none (and does hold the EVEX vpdpbusd of the AVX3_DL kernels, proving
// the scan saw them).
#include "common/test_paths.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace rocmforge::test {
namespace {

TEST(SimdEncoding, NoVexEncodedVnniInstructions) {
#if !defined(__x86_64__)
    GTEST_SKIP() << "skipped: not an x86-64 build";
#else
    if (run_command("command -v objdump >/dev/null").exit_code != 0) GTEST_SKIP() << "skipped: objdump not installed";
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    // Per function: its VEX VNNI instructions; last line: "<EVEX vpdpbusd count> <VEX VNNI count>".
    const auto scan = run_command(
        "objdump -d --no-show-raw-insn " + shell_quoted(self) +
        " | awk '/>:$/ {fn = $2} /[{]vex[}] vpdp/ {vex++; print \"VEX VNNI in \" fn} "
        "/vpdpbusd/ && !/[{]vex[}]/ {evex++} END {print evex + 0, vex + 0}'");
    ASSERT_EQ(scan.exit_code, 0) << scan.output;
    const auto last = scan.output.find_last_of('\n', scan.output.size() - 2);
    const std::string counts = scan.output.substr(last == std::string::npos ? 0 : last + 1);
    int evex = -1, vex = -1;
    ASSERT_EQ(std::sscanf(counts.c_str(), "%d %d", &evex, &vex), 2) << scan.output;
    EXPECT_GT(evex, 0) << "no EVEX vpdpbusd found: the AVX3_DL kernels were not scanned";
    EXPECT_EQ(vex, 0) << scan.output.substr(0, 4000);
#endif
}

}  // namespace
}  // namespace rocmforge::test
