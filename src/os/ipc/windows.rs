//! The single instance (a per-user mutex and named pipe) and the status endpoint (one named
//! pipe for the machine, with a security descriptor) on Windows.

use super::wide;
use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

/// The per-user named pipe of the running instance.
pub fn instance_endpoint() -> io::Result<PathBuf> {
    let user = std::env::var("USERNAME").unwrap_or_else(|_| "user".into());
    Ok(PathBuf::from(format!(r"\\.\pipe\nf-svc-{user}")))
}

/// Become the running instance, or hand `message` to the one that already is.
///
/// A per-user named mutex is the claim (Wine ignores the pipe's first-instance flag, and a
/// mutex is what Windows programs use for this anyway). The running instance serves the
/// per-user pipe: each line later launches, or setup, write there is passed to `on_message`.
pub fn instance_claim(
    endpoint: &Path,
    message: &str,
    on_message: impl Fn(String) + Send + 'static,
) -> io::Result<bool> {
    use tokio::io::AsyncBufReadExt;
    use tokio::net::windows::named_pipe::ServerOptions;
    use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, GetLastError};
    use windows_sys::Win32::System::Threading::CreateMutexW;
    let user = std::env::var("USERNAME").unwrap_or_else(|_| "user".into());
    let mutex_name = wide(OsStr::new(&format!(r"Local\nf-svc-{user}")));
    // SAFETY: a valid NUL-terminated name; the handle is kept for the life of the process
    // (the claim ends when the process does).
    let (mutex, already) = unsafe {
        let h = CreateMutexW(std::ptr::null(), 0, mutex_name.as_ptr());
        (h, GetLastError() == ERROR_ALREADY_EXISTS)
    };
    if mutex.is_null() {
        return Err(io::Error::last_os_error());
    }
    if already {
        if let Err(e) = tell_running(endpoint, message) {
            eprintln!("nf-svc is already running but does not answer ({e})");
        }
        return Ok(false);
    }
    let name = endpoint.as_os_str().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let first = {
        let _g = rt.enter();
        ServerOptions::new()
            .first_pipe_instance(true)
            .create(&name)?
    };
    std::thread::Builder::new()
        .name("nf-svc-instance".into())
        .spawn(move || {
            rt.block_on(async move {
                let mut server = first;
                loop {
                    if server.connect().await.is_err() {
                        continue;
                    }
                    // The next client finds a fresh instance while this one is read.
                    let next = match ServerOptions::new().create(&name) {
                        Ok(n) => n,
                        Err(_) => return,
                    };
                    // A launch writes one short line: a connection is read up to 64 KiB.
                    let conn = tokio::io::AsyncReadExt::take(server, 64 * 1024);
                    let mut lines = tokio::io::BufReader::new(conn).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        on_message(line);
                    }
                    server = next;
                }
            })
        })?;
    Ok(true)
}

/// The status endpoint's pipe: one for the machine, so a tray in any session finds the
/// service (session 0) or a console collector.
const STATUS_PIPE: &str = r"\\.\pipe\nf-svc-status";

/// Who may use the status pipe: SYSTEM, administrators and the collector's own account fully;
/// interactive users (anyone logged in at this machine) read the status and ask for pause,
/// resume and reports. Nobody from the network.
const STATUS_PIPE_SDDL: &str = "D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;OW)(A;;GRGW;;;IU)";

/// Where a collector serves its status endpoint.
pub fn status_endpoint() -> io::Result<PathBuf> {
    Ok(PathBuf::from(STATUS_PIPE))
}

/// Where a tray looks for a collector.
pub fn status_endpoints() -> Vec<PathBuf> {
    vec![PathBuf::from(STATUS_PIPE)]
}

/// A connection to the status endpoint, as the collector sees it.
pub type LocalConn = tokio::net::windows::named_pipe::NamedPipeServer;

/// Who is at the other end of a status connection, for the log: `DOMAIN\\user (process 4242)`
/// (the client's process, as Windows' pipe reports it, and the account it runs as).
pub fn peer(conn: &LocalConn) -> String {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::System::Pipes::GetNamedPipeClientProcessId;
    let mut pid = 0u32;
    // SAFETY: the handle is the connected pipe's, open for the call; pid is a valid out pointer.
    let ok = unsafe { GetNamedPipeClientProcessId(conn.as_raw_handle(), &mut pid) };
    if ok == 0 {
        return "an unknown local client".into();
    }
    match process_user(pid) {
        Some(user) => format!("{user} (process {pid})"),
        None => format!("process {pid}"),
    }
}

/// The account process `pid` runs as, `DOMAIN\\user`.
fn process_user(pid: u32) -> Option<String> {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::Security::{
        GetTokenInformation, LookupAccountSidW, SID_NAME_USE, TOKEN_QUERY, TOKEN_USER, TokenUser,
    };
    use windows_sys::Win32::System::Threading::{
        OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: plain Win32 calls with valid out pointers; every handle opened is closed.
    unsafe {
        let process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if process.is_null() {
            return None;
        }
        let mut token: HANDLE = std::ptr::null_mut();
        let opened = OpenProcessToken(process, TOKEN_QUERY, &mut token);
        CloseHandle(process);
        if opened == 0 {
            return None;
        }
        // TOKEN_USER with its SID: a few dozen bytes; 256 u64s leave room and keep alignment.
        let mut buf = [0u64; 256];
        let mut len = 0u32;
        let got = GetTokenInformation(
            token,
            TokenUser,
            buf.as_mut_ptr().cast(),
            std::mem::size_of_val(&buf) as u32,
            &mut len,
        );
        CloseHandle(token);
        if got == 0 {
            return None;
        }
        let user = &*(buf.as_ptr() as *const TOKEN_USER);
        let (mut name, mut domain) = ([0u16; 256], [0u16; 256]);
        let (mut name_len, mut domain_len) = (256u32, 256u32);
        let mut kind: SID_NAME_USE = 0;
        let found = LookupAccountSidW(
            std::ptr::null(),
            user.User.Sid,
            name.as_mut_ptr(),
            &mut name_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        );
        if found == 0 {
            return None;
        }
        let name = String::from_utf16_lossy(&name[..name_len as usize]);
        let domain = String::from_utf16_lossy(&domain[..domain_len as usize]);
        Some(if domain.is_empty() {
            name
        } else {
            format!("{domain}\\{name}")
        })
    }
}

/// A connection to the status endpoint, as a client sees it.
pub type LocalClient = std::fs::File;

/// A security descriptor made from SDDL, freed on drop.
struct Descriptor(windows_sys::Win32::Security::PSECURITY_DESCRIPTOR);

// SAFETY: the descriptor is plain memory owned by this value, read only by CreateNamedPipe.
unsafe impl Send for Descriptor {}

impl Descriptor {
    fn from_sddl(sddl: &str) -> io::Result<Descriptor> {
        use windows_sys::Win32::Security::Authorization::{
            ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
        };
        let w = wide(OsStr::new(sddl));
        let mut sd = std::ptr::null_mut();
        // SAFETY: a valid NUL-terminated string and out pointer; freed with LocalFree on drop.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                w.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Descriptor(sd))
    }
}

impl Drop for Descriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe {
            windows_sys::Win32::Foundation::LocalFree(self.0);
        }
    }
}

/// The status endpoint's pipe: one instance waits for the next client at any time.
pub struct LocalListener {
    next: LocalConn,
    name: PathBuf,
    sd: Descriptor,
}

impl LocalListener {
    fn instance(name: &Path, sd: &Descriptor, first: bool) -> io::Result<LocalConn> {
        use tokio::net::windows::named_pipe::ServerOptions;
        use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
        let mut sa = SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: sd.0,
            bInheritHandle: 0,
        };
        // SAFETY: `sa` and the descriptor it points to outlive the call.
        unsafe {
            ServerOptions::new()
                .first_pipe_instance(first)
                .max_instances(16)
                .create_with_security_attributes_raw(
                    name,
                    (&mut sa as *mut SECURITY_ATTRIBUTES).cast(),
                )
        }
    }

    /// Create the pipe (inside a tokio runtime). Taken by another collector: an error.
    pub fn bind(name: &Path) -> io::Result<LocalListener> {
        let sd = Descriptor::from_sddl(STATUS_PIPE_SDDL)?;
        let next = Self::instance(name, &sd, true)?;
        Ok(LocalListener {
            next,
            name: name.to_path_buf(),
            sd,
        })
    }

    pub async fn accept(&mut self) -> io::Result<LocalConn> {
        let connected = self.next.connect().await;
        // A fresh instance waits for the next client, whether this one came or failed.
        let fresh = Self::instance(&self.name, &self.sd, false)?;
        let conn = std::mem::replace(&mut self.next, fresh);
        connected.map(|()| conn)
    }
}

/// Connect to a status endpoint, waiting up to `timeout` while every instance is busy.
/// (A pipe opened for synchronous I/O has no read timeout: the endpoint answers at once, and
/// a watching client is told every few seconds.)
pub fn local_connect(path: &Path, timeout: std::time::Duration) -> io::Result<LocalClient> {
    const ERROR_PIPE_BUSY: i32 = 231;
    let end = std::time::Instant::now() + timeout;
    loop {
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            Err(e)
                if e.raw_os_error() == Some(ERROR_PIPE_BUSY) && std::time::Instant::now() < end =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

/// Write one line to the running instance's pipe. It may have only just claimed the mutex, or
/// be between two clients: retry for a few seconds.
fn tell_running(endpoint: &Path, message: &str) -> io::Result<()> {
    use std::io::Write;
    let mut last = None;
    for _ in 0..50 {
        match std::fs::OpenOptions::new().write(true).open(endpoint) {
            Ok(mut f) => {
                f.write_all(message.as_bytes())?;
                return f.write_all(b"\n");
            }
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(last.unwrap_or_else(|| io::Error::other("no answer")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_runs_as_the_logged_on_user() {
        let user = super::process_user(std::process::id()).expect("the account of this process");
        let me = std::env::var("USERNAME").unwrap_or_default();
        assert!(
            user.to_lowercase().ends_with(&me.to_lowercase()),
            "{user} is not {me}"
        );
    }
}
