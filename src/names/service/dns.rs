//! Reverse DNS (PTR) through hickory-resolver: the system's resolver configuration
//! (`/etc/resolv.conf`, the Windows registry), or one server the user names (`DNSServer`,
//! `host` or `host:port`). Short timeouts and one attempt: a name is nice to have, and a
//! server that does not answer must not hold the other sources up.

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{TokioResolver, net::runtime::TokioRuntimeProvider};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How long one lookup may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// What a lookup found.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Name(String),
    /// The server says there is none.
    NoName,
    /// No answer (timeout, refused, unreachable): the words to say.
    Failed(String),
}

/// The resolver for `server` (`None`: the system's).
pub fn resolver(server: Option<&str>) -> Result<TokioResolver, String> {
    let mut builder = match server {
        None => TokioResolver::builder_tokio()
            .map_err(|e| format!("cannot read the system's DNS settings: {e}"))?,
        Some(s) => {
            let addr = server_addr(s)?;
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            let ns = NameServerConfig::new(addr.ip(), true, vec![udp, tcp]);
            let config = ResolverConfig::from_name_servers(vec![ns]);
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
    };
    let o = builder.options_mut();
    o.timeout = TIMEOUT;
    o.attempts = 1;
    o.cache_size = 0; // nf-svc keeps its own cache of names
    builder
        .build()
        .map_err(|e| format!("cannot start reverse DNS: {e}"))
}

/// `host` or `host:port` (`[v6]:port`) as an address; port 53 when none is given.
pub fn server_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!(
        "DNSServer = {s}: expected an address, optionally with a port (192.168.88.1, 192.168.88.1:53, [fd00::1]:53)"
    ))
}

/// The PTR name of `addr`, without its final dot.
pub async fn lookup(r: &TokioResolver, addr: IpAddr) -> Answer {
    match tokio::time::timeout(TIMEOUT + Duration::from_millis(500), r.reverse_lookup(addr)).await {
        Err(_) => Answer::Failed("no answer in time".into()),
        Ok(Ok(l)) => l
            .answers()
            .iter()
            .find_map(|rec| match &rec.data {
                RData::PTR(p) => Some(p.0.to_utf8().trim_end_matches('.').to_string()),
                _ => None,
            })
            .map_or(Answer::NoName, Answer::Name),
        // The server answered, with no name (NXDOMAIN, no record, REFUSED, …).
        Ok(Err(hickory_resolver::net::NetError::Dns(_))) => Answer::NoName,
        Ok(Err(e)) => Answer::Failed(e.to_string()),
    }
}
