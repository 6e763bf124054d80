//! Names from the network are untrusted text: a router's lease comment, a PTR answer, a NetBIOS
//! name. Each is cut to what a name can be, and anything that is not printable is dropped, so a
//! name never breaks a log line, a CSV row or a page (pages escape HTML on top of this).

/// The longest name kept, in characters (a DNS name is at most 253).
pub const MAX_NAME: usize = 253;

/// `raw` as a name: control characters (new lines, escapes, NUL) dropped, whitespace runs made
/// one space, trimmed, cut to [`MAX_NAME`] characters; `None` when nothing is left.
pub fn name(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            continue;
        }
        if out.chars().count() >= MAX_NAME {
            break;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_go_and_long_names_are_cut() {
        assert_eq!(
            name("  Front\tdesk \r\n till "),
            Some("Front desk till".into())
        );
        assert_eq!(name("evil\u{1b}[31m\u{0}name"), Some("evil[31mname".into()));
        assert_eq!(
            name("a\u{202e}b"),
            Some("ab".into()),
            "no direction overrides"
        );
        assert_eq!(name(" \n\t"), None);
        let long = "x".repeat(10_000);
        assert_eq!(name(&long).unwrap().len(), MAX_NAME);
        assert_eq!(
            name("<b>tag</b>"),
            Some("<b>tag</b>".into()),
            "pages escape HTML"
        );
    }
}
