//! The durable log's frame layout, shared by the log and its quarantine: a frame is
//! [`FRAME_HEADER`] bytes (body length and CRC) and a body whose first [`BODY_HEADER`] bytes
//! (first sequence, count, arrival time, ...) come before the length-prefixed records.

/// Bytes before a frame's body.
pub const FRAME_HEADER: usize = 8;
/// Bytes before the records in a frame body.
pub const BODY_HEADER: usize = 36;
