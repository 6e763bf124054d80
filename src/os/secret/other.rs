//! Passwords in the ini: DPAPI exists only on Windows. Elsewhere they are kept plainly, and
//! the README says to make the ini readable by its owner only.

/// Whether this system can encrypt passwords in the ini.
pub const CAN_PROTECT: bool = false;

pub fn protect(_plain: &str) -> Result<Vec<u8>, String> {
    Err("passwords are encrypted only on Windows (DPAPI); here, make the settings file readable by its owner only (chmod 600)".into())
}

pub fn unprotect(_sealed: &[u8]) -> Result<String, String> {
    Err("it was encrypted by Windows for one PC (DPAPI) and can be read only there; type it here plainly, and make the file readable by its owner only".into())
}
