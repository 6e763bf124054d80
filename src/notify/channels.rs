//! The ways a message leaves: e-mail (lettre, over SMTP with STARTTLS, TLS or plain),
//! webhooks (ureq: JSON, ntfy or Slack's form) and Telegram's Bot API. Each send is bounded in
//! time and its failure is a sentence with the server's words — never an address that holds a
//! secret (a webhook's path, Telegram's token) and never a password.

use super::message::Message;
use crate::settings::{NotifySettings, SmtpSecurity, WebhookFormat};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};
use std::io::Read;
use std::time::Duration;

/// How long one delivery may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The largest report attached to an e-mail.
const MAX_ATTACHMENT: u64 = 10 << 20;
/// The most of a refusing server's answer quoted.
const QUOTED: usize = 200;

/// One channel: its id in the outbox and how it is named in messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    Mail,
    Webhook(usize),
    Telegram,
}

impl Channel {
    /// Every channel the settings set up.
    pub fn all(s: &NotifySettings) -> Vec<Channel> {
        let mut v = Vec::new();
        if s.smtp_server.is_some() {
            v.push(Channel::Mail);
        }
        v.extend((0..s.webhooks.len()).map(Channel::Webhook));
        if !s.telegram_token.is_empty() && !s.telegram_chat.is_empty() {
            v.push(Channel::Telegram);
        }
        v
    }

    pub fn id(&self) -> String {
        match self {
            Channel::Mail => "mail".into(),
            Channel::Webhook(i) => format!("webhook:{i}"),
            Channel::Telegram => "telegram".into(),
        }
    }

    /// As people read it: `e-mail to ann@example.org`, `webhook https://ntfy.sh` (the host
    /// only: a webhook's path is often its secret).
    pub fn shown(&self, s: &NotifySettings) -> String {
        match self {
            Channel::Mail => format!("e-mail to {}", s.mail_to.join(", ")),
            Channel::Webhook(i) => {
                let url = s.webhooks.get(*i).map(String::as_str).unwrap_or("");
                let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
                let host = rest.split(['/', '?']).next().unwrap_or("");
                format!("webhook {scheme}://{host}")
            }
            Channel::Telegram => format!("Telegram chat {}", s.telegram_chat),
        }
    }

    /// Send `m`.
    pub fn send(&self, s: &NotifySettings, m: &Message) -> Result<(), String> {
        match self {
            Channel::Mail => mail(s, m),
            Channel::Webhook(i) => webhook(s, &s.webhooks[*i], m),
            Channel::Telegram => telegram(s, m),
        }
    }
}

fn html(m: &Message) -> String {
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: Vec<String> = m
        .text
        .lines()
        .map(|l| format!("<p>{}</p>", esc(l)))
        .collect();
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>{}</h2>{}<p style=\"color:#666\">nf-svc</p></body></html>",
        esc(&m.title),
        body.join("")
    )
}

fn mail(s: &NotifySettings, m: &Message) -> Result<(), String> {
    let server = s.smtp_server.as_deref().unwrap_or_default();
    let (host, port) = server
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("SMTPServer = {server}: not host:port"))?;
    let mut b = lettre::Message::builder()
        .from(s.mail_from.parse().map_err(|e| format!("MailFrom: {e}"))?)
        .subject(m.title.clone());
    for to in &s.mail_to {
        b = b.to(to.parse().map_err(|e| format!("MailTo {to}: {e}"))?);
    }
    let text = MultiPart::alternative_plain_html(m.text.clone(), html(m));
    let mut body = MultiPart::mixed().multipart(text);
    if let Some(report) = &m.report
        && let Ok(f) = std::fs::File::open(report)
    {
        let mut bytes = Vec::new();
        if f.take(MAX_ATTACHMENT).read_to_end(&mut bytes).is_ok() {
            let name = report.file_name().map(|n| n.to_string_lossy().into_owned());
            let html = ContentType::parse("text/html; charset=utf-8").expect("a content type");
            body = body.singlepart(Attachment::new(name.unwrap_or_default()).body(bytes, html));
        }
    }
    let email = b.multipart(body).map_err(|e| e.to_string())?;
    let tls = || -> Result<TlsParameters, String> {
        let mut p = TlsParameters::builder(host.to_string());
        if let Some(path) = &s.smtp_certificate {
            let pem = std::fs::read(path)
                .map_err(|e| format!("SMTPCertificate {}: {e}", path.display()))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("SMTPCertificate {}: {e}", path.display()))?;
            p = p.add_root_certificate(cert);
        }
        p.build_rustls().map_err(|e| e.to_string())
    };
    let mut t = SmtpTransport::builder_dangerous(host)
        .port(port)
        .timeout(Some(TIMEOUT));
    t = match s.smtp_security {
        SmtpSecurity::None => t.tls(Tls::None),
        SmtpSecurity::StartTls => t.tls(Tls::Required(tls()?)),
        SmtpSecurity::Tls => t.tls(Tls::Wrapper(tls()?)),
    };
    if !s.smtp_user.is_empty() {
        t = t.credentials(Credentials::new(
            s.smtp_user.clone(),
            s.smtp_password.reveal().to_string(),
        ));
    }
    t.build()
        .send(&email)
        .map(|_| ())
        .map_err(|e| hide(e.to_string(), s.smtp_password.reveal()))
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(TIMEOUT)
        .redirects(3)
        .build()
}

/// What went wrong with an HTTP request, in words that carry no address.
fn http_error(e: ureq::Error) -> String {
    match e {
        ureq::Error::Status(code, resp) => {
            let status = resp.status_text().to_string();
            let mut body = String::new();
            let _ = resp
                .into_reader()
                .take(QUOTED as u64)
                .read_to_string(&mut body);
            format!("HTTP {code} {status}: {}", body.trim())
        }
        ureq::Error::Transport(t) => match t.kind() {
            ureq::ErrorKind::Dns => "its name does not resolve".into(),
            ureq::ErrorKind::ConnectionFailed => "it does not accept connections".into(),
            ureq::ErrorKind::TooManyRedirects => "it redirects too often".into(),
            ureq::ErrorKind::Io => format!(
                "no answer in time, or the connection broke ({})",
                t.message().unwrap_or("input/output error")
            ),
            k => format!("{k}"),
        },
    }
}

fn webhook(s: &NotifySettings, url: &str, m: &Message) -> Result<(), String> {
    let req = agent().post(url);
    let sent = match s.webhook_format {
        WebhookFormat::Json => req
            .set("Content-Type", "application/json")
            .send_string(&m.json()),
        WebhookFormat::Ntfy => {
            let priority = match m.event {
                super::message::Kind::IncidentStarted | super::message::Kind::SensorSilent => {
                    "high"
                }
                _ => "default",
            };
            req.set("Title", &m.title.replace(['\r', '\n'], " "))
                .set("Priority", priority)
                .send_string(&m.text)
        }
        WebhookFormat::Slack => {
            let body = serde_json::json!({ "text": format!("*{}*\n{}", m.title, m.text) });
            req.set("Content-Type", "application/json")
                .send_string(&body.to_string())
        }
    };
    sent.map(|_| ()).map_err(http_error)
}

fn telegram(s: &NotifySettings, m: &Message) -> Result<(), String> {
    let url = format!(
        "{}/bot{}/sendMessage",
        s.telegram_api.trim_end_matches('/'),
        s.telegram_token.reveal()
    );
    let body = serde_json::json!({
        "chat_id": s.telegram_chat,
        "text": format!("{}\n{}", m.title, m.text),
    });
    match agent()
        .post(&url)
        .set("Content-Type", "application/json")
        .send_string(&body.to_string())
    {
        Ok(_) => Ok(()),
        // Telegram says why in JSON: {"ok":false,"error_code":400,"description":"…"}.
        Err(ureq::Error::Status(code, resp)) => {
            let mut body = String::new();
            let _ = resp.into_reader().take(4096).read_to_string(&mut body);
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let why = v["description"].as_str().unwrap_or("no description");
            Err(format!("HTTP {code}: {why}"))
        }
        Err(e) => Err(http_error(e)),
    }
    .map_err(|e| hide(e, s.telegram_token.reveal()))
}

/// `text` with `secret` blotted out, should a server echo it.
fn hide(text: String, secret: &str) -> String {
    if secret.is_empty() {
        text
    } else {
        text.replace(secret, "***")
    }
}
