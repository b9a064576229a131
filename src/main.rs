//! The `bitsy` binary: parse, run, report. Everything else is in the
//! library (`bitsy::cli` for the command line).

use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bitsy: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run() -> bitsy::error::Result<()> {
    let args = std::env::args_os().skip(1).collect();
    bitsy::cli::run(bitsy::cli::parse(args)?)
}
