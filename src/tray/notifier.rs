//! Toasts, sent from their own thread: showing one never blocks the tray or the collector.
//! No notification service (or Wine's 0x80040154) is a warning in the service log, once.

use std::path::PathBuf;
use std::sync::mpsc;

/// A toast to show; `open` is what a click opens (where the platform reports clicks).
#[derive(Debug, Clone)]
pub struct Toast {
    pub title: String,
    pub body: String,
    pub open: Option<PathBuf>,
}

/// Queue toasts to the notification thread.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::Sender<Toast>,
}

impl Notifier {
    /// Start the notification thread. `app_id` is the Windows AppUserModelID, if registered.
    pub fn start(app_id: Option<String>, icon: Option<PathBuf>) -> Notifier {
        let (tx, rx) = mpsc::channel::<Toast>();
        let _ = std::thread::Builder::new()
            .name("nf-svc-toasts".into())
            .spawn(move || {
                let mut warned = false;
                for t in rx {
                    if let Err(e) = show(&t, app_id.as_deref(), icon.as_deref()) {
                        if !warned {
                            log::warn!(
                                "cannot show notifications ({e}); they appear in this log only"
                            );
                            warned = true;
                        }
                        log::info!("notification: {} — {}", t.title, t.body);
                    }
                }
            });
        Notifier { tx }
    }

    pub fn show(&self, title: impl Into<String>, body: impl Into<String>, open: Option<PathBuf>) {
        let _ = self.tx.send(Toast {
            title: title.into(),
            body: body.into(),
            open,
        });
    }
}

fn show(t: &Toast, app_id: Option<&str>, icon: Option<&std::path::Path>) -> Result<(), String> {
    let mut n = notify_rust::Notification::new();
    n.summary(&t.title).body(&t.body).appname("nf-svc");
    if let Some(icon) = icon {
        n.icon(&icon.to_string_lossy());
    }
    #[cfg(windows)]
    if let Some(id) = app_id {
        n.app_id(id);
    }
    #[cfg(not(windows))]
    let _ = app_id;
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        if t.open.is_some() {
            n.action("default", "Open");
        }
        let handle = n.show().map_err(|e| e.to_string())?;
        if let Some(path) = t.open.clone() {
            // Waiting for a click blocks, so it gets a thread of its own.
            let _ = std::thread::Builder::new()
                .name("nf-svc-toast-click".into())
                .spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            let _ = crate::os::open_path(&path);
                        }
                    });
                });
        }
        Ok(())
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = &t.open;
        n.show().map(|_| ()).map_err(|e| e.to_string())
    }
}
