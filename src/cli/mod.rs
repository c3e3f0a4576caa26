//! The command line: arguments, the commands they run, headless reports and benches.

mod args;
pub mod bench;
pub mod bench_bare;
pub mod bench_feed;
pub mod bench_keys;
pub mod bench_live;
pub mod bench_send;
pub mod bench_soak;
pub mod bench_suite;
pub mod commands;
pub mod doctor;
pub mod report;
pub mod report_work;

pub use args::*;

/// Writes to standard output like `print!`. A reader that went away (`settle report … | head`)
/// ends the command quietly with success, as Unix tools do, instead of a panic.
pub fn write_out(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("settle: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// `print!` that ends quietly when the reader has gone.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::write_out(format_args!($($t)*)) };
}

/// `println!` that ends quietly when the reader has gone.
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => { $crate::cli::write_out(format_args!("{}\n", format_args!($($t)*))) };
}
