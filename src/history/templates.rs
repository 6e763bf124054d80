//! The exporters' template sets in the store ([`crate::decode::template_sets`]): written
//! whole when they change (at most once a minute, and at the stop), read at start.

use crate::decode::template_sets::SavedSet;
use rusqlite::{Connection, params};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// Replace the kept sets with `sets` (in their order).
pub fn save(conn: &mut Connection, sets: &[SavedSet]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM templates", [])?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO templates (exporter, port, version, domain, seq, sets) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (seq, s) in sets.iter().enumerate() {
            st.execute(params![
                s.from.ip().to_string(),
                s.from.port(),
                s.version,
                s.domain,
                seq as i64,
                s.set
            ])?;
        }
    }
    tx.commit()
}

/// Save `sets` in the store at `path`.
pub fn save_to(path: &Path, sets: &[SavedSet]) -> Result<(), String> {
    let mut conn = super::store::open_for_writing(path)?.conn;
    save(&mut conn, sets)
        .map_err(|e| format!("cannot keep the templates in {}: {e}", path.display()))
}

/// The sets kept in the store at `path`, in the order they were saved (none when there is no
/// store yet). Rows nf-svc cannot read are left out.
pub fn load(path: &Path) -> Result<Vec<SavedSet>, String> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = super::store::open_for_reading(path)?;
    let read = || -> rusqlite::Result<Vec<SavedSet>> {
        let mut st = conn
            .prepare("SELECT exporter, port, version, domain, sets FROM templates ORDER BY seq")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u16>(1)?,
                r.get::<_, u16>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, Vec<u8>>(4)?,
            ))
        })?;
        Ok(rows
            .flatten()
            .filter_map(|(ip, port, version, domain, set)| {
                let ip: IpAddr = ip.parse().ok()?;
                (version == 9 || version == 10).then_some(SavedSet {
                    from: SocketAddr::new(ip, port),
                    version,
                    domain,
                    set,
                })
            })
            .collect())
    };
    // A store from before templates were kept has no table yet: nothing to restore.
    read().or_else(|e| match e.to_string().contains("no such table") {
        true => Ok(Vec::new()),
        false => Err(format!(
            "cannot read the templates in {}: {e}",
            path.display()
        )),
    })
}
