//! The notifications waiting to be delivered, kept in the history store so that a restart or a
//! mail server that is down loses nothing (an in-memory store when the history is off). Each
//! channel holds at most [`MAX_WAITING`]; past that the oldest go, counted.

use rusqlite::{Connection, params};
use std::path::Path;

/// Messages waiting per channel.
pub const MAX_WAITING: usize = 1000;

/// A message waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub id: i64,
    pub channel: String,
    /// The message as JSON.
    pub message: String,
    pub attempts: u32,
}

/// The outbox in the store at `path` (created when missing), or in memory (`None`).
pub fn open(path: Option<&Path>) -> Result<Connection, String> {
    let conn = match path {
        Some(p) => super::store::open_for_writing(p)?.conn,
        None => {
            let c = super::store::open_in_memory().map_err(|e| e.to_string())?;
            c.execute_batch(super::store::OUTBOX_SCHEMA)
                .map_err(|e| e.to_string())?;
            c
        }
    };
    // The history's writer shares the file: wait for it rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Queue `message` for `channel`; returns how many old ones were dropped for room.
pub fn push(conn: &Connection, channel: &str, message: &str, now: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO outbox (channel, message, queued, attempts, next_try) VALUES (?1, ?2, ?3, 0, ?3)",
        params![channel, message, now],
    )?;
    conn.execute(
        "DELETE FROM outbox WHERE channel = ?1 AND id NOT IN
           (SELECT id FROM outbox WHERE channel = ?1 ORDER BY id DESC LIMIT ?2)",
        params![channel, MAX_WAITING as i64],
    )
}

/// The messages of `channel` due at `now`, oldest first (at most `n`).
pub fn due(conn: &Connection, channel: &str, now: i64, n: usize) -> rusqlite::Result<Vec<Waiting>> {
    let mut st = conn.prepare_cached(
        "SELECT id, channel, message, attempts FROM outbox
         WHERE channel = ?1 AND next_try <= ?2 ORDER BY id LIMIT ?3",
    )?;
    let rows = st.query_map(params![channel, now, n as i64], |r| {
        Ok(Waiting {
            id: r.get(0)?,
            channel: r.get(1)?,
            message: r.get(2)?,
            attempts: r.get::<_, i64>(3)? as u32,
        })
    })?;
    rows.collect()
}

/// Delivered: gone from the outbox.
pub fn delivered(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    for id in ids {
        conn.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// Not delivered: tried again at `next_try`.
pub fn retry(conn: &Connection, ids: &[i64], next_try: i64) -> rusqlite::Result<()> {
    for id in ids {
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_try = ?2 WHERE id = ?1",
            params![id, next_try],
        )?;
    }
    Ok(())
}

/// Messages waiting for `channel`.
pub fn waiting(conn: &Connection, channel: &str) -> rusqlite::Result<usize> {
    conn.query_row(
        "SELECT count(*) FROM outbox WHERE channel = ?1",
        [channel],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_messages_are_bounded_retried_and_delivered() {
        let c = open(None).unwrap();
        for i in 0..MAX_WAITING + 5 {
            push(&c, "mail", &format!("{{\"n\":{i}}}"), 100).unwrap();
        }
        push(&c, "telegram", "{}", 100).unwrap();
        assert_eq!(waiting(&c, "mail").unwrap(), MAX_WAITING);
        let first = due(&c, "mail", 100, 2).unwrap();
        assert_eq!(first[0].message, "{\"n\":5}", "the oldest five went");
        retry(&c, &[first[0].id], 160).unwrap();
        assert_eq!(due(&c, "mail", 100, 1).unwrap()[0].message, "{\"n\":6}");
        let again = due(&c, "mail", 160, 1).unwrap();
        assert_eq!((again[0].id, again[0].attempts), (first[0].id, 1));
        delivered(&c, &[first[0].id]).unwrap();
        assert_eq!(waiting(&c, "mail").unwrap(), MAX_WAITING - 1);
        assert_eq!(waiting(&c, "telegram").unwrap(), 1);
    }
}
