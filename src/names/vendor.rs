//! MAC vendors from the IEEE registries (MA-L, MA-M, MA-S, CID, IAB), compiled in by the
//! oui-data crate (its data: the IEEE's CSV files as of its release; see docs/guide.md).

/// The organisation a MAC address (low 48 bits) was assigned to, if the registries know it.
/// Locally administered addresses (randomised phones, VMs) belong to no vendor.
pub fn of(mac: u64) -> Option<&'static str> {
    if mac == 0 || (mac >> 40) & 0x02 != 0 {
        return None;
    }
    let mut hex = [0u8; 12];
    for (i, h) in hex.iter_mut().enumerate() {
        let nibble = (mac >> (44 - 4 * i)) & 0xf;
        *h = b"0123456789ABCDEF"[nibble as usize];
    }
    let hex = std::str::from_utf8(&hex).ok()?;
    oui_data::lookup(hex).map(|r| short(r.organization()))
}

/// The registries' names in a word or two: "Brother industries, LTD." reads "Brother".
fn short(org: &'static str) -> &'static str {
    let first = org
        .split([',', '('])
        .next()
        .unwrap_or(org)
        .trim_end_matches(" Inc.")
        .trim_end_matches(" Corporation")
        .trim_end_matches(" Co.")
        .trim();
    let words: Vec<&str> = first.split_whitespace().collect();
    match words.as_slice() {
        [
            one,
            "industries" | "Industries" | "Electronics" | "Technology" | "Technologies",
            ..,
        ] => &first[..one.len()],
        _ => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_prefix_and_one_from_the_latest_year() {
        assert_eq!(of(0x0080_7711_2233), Some("Brother"));
        // 00:35:A9 is not in the registry as oui-data had it on 2026-07-30 (its
        // d45dc1a), and is in the release nf-svc builds with: assigned within the last year.
        assert_eq!(of(0x0035_a900_0001), Some("Juniper Networks"));
        assert_eq!(of(0), None);
        assert_eq!(of(0x0200_0000_0001), None, "locally administered");
        assert_eq!(of(0xfeff_ffff_ffff), None);
    }
}
