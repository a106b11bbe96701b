//! What the log ([`super::log`]) and its recovery ([`super::quarantine`]) both need: the size
//! of a frame body's header and making a directory's entries durable.

use std::fs::File;
use std::io;
use std::path::Path;

/// Bytes before the records in a frame body.
pub const BODY_HEADER: usize = 36;

/// Flushes a directory, so files created or renamed in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
