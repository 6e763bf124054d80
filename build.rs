//! Windows builds get nf-svc's icon, version information from Cargo.toml and a manifest
//! (asInvoker, per-monitor DPI aware v2, common controls v6) embedded in the exe, compiled
//! with the resource compiler of the toolchain (mingw's windres when cross-building on Linux).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=assets/nf-svc.ico");
    println!("cargo:rerun-if-changed=assets/nf-svc.manifest");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/nf-svc.ico")
        .set_manifest_file("assets/nf-svc.manifest")
        .set("ProductName", "nf-svc")
        .set("CompanyName", "The nf-svc developers")
        .set("FileDescription", "nf-svc NetFlow/IPFIX collector")
        .set("LegalCopyright", "MIT License, The nf-svc developers")
        .set("OriginalFilename", "nf-svc.exe")
        .set("InternalName", "nf-svc");
    if let Err(e) = res.compile_for("nf-svc") {
        panic!(
            "cannot embed the Windows resources (icon, version, manifest): {e}. \
             Cross-building on Debian needs the mingw toolchain: apt install gcc-mingw-w64-x86-64"
        );
    }
}
