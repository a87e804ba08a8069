// `rocmforge bench --json` reports every field the issue asks for, with sane values; `bench --batch`
// and `devices`.
#include "common/test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

namespace rocmforge::test {
namespace {

TEST(BenchCommand, JsonHasAllFields) {
    const auto r = run_command(rocmforge_binary() + " bench -m " + shared_file("models/stories260K.gguf").string() +
                               " -p 32 -n 8 -r 2 -t 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    for (const char* key : {"model", "type", "device", "threads", "pp_tok_s", "pp_tok_s_sd", "tg_tok_s", "tg_tok_s_sd",
                            "tg_gb_s"})
        EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_EQ(j.at("model"), "stories260K.gguf");
    EXPECT_EQ(j.at("type"), "f32");
    EXPECT_EQ(j.at("threads"), 2);
    EXPECT_GT(j.at("pp_tok_s").get<double>(), 0.0);
    EXPECT_GT(j.at("tg_tok_s").get<double>(), 0.0);
    EXPECT_GE(j.at("tg_tok_s_sd").get<double>(), 0.0);
    EXPECT_GT(j.at("tg_gb_s").get<double>(), 0.0);
    // On the CPU: the SIMD level in use and the measured read bandwidth the GB/s are judged by.
    ASSERT_TRUE(j.contains("simd") && j.contains("read_gb_s") && j.contains("tg_bandwidth_pct")) << r.output;
    EXPECT_FALSE(j.at("simd").get<std::string>().empty());
    EXPECT_GT(j.at("read_gb_s").get<double>(), 0.0);
    EXPECT_NEAR(j.at("tg_bandwidth_pct").get<double>(),
                100.0 * j.at("tg_gb_s").get<double>() / j.at("read_gb_s").get<double>(), 1e-6);
}

TEST(BenchCommand, TableOutput) {
    const auto r = run_command(rocmforge_binary() + " bench -m " + shared_file("models/stories260K.gguf").string() +
                               " -p 16 -n 4 -r 1 -t 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("| pp16 |"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("| tg4 |"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("of the measured read bandwidth"), std::string::npos) << r.output;
}

// A thread count far above the machine's is capped (with a warning) instead of starting that many.
TEST(BenchCommand, HugeThreadCountIsCappedWithAWarning) {
    const auto r = run_command(rocmforge_binary() + " bench -m " + shared_file("models/stories260K.gguf").string() +
                                   " -p 8 -n 2 -r 1 -t 100000 --json",
                               /*merge_stderr=*/true);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("100000 threads requested"), std::string::npos) << r.output;
    const auto json_begin = r.output.find('{');
    ASSERT_NE(json_begin, std::string::npos) << r.output;
    const auto j = nlohmann::json::parse(r.output.substr(json_begin));
    const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_EQ(j.at("threads"), hardware);
}

TEST(BenchCommand, BatchReportsAggregateDecode) {
    const auto r = run_command(rocmforge_binary() + " bench -m " + shared_file("models/stories260K.gguf").string() +
                               " --batch 5 -p 7 -n 6 -r 2 -t 2 --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_EQ(j.at("batch"), 5);
    EXPECT_GT(j.at("batch_tg_tok_s").get<double>(), 0.0);
    EXPECT_GE(j.at("batch_tg_tok_s_sd").get<double>(), 0.0);
    const auto table = run_command(rocmforge_binary() + " bench -m " +
                                   shared_file("models/stories260K.gguf").string() + " --batch 3 -p 4 -n 2 -r 1 -t 1");
    ASSERT_EQ(table.exit_code, 0) << table.output;
    EXPECT_NE(table.output.find("| pp4+tg2 x3 |"), std::string::npos) << table.output;
    const auto bad = run_command(rocmforge_binary() + " bench -m " + shared_file("models/stories260K.gguf").string() +
                                 " --batch 2 -n 0", /*merge_stderr=*/true);
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("--batch needs -n"), std::string::npos) << bad.output;
}

// `rocmforge devices` always lists the CPU; without a usable GPU it says why.
TEST(DevicesCommand, ListsCpuAndGpusOrWhyNone) {
    const auto r = run_command(rocmforge_binary() + " devices --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output);
    EXPECT_FALSE(j.at("cpu").at("simd").get<std::string>().empty());
    EXPECT_GE(j.at("cpu").at("threads").get<int>(), 1);
    if (j.at("gpus").empty()) {
        EXPECT_FALSE(j.at("gpu_unavailable").get<std::string>().empty());
    } else {
        for (const auto& g : j.at("gpus")) EXPECT_GT(g.at("memory_total").get<double>(), 0.0);
    }
    const auto text = run_command(rocmforge_binary() + " devices");
    ASSERT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("CPU: "), std::string::npos) << text.output;
}

}  // namespace
}  // namespace rocmforge::test
