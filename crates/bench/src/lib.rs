//! What Lifeline's two measuring tools share: the `lifeline-server` process under
//! measurement, memory read from `/proc`, and how they report while they run.
//!
//! `lifeline-bench` (the service under load) and `lifeline-bench-desktop` (the desktop
//! app against a minimal Tauri app) are its binaries. Nothing here asserts a figure: the
//! tools print them.

pub mod cluster;
pub mod server;

/// A line about what a bench is doing, apart from the figures.
pub fn progress(line: &str) {
    eprintln!("  · {line}");
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
