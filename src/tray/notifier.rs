//! Toasts, sent from their own thread: showing one never blocks the tray or the collector.
//! No notification service (or Wine's 0x80040154) is a warning in the service log, once.
//!
//! A toast may say what a click on it opens ([`Click`]); the click comes back to the tray
//! (which makes the page fresh first) through the callback given at start. Linux reports the
//! click as the notification's default action, Windows through the toast's activation — both
//! as `NotificationResponse::Default` from notify-rust.

use crate::report::Page;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

/// What a click on a toast (or a menu item) does.
#[derive(Debug, Clone, PartialEq)]
pub enum Click {
    /// A page made fresh first: the overview or an incident's device report.
    Page(Page),
    /// A file or folder as it is.
    Path(PathBuf),
    /// Start collecting in this tray (the collector it watched stopped).
    CollectHere,
}

/// A toast to show.
#[derive(Debug, Clone)]
pub struct Toast {
    pub title: String,
    pub body: String,
    pub click: Option<Click>,
}

/// Queue toasts to the notification thread.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::Sender<Toast>,
}

type OnClick = Arc<dyn Fn(Click) + Send + Sync>;

impl Notifier {
    /// Start the notification thread. `app_id` is the Windows AppUserModelID, if registered;
    /// `on_click` gets what a clicked toast said it opens.
    pub fn start(
        app_id: Option<String>,
        icon: Option<PathBuf>,
        on_click: impl Fn(Click) + Send + Sync + 'static,
    ) -> Notifier {
        let (tx, rx) = mpsc::channel::<Toast>();
        let on_click: OnClick = Arc::new(on_click);
        let _ = std::thread::Builder::new()
            .name("nf-svc-toasts".into())
            .spawn(move || {
                let mut warned = false;
                for t in rx {
                    if let Err(e) = show(&t, app_id.as_deref(), icon.as_deref(), &on_click) {
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

    pub fn show(&self, title: impl Into<String>, body: impl Into<String>, click: Option<Click>) {
        let _ = self.tx.send(Toast {
            title: title.into(),
            body: body.into(),
            click,
        });
    }
}

fn show(
    t: &Toast,
    app_id: Option<&str>,
    icon: Option<&std::path::Path>,
    on_click: &OnClick,
) -> Result<(), String> {
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
    if t.click.is_some() {
        // Linux: the body click is the "default" action; Windows reports it by itself.
        n.action("default", "Open");
    }
    let handle = n.show().map_err(|e| e.to_string())?;
    #[cfg(any(windows, all(unix, not(target_os = "macos"))))]
    if let Some(click) = t.click.clone() {
        let on_click = on_click.clone();
        // Waiting for a click blocks, so it gets a thread of its own.
        let _ = std::thread::Builder::new()
            .name("nf-svc-toast-click".into())
            .spawn(move || {
                let _ = handle.wait_for_response(|r: &notify_rust::NotificationResponse| {
                    if matches!(r, notify_rust::NotificationResponse::Default)
                        || matches!(r, notify_rust::NotificationResponse::Action(a) if a == "default")
                    {
                        on_click(click);
                    }
                });
            });
    }
    #[cfg(not(any(windows, all(unix, not(target_os = "macos")))))]
    let _ = (handle, on_click);
    Ok(())
}
