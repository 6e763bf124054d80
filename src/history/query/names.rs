//! What devices are called, as the store keeps it.

use crate::names::{Known, Source};
use rusqlite::Connection;
use std::collections::HashMap;
use std::net::IpAddr;

/// Every name, MAC and vendor learned, by address.
pub fn names(conn: &Connection) -> rusqlite::Result<HashMap<IpAddr, Known>> {
    let mut st = conn.prepare_cached("SELECT address, name, source, mac, vendor FROM names")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = HashMap::new();
    for row in rows {
        let (addr, name, source, mac, vendor) = row?;
        let Ok(addr) = addr.parse::<IpAddr>() else {
            continue;
        };
        let name = name.zip(source.as_deref().and_then(Source::parse));
        let mac = mac.as_deref().and_then(crate::words::units::parse_mac);
        out.insert(addr, Known { name, mac, vendor });
    }
    Ok(out)
}
