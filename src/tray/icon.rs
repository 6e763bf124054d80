//! The tray icon, drawn for the job: a rounded badge with three bars of rising "traffic",
//! green while collecting, grey when paused, red on an error, amber while an alert is active.
//! Drawn in code at any size, so the tray, the .ico and the .png in assets/ are one design.

/// What the icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconState {
    Collecting,
    Paused,
    Error,
    Alert,
}

impl IconState {
    fn color(self) -> [u8; 3] {
        match self {
            IconState::Collecting => [0x1f, 0x8a, 0x4c],
            IconState::Paused => [0x80, 0x86, 0x8b],
            IconState::Error => [0xc6, 0x28, 0x28],
            IconState::Alert => [0xe6, 0x8a, 0x00],
        }
    }
}

/// Coverage of pixel (x, y) by a rounded rectangle, 4×4 supersampled (0..=16).
fn coverage(x: u32, y: u32, size: f32, inside: impl Fn(f32, f32) -> bool) -> u32 {
    let mut n = 0;
    for sy in 0..4 {
        for sx in 0..4 {
            let px = (x as f32 + (sx as f32 + 0.5) / 4.0) / size;
            let py = (y as f32 + (sy as f32 + 0.5) / 4.0) / size;
            if inside(px, py) {
                n += 1;
            }
        }
    }
    n
}

fn in_rounded(px: f32, py: f32, x0: f32, y0: f32, x1: f32, y1: f32, r: f32) -> bool {
    if px < x0 || px > x1 || py < y0 || py > y1 {
        return false;
    }
    let cx = px.clamp(x0 + r, x1 - r);
    let cy = py.clamp(y0 + r, y1 - r);
    (px - cx).powi(2) + (py - cy).powi(2) <= r * r
}

/// RGBA pixels of the icon at `size`×`size`.
pub fn draw(state: IconState, size: u32) -> Vec<u8> {
    let s = size as f32;
    let [r, g, b] = state.color();
    // Three bars, shortest to tallest: traffic rising.
    let bars = [(0.22, 0.58), (0.43, 0.42), (0.64, 0.24)];
    let mut out = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let bg = coverage(x, y, s, |px, py| {
                in_rounded(px, py, 0.04, 0.04, 0.96, 0.96, 0.22)
            });
            let fg = coverage(x, y, s, |px, py| {
                bars.iter()
                    .any(|(x0, top)| in_rounded(px, py, *x0, *top, x0 + 0.14, 0.80, 0.03))
            });
            let a = bg * 255 / 16;
            let mix = |c: u8| ((c as u32 * (16 - fg) + 255 * fg) / 16) as u8;
            out.extend_from_slice(&[mix(r), mix(g), mix(b), a as u8]);
        }
    }
    out
}

/// The icon for the tray at 32 px (the tray scales it).
pub fn tray_icon(state: IconState) -> Option<tray_icon::Icon> {
    tray_icon::Icon::from_rgba(draw(state, 32), 32, 32).ok()
}

/// The icon as a 256 px PNG (`assets/nf-svc.png`, written from [`draw`] by
/// `examples/make_icons.rs`; `tests/icons.rs` checks it still matches), for toasts.
pub const PNG: &[u8] = include_bytes!("../../assets/nf-svc.png");

/// The icon file toasts show: the PNG beside the exe (installed copies), else the one in the
/// per-user config folder, written on first use.
pub fn file() -> Option<std::path::PathBuf> {
    let exe_dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let beside = exe_dir.join("nf-svc.png");
    if beside.is_file() {
        return Some(beside);
    }
    let dir = dirs::config_dir()?.join("nf-svc");
    let p = dir.join("nf-svc.png");
    if !p.is_file() {
        std::fs::create_dir_all(&dir).ok()?;
        std::fs::write(&p, PNG).ok()?;
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_differs_from_every_other_and_the_corners_are_transparent() {
        let states = [
            IconState::Collecting,
            IconState::Paused,
            IconState::Alert,
            IconState::Error,
        ];
        let drawn: Vec<Vec<u8>> = states.iter().map(|s| draw(*s, 32)).collect();
        for (i, a) in drawn.iter().enumerate() {
            assert_eq!(a.len(), 32 * 32 * 4);
            assert_eq!(a[3], 0, "{:?}: top-left corner is transparent", states[i]);
            let centre_bg = (4 * 32 + 16) * 4;
            assert_eq!(a[centre_bg + 3], 255, "{:?}: the disc is opaque", states[i]);
            for (j, b) in drawn.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?} look alike", states[i], states[j]);
            }
        }
    }
}
