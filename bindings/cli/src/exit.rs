//! The command's exit codes (docs/DESIGN.md C1), decided here and nowhere else:
//! 0 when every request got a response, 1 when any failed (or the command
//! could not run), 2 for usage errors. Every message goes to stderr behind
//! the command's name.

use std::fmt::Display;
use std::process::ExitCode;

/// The exit code of a usage error: bad flags, bad input, nothing sent.
pub(crate) const USAGE: u8 = 2;

/// The exit code of a run in which something failed.
const FAILED: u8 = 1;

/// Reports a usage error.
pub(crate) fn usage_error(message: impl Display) -> ExitCode {
    eprintln!("pipelining: {message}");
    ExitCode::from(USAGE)
}

/// Reports a failure that ended the command.
pub(crate) fn failure(message: impl Display) -> ExitCode {
    eprintln!("pipelining: {message}");
    ExitCode::from(FAILED)
}

/// The exit code of a finished run: `Ok(true)` when every request got a
/// response, `Ok(false)` when some did not (each already reported on its
/// own line), `Err` when the run itself broke off.
pub(crate) fn after_run<E: Display>(outcome: Result<bool, E>) -> ExitCode {
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(FAILED),
        Err(e) => failure(e),
    }
}
