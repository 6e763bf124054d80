//! Passwords in the ini, encrypted where the system can (Windows: DPAPI, for this machine).
//!
//! The user types a password plainly; on Windows the tray (for its own ini) and
//! `nf-svc protect` (for any, e.g. the service's, run as administrator) replace it in place
//! with `dpapi:<base64>` — every other line, comment and line ending kept — and the settings
//! reader turns such a value back into the password. A copied ini or a backup then does not
//! give the password away, and it is never shown in a log or `describe()` either way.

use super::Secret;
use base64::Engine;
use std::path::Path;

/// What starts an encrypted value.
pub const PREFIX: &str = "dpapi:";

/// The keys that hold passwords: `(section, key)`.
pub const SECRET_KEYS: [(&str, &str); 3] = [
    ("Notify", "SMTPPassword"),
    ("Notify", "TelegramToken"),
    ("Names", "RouterOSPassword"),
];

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A password key's value: plain, or `dpapi:…` decrypted.
pub(super) fn parse_secret(v: &str) -> Result<Secret, String> {
    let v = v.trim();
    let Some(sealed) = v.strip_prefix(PREFIX) else {
        return Ok(Secret::new(v));
    };
    let bytes = B64.decode(sealed.trim()).map_err(|_| {
        "a password typed plainly; this encrypted one (dpapi:…) is damaged".to_string()
    })?;
    crate::os::secret::unprotect(&bytes)
        .map(|plain| Secret::new(&plain))
        .map_err(|why| format!("a password this PC can read: {why}"))
}

/// Whether `[section] key` holds a password (its value is never quoted in a message).
pub(super) fn is_secret(section: &str, key: &str) -> bool {
    SECRET_KEYS.contains(&(section, key))
}

/// `plain` as an encrypted value for the ini.
fn seal(plain: &str) -> Result<String, String> {
    crate::os::secret::protect(plain).map(|b| format!("{PREFIX}{}", B64.encode(b)))
}

/// `text` with every plain password value replaced by what `seal` makes of it; also the
/// `(line, [Section] Key)` of each one replaced. Nothing else changes.
pub fn protect_text(
    text: &str,
    seal: impl Fn(&str) -> Result<String, String>,
) -> Result<(String, Vec<(usize, String)>), String> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut done = Vec::new();
    let mut section = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\r', '\n']);
        let trimmed = body.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            section = name.trim().to_string();
        }
        let wanted = trimmed.split_once('=').and_then(|(k, v)| {
            let k = k.trim();
            let v = v.trim();
            SECRET_KEYS
                .iter()
                .find(|(s, key)| s.eq_ignore_ascii_case(&section) && key.eq_ignore_ascii_case(k))
                .filter(|_| !v.is_empty() && !v.starts_with(PREFIX))
                .map(|(s, key)| (format!("[{s}] {key}"), k.to_string(), v.to_string()))
        });
        let Some((shown, key, value)) = wanted else {
            out.push_str(line);
            continue;
        };
        let sealed = seal(&value).map_err(|why| format!("line {}: {shown}: {why}", i + 1))?;
        let indent = &body[..body.len() - body.trim_start().len()];
        out.push_str(&format!("{indent}{key} = {sealed}"));
        out.push_str(&line[body.len()..]);
        done.push((i + 1, shown));
    }
    Ok((out, done))
}

/// Encrypt the plain passwords in the ini at `path` in place; what was encrypted, as
/// `line N: [Section] Key`. A file that is not UTF-8 is left alone (said).
pub fn protect_file(path: &Path) -> Result<Vec<String>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        format!("{shown} is not UTF-8: save it as UTF-8 so its passwords can be encrypted")
    })?;
    let (new, done) = protect_text(text, seal).map_err(|e| format!("{shown}, {e}"))?;
    if !done.is_empty() {
        std::fs::write(path, new).map_err(|e| format!("cannot write {shown}: {e}"))?;
    }
    Ok(done
        .into_iter()
        .map(|(line, key)| format!("line {line}: {key}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot(v: &str) -> Result<String, String> {
        Ok(format!(
            "{PREFIX}{}",
            B64.encode(v.chars().rev().collect::<String>())
        ))
    }

    #[test]
    fn only_plain_passwords_in_their_sections_change_and_the_rest_is_kept() {
        let text = "; comment SMTPPassword = x\r\n[Notify]\r\nSMTPServer = h:25\r\n  smtppassword = s3cret \r\n\
                    TelegramToken =\r\n[Names]\r\nRouterOSPassword = dpapi:AAAA\r\n[Other]\r\nSMTPPassword = y\r\n\
                    [Names]\nRouterOSPassword=pw";
        let (out, done) = protect_text(text, rot).unwrap();
        assert_eq!(
            done,
            vec![
                (4, "[Notify] SMTPPassword".to_string()),
                (11, "[Names] RouterOSPassword".to_string())
            ]
        );
        let want = text
            .replace(
                "  smtppassword = s3cret \r\n",
                &format!("  smtppassword = {}\r\n", rot("s3cret").unwrap()),
            )
            .replace(
                "RouterOSPassword=pw",
                &format!("RouterOSPassword = {}", rot("pw").unwrap()),
            );
        assert_eq!(out, want);
        // A second pass finds nothing left to do.
        assert!(protect_text(&out, rot).unwrap().1.is_empty());
    }

    #[test]
    fn a_failure_names_the_line_and_key() {
        let e = protect_text("[Notify]\nSMTPPassword = a\n", |_| Err("no".into())).unwrap_err();
        assert_eq!(e, "line 2: [Notify] SMTPPassword: no");
    }

    #[cfg(not(windows))]
    #[test]
    fn an_encrypted_value_elsewhere_is_a_clear_settings_error() {
        let ini = "[Notify]\nSMTPServer = 127.0.0.1:25\nSMTPPassword = dpapi:AQID\n";
        let errors = super::super::parse(Path::new("/nf/nf-svc.ini"), ini).unwrap_err();
        let e = errors[0].to_string();
        assert!(e.contains("line 3") && e.contains("SMTPPassword"), "{e}");
        assert!(e.contains("SMTPPassword = \"(hidden)\""), "{e}");
        assert!(e.contains("can be read only there"), "{e}");
        assert!(!e.contains("AQID"), "the sealed value is not repeated: {e}");
    }

    #[cfg(windows)]
    #[test]
    fn dpapi_round_trip_through_the_file_and_the_reader() {
        let dir = std::env::temp_dir().join(format!("nf-svc-protect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ini = dir.join("nf-svc.ini");
        std::fs::write(
            &ini,
            "[Notify]\r\nSMTPServer = 127.0.0.1:25\r\nMailFrom = a@example.org\r\nMailTo = b@example.org\r\nSMTPPassword = pä55 word\r\n",
        )
        .unwrap();
        assert_eq!(
            protect_file(&ini).unwrap(),
            vec!["line 5: [Notify] SMTPPassword"]
        );
        let text = std::fs::read_to_string(&ini).unwrap();
        assert!(
            text.contains("SMTPPassword = dpapi:") && !text.contains("pä55"),
            "{text}"
        );
        let (s, _) = super::super::load(&ini).unwrap();
        assert_eq!(s.notify.smtp_password.reveal(), "pä55 word");
        assert!(
            protect_file(&ini).unwrap().is_empty(),
            "nothing left to encrypt"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
