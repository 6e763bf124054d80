//! The icon files in assets/ (embedded in the Windows exe, shown by toasts) are the icon the
//! tray draws: regenerate them with `cargo run --example make_icons` when the drawing changes.

#[path = "../examples/make_icons.rs"]
mod make_icons;

use nf_svc::tray::icon::{IconState, PNG};

#[test]
fn assets_are_the_drawn_icon() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/");
    let ico_file = std::fs::read(format!("{dir}nf-svc.ico")).expect("assets/nf-svc.ico");
    assert_eq!(
        ico_file,
        make_icons::ico(IconState::Collecting),
        "regenerate with cargo run --example make_icons"
    );
    assert_eq!(
        u16::from_le_bytes([ico_file[4], ico_file[5]]),
        5,
        "five sizes"
    );
    assert_eq!(PNG, make_icons::png(IconState::Collecting, 256).as_slice());
    for (name, state) in [
        ("paused", IconState::Paused),
        ("error", IconState::Error),
        ("alert", IconState::Alert),
    ] {
        let file = std::fs::read(format!("{dir}nf-svc-{name}.png")).unwrap();
        assert_eq!(file, make_icons::png(state, 64), "{name} preview");
    }
}
