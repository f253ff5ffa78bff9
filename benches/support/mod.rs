//! Helpers the benchmarks share (each bench is its own crate and includes this with `mod support;`).
#![allow(dead_code)] // Not every bench uses every helper.

/// A number from the environment (`BENCH_RUNS=5`), else `default`.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A number from `/usr/bin/time -v` output: the value after `name` (`Maximum resident set size
/// (kbytes)`) on its line.
pub fn field(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(name))
        .and_then(|v| v.trim().trim_start_matches(':').trim().parse().ok())
}
