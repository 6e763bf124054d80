//! nf-svc: a NetFlow/IPFIX collector for people who are not network engineers.
//!
//! The data path reads top to bottom in the module tree:
//!
//! 1. [`settings`] — the ini file, validated with file/line/key errors.
//! 2. [`receive`] — UDP listeners on every configured port and address.
//! 3. [`decode`] — netflow_parser, scoped per exporter, into [`flow::FlowRecord`]s.
//! 4. [`flow`] — the normalized record every later stage reads.
//! 5. [`summary`], [`dump`], [`alerts`], [`health`] — interval summaries, the flow dump, traffic
//!    alerts, per-exporter counters.
//! 6. [`output`] — the three rotating log files and `latest-summary.txt`.
//! 7. [`core`] — the pipeline that wires them, started by [`core::start`], driven through a
//!    small [`core::CoreHandle`] by the headless runner ([`app::headless`]) and the tray
//!    ([`tray`]); [`os`] holds what differs per operating system.

pub mod alerts;
pub mod app;
pub mod core;
pub mod decode;
pub mod dump;
pub mod flow;
pub mod health;
pub mod os;
pub mod output;
pub mod receive;
pub mod settings;
pub mod summary;
pub mod tray;
