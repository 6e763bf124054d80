//! The history file: its schema, and opening it — checked, and a damaged file moved aside so
//! collecting is never stopped by it.
//!
//! A plain SQLite database anyone can open (the README documents every table). Times are
//! Unix seconds (UTC); addresses are text as people write them; counts are already scaled by
//! the sampling rate. WAL mode lets `nf-svc export` read while the collector writes.

use crate::settings::alerts::Rate;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// The schema version written to `meta`.
pub const SCHEMA_VERSION: i64 = 1;

/// The notifications' outbox ([`super::outbox`]): in the store, or alone in memory.
pub const OUTBOX_SCHEMA: &str = "
-- Notifications waiting to be delivered, per channel (mail, webhook:N, telegram): kept
-- across restarts and while a server is down.
CREATE TABLE IF NOT EXISTS outbox (
    id       INTEGER PRIMARY KEY,
    channel  TEXT    NOT NULL,
    message  TEXT    NOT NULL,
    queued   INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_try INTEGER NOT NULL
);
";

/// The exporters' template sets ([`super::templates`]), fed to the decoder at the next start.
const TEMPLATES_SCHEMA: &str = "
-- Each exporter scope's template sets as they came (v9 set ids 0 and 1, IPFIX 2 and 3),
-- oldest first by seq: replayed at start so data after a restart decodes at once.
CREATE TABLE IF NOT EXISTS templates (
    exporter TEXT    NOT NULL,
    port     INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    domain   INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    sets     BLOB    NOT NULL
);
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Every minute nf-svc was collecting, traffic or not: a minute missing here is a gap.
CREATE TABLE IF NOT EXISTS collector_minutes (
    minute INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS sensor_minutes (
    minute        INTEGER NOT NULL,
    sensor        TEXT    NOT NULL,
    bytes         INTEGER NOT NULL,
    packets       INTEGER NOT NULL,
    flows         INTEGER NOT NULL,
    sampling_rate INTEGER NOT NULL,
    PRIMARY KEY (minute, sensor)
) WITHOUT ROWID;
-- host '*': every host of that sensor and minute not stored one by one.
CREATE TABLE IF NOT EXISTS host_minutes (
    host             TEXT    NOT NULL,
    minute           INTEGER NOT NULL,
    sensor           TEXT    NOT NULL,
    sent_bytes       INTEGER NOT NULL,
    sent_packets     INTEGER NOT NULL,
    received_bytes   INTEGER NOT NULL,
    received_packets INTEGER NOT NULL,
    flows            INTEGER NOT NULL,
    PRIMARY KEY (host, minute, sensor)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS host_minutes_by_minute ON host_minutes (minute);
CREATE TABLE IF NOT EXISTS conversations (
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    sensor       TEXT    NOT NULL,
    l3           TEXT    NOT NULL,
    l4           TEXT    NOT NULL,
    src          TEXT    NOT NULL,
    dst          TEXT    NOT NULL,
    port         INTEGER NOT NULL,
    port_role    TEXT    NOT NULL,
    bytes        INTEGER NOT NULL,
    packets      INTEGER NOT NULL,
    PRIMARY KEY (period_start, sensor, l3, l4, src, dst, port, port_role)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incidents (
    id          INTEGER PRIMARY KEY,
    rule        TEXT    NOT NULL,
    direction   TEXT    NOT NULL,
    sensor      TEXT    NOT NULL,
    host        TEXT    NOT NULL,
    label       TEXT,
    start       INTEGER NOT NULL,
    end         INTEGER,
    unit        TEXT    NOT NULL,
    peak        REAL    NOT NULL,
    usual       REAL,
    limit_value REAL    NOT NULL,
    total_bytes INTEGER NOT NULL,
    UNIQUE (rule, direction, sensor, host, start)
);
CREATE INDEX IF NOT EXISTS incidents_by_start ON incidents (start);
CREATE TABLE IF NOT EXISTS exporters (
    sensor        TEXT PRIMARY KEY,
    protocol      TEXT,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    sampling_rate INTEGER,
    datagrams     INTEGER NOT NULL,
    records       INTEGER NOT NULL,
    sequence_lost INTEGER NOT NULL,
    decode_errors INTEGER NOT NULL
);
-- What each device is called, as nf-svc learned it (labels stay in the settings): the latest
-- name and where it came from, its MAC address and vendor, when first and last learned.
CREATE TABLE IF NOT EXISTS names (
    address    TEXT PRIMARY KEY,
    name       TEXT,
    source     TEXT,
    mac        TEXT,
    vendor     TEXT,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
";

/// An open store, and what the user should hear about opening it (a damaged file moved aside).
pub struct Opened {
    pub conn: Connection,
    pub notice: Option<String>,
    /// Where a damaged store was set aside (its rows are salvaged from there).
    pub aside: Option<PathBuf>,
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) | Some(rusqlite::ErrorCode::NotADatabase)
    )
}

/// SQLite's page cache per connection, in KiB (as a negative `cache_size`): a minute's rows
/// and a day's report queries need little, and the file system caches the file anyway; the
/// default (2 MiB) grew the collector's memory over its first hour.
const CACHE_KIB: i64 = -512;

/// The same for a reader (the report pages, export): a page's queries read a day once, so
/// the cache buys little, and the bound also caps SQLite's in-memory sorting (`GROUP BY` of a
/// day's hosts) once [`SORT_PAGES`] is lowered, which spills to a temporary file beyond it.
/// Pages are made while the collector runs, so this is memory on top of the collector's.
const READ_CACHE_KIB: i64 = -128;

/// SQLite sorts in memory up to the larger of the cache and this many pages before it writes
/// sorted runs to a temporary file; its default, 250 pages (1 MiB), made every report page a
/// 1 MiB spike in the collector's memory (the day's hosts grouped, measured with heaptrack on
/// a soak's history). 16 pages (64 KiB) leave the cache as the bound.
const SORT_PAGES: std::ffi::c_uint = 16;

/// Process-wide SQLite settings, applied once before the first connection (SQLite accepts
/// them only before it initializes). `Err`: SQLite was already in use, so they were not.
fn configure_sqlite() -> Result<(), i32> {
    static DONE: std::sync::OnceLock<Result<(), i32>> = std::sync::OnceLock::new();
    *DONE.get_or_init(|| {
        // SAFETY: every connection is opened through this module, after this (the OnceLock
        // holds other threads back until it is done), so nothing else uses SQLite yet.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_PMASZ, SORT_PAGES)
        };
        match rc {
            rusqlite::ffi::SQLITE_OK => Ok(()),
            rc => {
                log::debug!("history: SQLite's sort size was not set (code {rc})");
                Err(rc)
            }
        }
    })
}

fn prepare(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Before the first table: lets pruning give pages back without a full VACUUM.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // With WAL, NORMAL loses nothing on a crash of nf-svc (only on power loss, the last
    // transactions), and saves an fsync per minute.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    let check: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(check),
        ));
    }
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(OUTBOX_SCHEMA)?;
    conn.execute_batch(TEMPLATES_SCHEMA)?;
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
        [SCHEMA_VERSION.to_string()],
    )?;
    Ok(())
}

/// A store in memory (the outbox when the history is off), after the process-wide settings.
pub(super) fn open_in_memory() -> rusqlite::Result<Connection> {
    let _ = configure_sqlite();
    Connection::open_in_memory()
}

fn open_at(path: &Path) -> rusqlite::Result<Connection> {
    let _ = configure_sqlite();
    // Never through a link planted in the log folder (the WAL and shared-memory files beside
    // it are checked by the caller).
    let conn =
        Connection::open_with_flags(path, OpenFlags::default() | OpenFlags::SQLITE_OPEN_NOFOLLOW)?;
    prepare(&conn)?;
    Ok(conn)
}

/// Where a damaged file goes: `<file>.corrupt-<local time>`.
fn aside_path(path: &Path) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".corrupt-{stamp}"));
    path.with_file_name(name)
}

/// Open (or create) the store for writing. A damaged file is renamed aside and a new one
/// started (with a notice for the user); any other failure is an error naming the file.
pub fn open_for_writing(path: &Path) -> Result<Opened, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_os_string();
        file.push(suffix);
        crate::sink::own_file(Path::new(&file)).map_err(|e| e.to_string())?;
    }
    match open_at(path) {
        Ok(conn) => Ok(Opened {
            conn,
            notice: None,
            aside: None,
        }),
        Err(e) if is_damage(&e) => {
            let aside = aside_path(path);
            std::fs::rename(path, &aside).map_err(|r| {
                format!(
                    "{} is damaged ({e}) and cannot be moved aside: {r}",
                    path.display()
                )
            })?;
            for suffix in ["-wal", "-shm"] {
                let mut side = path.as_os_str().to_os_string();
                side.push(suffix);
                let mut side_aside = aside.as_os_str().to_os_string();
                side_aside.push(suffix);
                let _ = std::fs::rename(&side, &side_aside);
            }
            let conn =
                open_at(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            Ok(Opened {
                conn,
                notice: Some(format!(
                    "the history file {} was damaged ({e}); it was moved aside to {} and a new one started, into which what can still be read is copied",
                    path.display(),
                    aside.display()
                )),
                aside: Some(aside),
            })
        }
        Err(e) => Err(format!("cannot open {}: {e}", path.display())),
    }
}

/// Open the store to read (export, reports) while the collector may be writing.
pub fn open_for_reading(path: &Path) -> Result<Connection, String> {
    if !path.exists() {
        return Err(format!(
            "no history at {} yet (is [History] Enabled, and has nf-svc collected a minute?)",
            path.display()
        ));
    }
    let _ = configure_sqlite();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .and_then(|()| conn.pragma_update(None, "cache_size", READ_CACHE_KIB))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(conn)
}

/// How a rate is stored: its unit's text and its number (`incidents.unit`, `peak`, …).
pub fn rate_parts(r: Rate) -> (&'static str, f64) {
    match r {
        Rate::Bits(b) => (UNIT_BITS, b),
        Rate::Packets(p) => (UNIT_PACKETS, p),
    }
}

/// A stored rate read back: `value` in `unit` (anything but packets is bits).
pub fn rate_from(unit: &str, value: f64) -> Rate {
    if unit == UNIT_PACKETS {
        Rate::Packets(value)
    } else {
        Rate::Bits(value)
    }
}

const UNIT_BITS: &str = "bit/s";
const UNIT_PACKETS: &str = "pps";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_has_every_table_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.sqlite");
        let o = open_for_writing(&p).unwrap();
        assert!(o.notice.is_none());
        let tables: Vec<String> = o
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tables,
            [
                "collector_minutes",
                "conversations",
                "exporters",
                "host_minutes",
                "incidents",
                "meta",
                "names",
                "outbox",
                "sensor_minutes",
                "templates"
            ]
        );
        let mode: String = o
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let vacuum: i64 = o
            .conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
            .unwrap();
        assert_eq!(vacuum, 2, "incremental");
        // The page cache is bounded, for the writer and for readers alike.
        let cache =
            |c: &Connection| -> i64 { c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap() };
        assert_eq!(cache(&o.conn), CACHE_KIB);
        assert_eq!(cache(&open_for_reading(&p).unwrap()), READ_CACHE_KIB);
        o.conn
            .execute("INSERT INTO collector_minutes VALUES (60)", [])
            .unwrap();
        drop(o);
        let again = open_for_writing(&p).unwrap();
        assert!(again.notice.is_none());
        let n: i64 = again
            .conn
            .query_row("SELECT count(*) FROM collector_minutes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "continued, not started anew");
    }

    #[test]
    fn a_days_hosts_are_sorted_within_the_readers_bound() {
        assert_eq!(
            configure_sqlite(),
            Ok(()),
            "set before SQLite was first used"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.sqlite");
        let mut o = open_for_writing(&p).unwrap();
        // 12,000 host minutes: ~0.5 MB to group by host, under SQLite's default in-memory
        // sort size (1 MiB) and over the reader's 128 KiB.
        let tx = o.conn.transaction().unwrap();
        for i in 0..12_000i64 {
            tx.execute(
                "INSERT INTO host_minutes VALUES (?1, ?2, 's', ?3, 1, 0, 0, 1)",
                rusqlite::params![format!("10.0.{}.{}", i / 250, i % 250), 60 * (i % 1440), i],
            )
            .unwrap();
        }
        tx.commit().unwrap();
        let reader = open_for_reading(&p).unwrap();
        let (top, _) = crate::history::query::top_hosts(&reader, 0, 86_400, 3).unwrap();
        let hosts: Vec<_> = top.iter().map(|h| (h.host.as_str(), h.sent)).collect();
        assert_eq!(
            hosts,
            [
                ("10.0.47.249", 11_999),
                ("10.0.47.248", 11_998),
                ("10.0.47.247", 11_997)
            ]
        );
        // The sort went to a temporary file instead of growing in memory.
        let (mut spilled, mut high) = (0, 0);
        // SAFETY: the handle is the reader's own, open for the call.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                reader.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_TEMPBUF_SPILL,
                &mut spilled,
                &mut high,
                0,
            )
        };
        assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
        assert!(spilled > 0, "sorted in memory: nothing spilled");
    }

    #[test]
    fn a_damaged_file_is_moved_aside_and_a_new_one_started() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.sqlite");
        std::fs::write(
            &p,
            b"this is not a database, it is a shopping list ".repeat(200),
        )
        .unwrap();
        let o = open_for_writing(&p).unwrap();
        let notice = o.notice.expect("the user is told");
        assert!(
            notice.contains("was damaged") && notice.contains(".corrupt-"),
            "{notice}"
        );
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("h.sqlite.corrupt-")
            })
            .collect();
        assert_eq!(aside.len(), 1);
        assert!(
            std::fs::read(aside[0].path())
                .unwrap()
                .starts_with(b"this is not")
        );
        o.conn
            .execute("INSERT INTO collector_minutes VALUES (60)", [])
            .unwrap();
    }

    #[test]
    fn an_unusable_folder_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let e = open_for_writing(&file.join("h.sqlite")).err().unwrap();
        assert!(e.contains("a-file"), "{e}");
    }
}
