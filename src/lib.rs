//! settle: a keyboard-driven terminal console for accounts-receivable teams.
#![forbid(unsafe_code)]

pub mod app;
pub mod bench;
pub mod bench_feed;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod console;
pub mod domain;
pub mod effects;
pub mod filter;
pub mod import;
pub mod model;
pub mod report;
pub mod store;
pub mod term;
pub mod ui;
