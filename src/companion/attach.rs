//! The client's side of the status endpoint: find a running collector, ask it one thing, or
//! watch it. Plain blocking I/O on the caller's thread (the tray watches on a thread of its
//! own); every line read is bounded by [`LINE_MAX`].

use super::SNAPSHOT_EVERY;
use super::wire::{self, Message, Request, Snapshot};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A line from the collector is at most this long (a snapshot of 256 sensors is ~25 KB).
pub const LINE_MAX: u64 = 1 << 20;
/// How long a request waits for its answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(10);

/// The first collector on this machine that answers, with its snapshot.
pub fn find() -> Option<(PathBuf, Snapshot)> {
    crate::os::status_endpoints()
        .into_iter()
        .find_map(|p| match ask(&p, &Request::Status) {
            Ok(Message::Snapshot(s)) => Some((p, *s)),
            _ => None,
        })
}

/// Send `request` to the endpoint at `path` and return its one answer.
pub fn ask(path: &Path, request: &Request) -> io::Result<Message> {
    let mut c = crate::os::local_connect(path, ASK_TIMEOUT)?;
    c.write_all(&wire::line(request))?;
    let mut r = BufReader::new(c);
    next(&mut r)?.ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no answer"))
}

/// Watch the collector at `path`: each message is passed to `on_message` until the collector
/// goes away (its endpoint closes, or it says nothing for three snapshot periods).
pub fn watch(path: &Path, mut on_message: impl FnMut(Message)) -> io::Result<()> {
    let mut c = crate::os::local_connect(path, SNAPSHOT_EVERY * 3)?;
    c.write_all(&wire::line(&Request::Watch))?;
    let mut r = BufReader::new(c);
    while let Some(m) = next(&mut r)? {
        on_message(m);
    }
    Ok(())
}

/// The next message (`None` at the end), reading at most [`LINE_MAX`] bytes.
fn next(r: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut buf = Vec::new();
    let n = r.by_ref().take(LINE_MAX).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') && n as u64 == LINE_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line longer than {LINE_MAX} bytes"),
        ));
    }
    serde_json::from_slice(&buf)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
