//! Where the ini lives, and creating it at first run.
//!
//! In order: `--config PATH`; else `nf-svc.ini` next to the exe if it exists (a portable copy,
//! as the old service worked); else the per-user config folder (`%APPDATA%\nf-svc` on
//! Windows, `$XDG_CONFIG_HOME/nf-svc` on Linux). A file that exists is never rewritten.

use std::io;
use std::path::{Path, PathBuf};

/// Which rule chose the ini, for the service log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IniLocation {
    /// Given with `--config`.
    Explicit(PathBuf),
    /// Next to the exe.
    Portable(PathBuf),
    /// The per-user config folder.
    User(PathBuf),
}

impl IniLocation {
    pub fn path(&self) -> &Path {
        match self {
            IniLocation::Explicit(p) | IniLocation::Portable(p) | IniLocation::User(p) => p,
        }
    }
}

/// The exe's base name without extension (`nf-svc`), which names the ini and the logs.
pub fn exe_stem() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "nf-svc".to_string())
}

/// Pick the ini path (it need not exist yet).
pub fn locate_ini(explicit: Option<&Path>) -> IniLocation {
    if let Some(p) = explicit {
        return IniLocation::Explicit(p.to_path_buf());
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        for name in [format!("{}.ini", exe_stem()), "nf-svc.ini".to_string()] {
            let p = dir.join(name);
            if p.is_file() {
                return IniLocation::Portable(p);
            }
        }
    }
    let base = dirs::config_dir().unwrap_or_else(|| PathBuf::from("."));
    IniLocation::User(base.join("nf-svc").join("nf-svc.ini"))
}

/// Create the ini with the documented defaults when it does not exist. Returns whether it was
/// created. An existing file is left exactly as it is.
pub fn ensure_ini(path: &Path) -> io::Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let text = if cfg!(windows) {
        super::DEFAULT_INI.replace('\n', "\r\n")
    } else {
        super::DEFAULT_INI.to_string()
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            io::Write::write_all(&mut f, text.as_bytes())?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_and_never_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("nf-svc.ini");
        assert!(ensure_ini(&p).unwrap());
        let (s, w) = crate::settings::load(&p).unwrap();
        assert!(w.is_empty());
        assert_eq!(s.receive.ports, vec![2055]);
        std::fs::write(&p, "; mine\n[Settings]\nPort = 9999\n").unwrap();
        assert!(!ensure_ini(&p).unwrap());
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "; mine\n[Settings]\nPort = 9999\n"
        );
    }

    #[test]
    fn explicit_path_wins() {
        let l = locate_ini(Some(Path::new("/x/y.ini")));
        assert_eq!(l, IniLocation::Explicit(PathBuf::from("/x/y.ini")));
    }
}
