//! The router's DHCP leases, from MikroTik RouterOS v7's REST API:
//! `GET <router>/rest/ip/dhcp-server/lease` with HTTP basic auth, a JSON array of leases with
//! `address`, `mac-address`, `host-name`, `comment`, `status`. The lease's comment (what the
//! admin typed) wins over its host name (what the device said).
//!
//! RouterOS serves HTTPS with a self-signed certificate as a rule, which no authority vouches
//! for: the user pins it (`RouterOSCertificate`, its SHA-256 fingerprint), and a connection that
//! fails for want of a pin says the fingerprint to copy. Without a pin, a certificate an
//! authority vouches for is accepted. The password goes in a header, never in a URL or a line.

use crate::settings::values::show_fingerprint;
use base64::Engine;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Deserialize;
use std::io::Read;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The largest answer read (a lease is ~300 bytes of JSON: room for ~25,000).
pub const MAX_BODY: u64 = 8 << 20;
/// Leases used at most.
pub const MAX_LEASES: usize = 10_000;

/// One lease as RouterOS writes it (other fields ignored).
#[derive(Debug, Deserialize)]
struct RawLease {
    address: Option<String>,
    #[serde(rename = "mac-address")]
    mac: Option<String>,
    #[serde(rename = "host-name")]
    host_name: Option<String>,
    comment: Option<String>,
}

/// A lease, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub addr: IpAddr,
    pub name: Option<String>,
    pub mac: Option<u64>,
}

/// Where and how to ask.
#[derive(Clone)]
pub struct Router {
    pub url: String,
    pub user: String,
    pub password: crate::settings::Secret,
    pub pin: Option<[u8; 32]>,
}

/// What reading the leases gave: the leases (and how many more there were), or the words.
pub type LeaseRead = Result<(Vec<Lease>, usize), String>;

/// Where the verifier notes the fingerprint of the certificate it was shown.
type Seen = Arc<Mutex<Option<[u8; 32]>>>;

/// Accepts the pinned certificate, or (no pin) what the public authorities vouch for; notes
/// the fingerprint it was shown either way.
#[derive(Debug)]
struct Pinned {
    pin: Option<[u8; 32]>,
    public: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
    seen: Seen,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        let mut fp = [0u8; 32];
        fp.copy_from_slice(digest.as_ref());
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(fp);
        }
        match self.pin {
            Some(p) if p == fp => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(rustls::Error::General(
                "its certificate is not the one RouterOSCertificate names".into(),
            )),
            None => {
                self.public
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// An agent whose TLS trusts what [`Pinned`] does, and where it notes the fingerprint seen.
fn agent(pin: Option<[u8; 32]>) -> Result<(ureq::Agent, Seen), String> {
    // ring, not aws-lc-rs: it builds for Windows with mingw alone. Its provider lacks the
    // post-quantum key exchange, which is what the deprecation says; RouterOS offers none.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let public = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let seen = Arc::new(Mutex::new(None));
    let verifier = Pinned {
        pin,
        public,
        provider: provider.clone(),
        seen: seen.clone(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let agent = ureq::AgentBuilder::new()
        .tls_config(Arc::new(tls))
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .redirects(0)
        .build();
    Ok((agent, seen))
}

/// Read the router's leases.
pub fn read(r: &Router) -> LeaseRead {
    let url = format!("{}/rest/ip/dhcp-server/lease", r.url.trim_end_matches('/'));
    let (agent, seen) = agent(r.pin)?;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        r.user,
        r.password.reveal()
    ));
    let resp = match agent
        .get(&url)
        .set("Authorization", &format!("Basic {auth}"))
        .call()
    {
        Ok(resp) => resp,
        Err(ureq::Error::Status(401, _)) => {
            return Err(format!(
                "refused user \"{}\": wrong user name or password (HTTP 401)",
                r.user
            ));
        }
        Err(ureq::Error::Status(code, resp)) => {
            return Err(format!("answered HTTP {code} {}", resp.status_text()));
        }
        Err(e) => {
            let mut why = e.to_string();
            let shown = seen.lock().ok().and_then(|s| *s);
            if let (Some(fp), true) = (shown, r.url.starts_with("https:")) {
                if r.pin.is_none() {
                    why = format!(
                        "its certificate is not signed by an authority nf-svc trusts ({why}); if it is your router's, set RouterOSCertificate = {}",
                        show_fingerprint(&fp)
                    );
                } else if r.pin != Some(fp) {
                    why = format!(
                        "its certificate ({}) is not the one RouterOSCertificate names",
                        show_fingerprint(&fp)
                    );
                }
            }
            return Err(why);
        }
    };
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("the answer broke off: {e}"))?;
    if body.len() as u64 > MAX_BODY {
        return Err(format!(
            "answered more than {} MiB: not a lease list",
            MAX_BODY >> 20
        ));
    }
    parse(&body)
}

/// The leases in a RouterOS answer: at most [`MAX_LEASES`], and how many more there were.
pub fn parse(body: &[u8]) -> LeaseRead {
    let raw: Vec<RawLease> = serde_json::from_slice(body)
        .map_err(|e| format!("answered something that is not a lease list ({e})"))?;
    let mut leases = Vec::new();
    let mut more = 0;
    for l in raw {
        let Some(addr) = l.address.as_deref().and_then(|a| a.trim().parse().ok()) else {
            continue;
        };
        if leases.len() >= MAX_LEASES {
            more += 1;
            continue;
        }
        let name = l
            .comment
            .as_deref()
            .and_then(super::super::clean::name)
            .or_else(|| l.host_name.as_deref().and_then(super::super::clean::name));
        leases.push(Lease {
            addr,
            name,
            mac: l.mac.as_deref().and_then(crate::words::units::parse_mac),
        });
    }
    Ok((leases, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_win_over_host_names_and_garbage_is_said() {
        let body = br#"[
            {".id":"*1","address":"192.168.88.51","mac-address":"00:80:77:11:22:33","host-name":"android-1234","comment":"Front desk till","status":"bound"},
            {".id":"*2","address":"192.168.88.52","mac-address":"AA:BB:CC:00:00:01","host-name":"laptop\u001b[31m","status":"waiting"},
            {".id":"*3","mac-address":"AA:BB:CC:00:00:02"},
            {".id":"*4","address":"192.168.88.53","mac-address":"bad","comment":"  "}
        ]"#;
        let (leases, more) = parse(body).unwrap();
        assert_eq!(more, 0);
        assert_eq!(leases.len(), 3);
        assert_eq!(leases[0].name.as_deref(), Some("Front desk till"));
        assert_eq!(leases[0].mac, Some(0x0080_7711_2233));
        assert_eq!(leases[1].name.as_deref(), Some("laptop[31m"));
        assert_eq!((leases[2].name.as_deref(), leases[2].mac), (None, None));
        assert!(
            parse(b"<html>login</html>")
                .unwrap_err()
                .starts_with("answered something that is not a lease list")
        );
    }

    #[test]
    fn a_hundred_thousand_leases_are_bounded() {
        let mut body = String::from("[");
        for i in 0..100_000u32 {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                r#"{{"address":"10.{}.{}.{}","host-name":"h{i}"}}"#,
                i >> 16,
                (i >> 8) & 255,
                i & 255
            ));
        }
        body.push(']');
        let (leases, more) = parse(body.as_bytes()).unwrap();
        assert_eq!((leases.len(), more), (MAX_LEASES, 100_000 - MAX_LEASES));
    }

    #[test]
    fn fingerprints_read_as_written() {
        let fp = [0xabu8; 32];
        let shown = show_fingerprint(&fp);
        assert!(shown.starts_with("AB:AB:") && shown.len() == 95);
        use crate::settings::values::parse_fingerprint;
        assert_eq!(parse_fingerprint(&shown), Ok(Some(fp)));
        assert_eq!(
            parse_fingerprint(&shown.replace(':', "").to_lowercase()),
            Ok(Some(fp))
        );
        assert_eq!(parse_fingerprint(""), Ok(None));
        assert!(parse_fingerprint("AB:CD").is_err());
    }
}
