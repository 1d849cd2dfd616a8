//! Standard output of the commands, written through a locked stdout so that a closed pipe
//! (`strait validate FILE | head -1`) never panics as `println!` does.
//!
//! Once stdout is found closed (`BrokenPipe`), further output is dropped and the command goes
//! on to its normal end and exit code: the reader chose to stop reading, which is not a
//! failure of the command (exit 0 for a successful `validate`, not the 141 of a process killed
//! by SIGPIPE, so `set -o pipefail` scripts reading the first lines keep working).

use std::fmt::Display;
use std::io::{ErrorKind, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when a write found stdout closed; later output is dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` and a newline to stdout. A closed stdout is not an error; any other write
/// failure (disk full on a redirected stdout, ...) is.
pub(crate) fn line(text: impl Display) -> std::io::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    let result = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    match result {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}
