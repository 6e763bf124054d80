//! nf-svc: a NetFlow/IPFIX collector for people who are not network engineers.
//!
//! The data path reads top to bottom in the module tree:
//!
//! 1. [`settings`] — the ini file, validated with file/line/key errors.
//! 2. [`receive`] — UDP sockets on every configured port and address, read many datagrams a
//!    system call.
//!    [`forward`] — every accepted datagram also sent on, unchanged, to bigger collectors.
//! 3. [`decode`] — one file per wire family (NetFlow v5/v7, v9, IPFIX, sFlow) behind a thin
//!    adapter for netflow_parser, scoped per exporter, into [`flow::FlowRecord`]s.
//! 4. [`flow`] — the normalized record every later stage reads.
//! 5. [`summary`], [`alerts`], [`health`] — interval summaries, traffic incidents,
//!    per-exporter counters and events.
//! 6. [`output`] — everything that consumes them, behind one seam: the flow dump, the summary
//!    log, `latest-summary.txt`, the service log, the event stream the tray reads, and the
//!    per-minute [`history`] in SQLite.
//! 7. [`core`] — the pipeline that counts and dispatches, started by [`core::start`], driven
//!    through a small [`core::CoreHandle`] by the headless runner ([`app::headless`]) and the
//!    tray ([`tray`]).
//! 8. [`companion`] — a running collector's status, events and pause served on a local
//!    endpoint, for a tray that does not own it (the Windows service's, a console's) and for
//!    `nf-svc status`.
//!
//! Beside the path: [`words`] (units and names, said one way everywhere) and [`os`] (what
//! differs per operating system, one file per OS).

pub mod alerts;
pub mod app;
pub mod companion;
pub mod core;
pub mod decode;
pub mod entry;
pub mod flow;
pub mod forward;
pub mod fuzzing;
pub mod health;
pub mod history;
pub mod names;
pub mod notify;
pub mod os;
pub mod output;
pub mod receive;
pub mod report;
pub mod settings;
pub mod sink;
pub mod summary;
pub mod testkit;
pub mod tray;
pub mod words;
