//! A damaged store's readable rows, copied into the new one that replaced it.
//!
//! When the store is found damaged at start (one bad page is enough for SQLite's check), it is
//! set aside and a new one started ([`super::store::open_for_writing`]). Most of what it held is
//! usually still readable: every table is read in its key's order up to the first page that
//! cannot be read (tables and keys as the new store's schema has them), then backwards from
//! its end down to that place, each row copied as it comes — only the rows behind the bad
//! pages are lost. The bundled SQLite has no recovery
//! extension; this is the same idea, table by table. It runs on the history writer's thread,
//! so collecting starts at once.

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params_from_iter};
use std::path::Path;

/// What a salvage copied and what it could not.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Salvaged {
    pub rows: u64,
    /// Tables part of which could not be read.
    pub damaged_tables: u64,
}

/// Copy what can be read of the store at `old` into `new`.
pub fn salvage(new: &Connection, old: &Path) -> Result<Salvaged, String> {
    let shown = old.display();
    // Read through a connection of its own: a read that meets a bad page then cannot roll
    // back what was copied so far.
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let reader = Connection::open_with_flags(old, flags)
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(c)
        })
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut done = Salvaged::default();
    let tables = tables(new).map_err(|e| format!("cannot list the store's tables: {e}"))?;
    let copied = new.execute_batch("BEGIN").and_then(|()| {
        for (table, key) in &tables {
            let table = table.as_str();
            let backward: Vec<String> = key.iter().map(|k| format!("{k} DESC")).collect();
            let (n, whole) = copy(&reader, new, table, &key.join(", "), false);
            done.rows += n;
            if !whole {
                done.damaged_tables += 1;
                done.rows += copy(&reader, new, table, &backward.join(", "), true).0;
            }
        }
        new.execute_batch("COMMIT")
    });
    copied.map_err(|e| format!("cannot copy from {shown}: {e}"))?;
    Ok(done)
}

/// The new store's tables (the schema, [`super::store`], is the one list) with their key
/// columns in order; a table without a declared key is read in row id order.
fn tables(new: &Connection) -> rusqlite::Result<Vec<(String, Vec<String>)>> {
    let names: Vec<String> = new
        .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name <> 'meta'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut key: Vec<String> = new
            .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")?
            .query_map([&name], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if key.is_empty() {
            key.push("rowid".into());
        }
        out.push((name, key));
    }
    Ok(out)
}

/// Copy `table`'s rows in `order` until one cannot be read (or, `until_met`, until a row is
/// already there: the other direction got that far). The rows copied, and whether the table
/// was read to its end.
fn copy(
    reader: &Connection,
    new: &Connection,
    table: &str,
    order: &str,
    until_met: bool,
) -> (u64, bool) {
    let Ok(mut read) = reader.prepare(&format!("SELECT * FROM {table} ORDER BY {order}")) else {
        return (0, false);
    };
    let columns = read.column_count();
    let marks = vec!["?"; columns].join(", ");
    let Ok(mut insert) = new.prepare(&format!(
        "INSERT OR IGNORE INTO main.{table} VALUES ({marks})"
    )) else {
        return (0, false);
    };
    let Ok(mut rows) = read.query([]) else {
        return (0, false);
    };
    let mut n = 0;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return (n, true),
            Err(_) => return (n, false),
        };
        let values: rusqlite::Result<Vec<Value>> = (0..columns).map(|i| row.get(i)).collect();
        let Ok(values) = values else {
            return (n, false);
        };
        match insert.execute(params_from_iter(values)) {
            Ok(0) if until_met => return (n, true),
            Ok(c) => n += c as u64,
            Err(_) => return (n, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::store;
    use crate::history::writer::{Job, write};
    use std::io::{Seek, SeekFrom, Write};

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_store_with_a_bad_page_gives_back_all_but_that_pages_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        let mut conn = store::open_for_writing(&path).unwrap().conn;
        let minute = crate::history::writer::tests::minute;
        for m in 0..300 {
            write(&mut conn, &Job::Minute(minute(600 + 60 * m, 20, 1000))).unwrap();
        }
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        // One page of the hosts' table overwritten (a bad sector, a stray write): a leaf in
        // its middle, as SQLite's page statistics name it.
        let page: i64 = conn
            .query_row(
                "SELECT pageno FROM dbstat WHERE name = 'host_minutes' AND pagetype = 'leaf' \
                 ORDER BY pageno LIMIT 1 OFFSET (SELECT count(*) / 2 FROM dbstat \
                 WHERE name = 'host_minutes' AND pagetype = 'leaf')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        drop(conn); // the last connection writes the WAL back into the file
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(((page - 1) * page_size) as u64))
            .unwrap();
        f.write_all(&vec![0xa5; page_size as usize]).unwrap();
        drop(f);

        let opened = store::open_for_writing(&path).unwrap();
        let aside = opened.aside.expect("found damaged and set aside");
        assert_eq!(count(&opened.conn, "host_minutes"), 0, "a new, empty store");
        let got = salvage(&opened.conn, &aside).unwrap();
        let hosts = count(&opened.conn, "host_minutes");
        assert!(
            (6000 * 9 / 10..6000).contains(&hosts) && got.damaged_tables == 1,
            "{hosts} of 6,000 host rows back, the bad page's lost; {got:?}"
        );
        assert_eq!(count(&opened.conn, "collector_minutes"), 300, "{got:?}");
        assert_eq!(
            got.rows as i64,
            hosts
                + count(&opened.conn, "collector_minutes")
                + count(&opened.conn, "sensor_minutes")
        );
        // What came back adds up like any stored minute.
        let bytes: i64 = opened
            .conn
            .query_row("SELECT sum(sent_bytes) FROM host_minutes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bytes, hosts * 1000);
    }

    #[test]
    fn a_file_that_is_no_database_gives_nothing_back_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.sqlite");
        std::fs::write(&bad, b"a shopping list, not a store ".repeat(200)).unwrap();
        let new = store::open_for_writing(&dir.path().join("h.sqlite"))
            .unwrap()
            .conn;
        let e = salvage(&new, &bad).unwrap_err();
        assert!(e.contains("bad.sqlite"), "{e}");
    }
}
