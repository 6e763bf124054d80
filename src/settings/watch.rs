//! Watch the ini: editors save by writing, truncating or renaming, so the folder is watched
//! and any event naming the file counts; the tray and the headless runner wait [`SETTLE`]
//! after the last change before reading it.

use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::time::Duration;

/// Editors save in several steps: wait this long after the last change before reloading.
pub const SETTLE: Duration = Duration::from_millis(400);

pub struct IniWatcher {
    _watcher: notify::RecommendedWatcher,
}

impl IniWatcher {
    pub fn start(ini: &Path, changed: impl Fn() + Send + 'static) -> Result<IniWatcher, String> {
        let name = ini
            .file_name()
            .map(|n| n.to_os_string())
            .ok_or("no file name")?;
        let dir = ini
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res
                && !ev.kind.is_access()
                && ev
                    .paths
                    .iter()
                    .any(|p| p.file_name() == Some(name.as_os_str()))
            {
                changed();
            }
        })
        .map_err(|e| e.to_string())?;
        w.watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| e.to_string())?;
        Ok(IniWatcher { _watcher: w })
    }
}
