//! The log outputs: the seed's three rotating logs, `latest-summary.txt` and the log folder's
//! own care, each an [`crate::sink::Output`]; the words they share ([`wording`],
//! [`summary_text`]) and how a failing write is said once ([`trouble`]).
//!
//! The other outputs live with their domains; `core::outputs` assembles them all and lists
//! them in one table.

pub mod dump;
pub mod files;
pub mod folder;
pub mod latest;
pub mod service_log;
pub mod summary_log;
pub mod summary_text;
pub mod trouble;
pub mod wording;

pub use latest::LATEST_SUMMARY;
