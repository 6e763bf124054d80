//! Text in the system's code page: Unix has none beside UTF-8.

/// Text in the system's ANSI code page: there is none off Windows.
pub fn ansi_to_string(_bytes: &[u8]) -> Option<(String, u32)> {
    None
}
