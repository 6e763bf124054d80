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

/// PNG bytes of the icon at `size`.
pub fn png(state: IconState, size: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        if let Ok(mut w) = enc.write_header() {
            let _ = w.write_image_data(&draw(state, size));
        }
    }
    out
}

/// The sizes the Windows .ico carries.
pub const ICO_SIZES: [u32; 5] = [16, 24, 32, 48, 256];

/// A Windows .ico with PNG-compressed images at [`ICO_SIZES`].
pub fn ico(state: IconState) -> Vec<u8> {
    let images: Vec<(u32, Vec<u8>)> = ICO_SIZES.iter().map(|s| (*s, png(state, *s))).collect();
    let mut out = Vec::new();
    out.extend_from_slice(&[0, 0, 1, 0]);
    out.extend_from_slice(&(images.len() as u16).to_le_bytes());
    let mut offset = 6 + 16 * images.len() as u32;
    for (size, data) in &images {
        let dim = if *size >= 256 { 0 } else { *size as u8 };
        out.extend_from_slice(&[dim, dim, 0, 0]);
        out.extend_from_slice(&1u16.to_le_bytes()); // planes
        out.extend_from_slice(&32u16.to_le_bytes()); // bits per pixel
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset += data.len() as u32;
    }
    for (_, data) in &images {
        out.extend_from_slice(data);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_differ_and_the_corners_are_transparent() {
        let a = draw(IconState::Collecting, 32);
        let b = draw(IconState::Paused, 32);
        let c = draw(IconState::Error, 32);
        assert_eq!(a.len(), 32 * 32 * 4);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a[3], 0, "top-left corner is transparent");
        let centre_bg = ((4 * 32 + 16) * 4) as usize;
        assert_eq!(a[centre_bg + 3], 255);
    }

    #[test]
    fn assets_are_the_drawn_icon() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/");
        let ico_file = std::fs::read(format!("{dir}nf-svc.ico"))
            .expect("assets/nf-svc.ico (cargo run --example make_icons)");
        assert_eq!(
            ico_file,
            ico(IconState::Collecting),
            "regenerate with cargo run --example make_icons"
        );
        let png_file = std::fs::read(format!("{dir}nf-svc.png")).unwrap();
        assert_eq!(png_file, png(IconState::Collecting, 256));
        assert_eq!(
            u16::from_le_bytes([ico_file[4], ico_file[5]]),
            5,
            "five sizes"
        );
    }
}
