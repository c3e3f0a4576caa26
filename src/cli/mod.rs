//! The command line: arguments, the commands they run, headless reports and benches.

mod args;
pub mod bench;
pub mod bench_feed;
pub mod commands;
pub mod report;

pub use args::*;
