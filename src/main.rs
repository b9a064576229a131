//! The `bitsy` binary: parse, run, report. Everything else is in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    match bitsy::cli::parse(args).and_then(bitsy::cli::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bitsy: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
