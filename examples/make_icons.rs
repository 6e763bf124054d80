//! Writes assets/nf-svc.ico (16–256 px) and assets/nf-svc.png (256 px) from the icon drawing
//! code. `cargo run --example make_icons`; `tests/icons.rs` checks the files match the code.
//!
//! The encoders live here, not in the program: nf-svc itself only draws RGBA for the tray and
//! carries the finished PNG with `include_bytes!`, so the `png` crate is a dev-dependency.

use nf_svc::tray::icon::{IconState, draw};

/// PNG bytes of the icon at `size`.
pub fn png(state: IconState, size: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size, size);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("PNG header");
        w.write_image_data(&draw(state, size)).expect("PNG data");
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

#[allow(dead_code)] // tests/icons.rs includes this file for its encoders only
fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(format!("{dir}/nf-svc.ico"), ico(IconState::Collecting)).unwrap();
    std::fs::write(format!("{dir}/nf-svc.png"), png(IconState::Collecting, 256)).unwrap();
    for (name, state) in [
        ("paused", IconState::Paused),
        ("error", IconState::Error),
        ("alert", IconState::Alert),
    ] {
        std::fs::write(format!("{dir}/nf-svc-{name}.png"), png(state, 64)).unwrap();
    }
    println!("wrote {dir}/nf-svc.ico, nf-svc.png and state previews");
}
