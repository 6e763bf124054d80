//! Writes assets/nf-svc.ico (16–256 px) and assets/nf-svc.png (256 px) from the icon drawing
//! code. `cargo run --example make_icons`; a test checks the files match the code.

use nf_svc::tray::icon::{IconState, ico, png};

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
