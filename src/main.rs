//! The `faultline` binary: parse the command line, call the library, map errors to exit codes
//! (0 success, 1 a run failed, 2 invalid scenario or usage).

use std::process::ExitCode;

use clap::Parser;
use faultline::cli::{Cli, execute};

/// Counts each thread's heap, so that a replication that outgrows its memory budget is
/// stopped with a report instead of failing in the allocator (see `faultline::memory`).
#[global_allocator]
static ALLOCATOR: faultline::memory::CountingAllocator = faultline::memory::CountingAllocator;

fn main() -> ExitCode {
    // A closed stdout pipe (e.g. `| head`) ends the program quietly instead of panicking.
    #[cfg(unix)]
    reset_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if let Some(s) = faultline::ft::Sabotage::from_env() {
        eprintln!(
            "warning: {}={s:?} deliberately breaks recovery (a test switch): results are wrong",
            faultline::ft::Sabotage::ENV
        );
    }
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(unix)]
fn reset_sigpipe() {
    // SAFETY: restoring the default SIGPIPE disposition before any thread starts.
    unsafe extern "C" {
        fn signal(sig: i32, handler: usize) -> usize;
    }
    unsafe {
        signal(13, 0);
    }
}
