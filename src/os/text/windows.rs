//! Text in the system's ANSI code page (what Notepad saves as "ANSI").

/// `bytes` read in the system's ANSI code page (what Notepad saves as "ANSI"), with the code
/// page's number.
pub fn ansi_to_string(bytes: &[u8]) -> Option<(String, u32)> {
    use std::os::windows::ffi::OsStringExt;
    use windows_sys::Win32::Globalization::{CP_ACP, GetACP, MultiByteToWideChar};
    let len = i32::try_from(bytes.len()).ok()?;
    if len == 0 {
        return Some((String::new(), unsafe { GetACP() }));
    }
    // SAFETY: the input slice and its length; the first call asks for the size, the second
    // writes at most that many UTF-16 units into a buffer of that size.
    unsafe {
        let n = MultiByteToWideChar(CP_ACP, 0, bytes.as_ptr(), len, std::ptr::null_mut(), 0);
        if n <= 0 {
            return None;
        }
        let mut wide = vec![0u16; n as usize];
        let n = MultiByteToWideChar(CP_ACP, 0, bytes.as_ptr(), len, wide.as_mut_ptr(), n);
        if n <= 0 {
            return None;
        }
        wide.truncate(n as usize);
        let text = std::ffi::OsString::from_wide(&wide)
            .to_string_lossy()
            .into_owned();
        Some((text, GetACP()))
    }
}
