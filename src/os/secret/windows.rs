//! Passwords in the ini encrypted with DPAPI for this machine (`CRYPTPROTECT_LOCAL_MACHINE`):
//! the service's account and every user of this PC can read them back, another PC cannot —
//! a copied ini or backup does not give the password away.

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Cryptography::{
    CRYPT_INTEGER_BLOB, CRYPTPROTECT_LOCAL_MACHINE, CRYPTPROTECT_UI_FORBIDDEN, CryptProtectData,
    CryptUnprotectData,
};

/// Whether this system can encrypt passwords in the ini.
pub const CAN_PROTECT: bool = true;

fn blob(bytes: &[u8]) -> CRYPT_INTEGER_BLOB {
    CRYPT_INTEGER_BLOB {
        cbData: bytes.len() as u32,
        pbData: bytes.as_ptr() as *mut u8,
    }
}

/// The bytes DPAPI returned, freed with `LocalFree`.
fn take(out: CRYPT_INTEGER_BLOB) -> Vec<u8> {
    // SAFETY: DPAPI filled `out` with a LocalAlloc'ed buffer of `cbData` bytes.
    let v = unsafe { std::slice::from_raw_parts(out.pbData, out.cbData as usize) }.to_vec();
    // SAFETY: the buffer is DPAPI's, freed once.
    unsafe { LocalFree(out.pbData as _) };
    v
}

/// `plain` encrypted for this machine.
pub fn protect(plain: &str) -> Result<Vec<u8>, String> {
    let input = blob(plain.as_bytes());
    let mut out = CRYPT_INTEGER_BLOB {
        cbData: 0,
        pbData: std::ptr::null_mut(),
    };
    let description = super::wide(std::ffi::OsStr::new("nf-svc"));
    // SAFETY: every pointer is valid for the call; `out` is filled on success.
    let ok = unsafe {
        CryptProtectData(
            &input,
            description.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN,
            &mut out,
        )
    };
    if ok == 0 {
        return Err(format!(
            "Windows could not encrypt it ({})",
            std::io::Error::last_os_error()
        ));
    }
    Ok(take(out))
}

/// What [`protect`] encrypted, on this machine.
pub fn unprotect(sealed: &[u8]) -> Result<String, String> {
    let input = blob(sealed);
    let mut out = CRYPT_INTEGER_BLOB {
        cbData: 0,
        pbData: std::ptr::null_mut(),
    };
    // SAFETY: as in `protect`.
    let ok = unsafe {
        CryptUnprotectData(
            &input,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            CRYPTPROTECT_UI_FORBIDDEN,
            &mut out,
        )
    };
    if ok == 0 {
        return Err(format!(
            "it was encrypted on another PC, or is damaged ({}); type it again, plainly",
            std::io::Error::last_os_error()
        ));
    }
    String::from_utf8(take(out)).map_err(|_| "it is not text once decrypted".to_string())
}
