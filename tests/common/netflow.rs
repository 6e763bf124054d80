#![allow(unused_imports)]
//! The datagram builders live in the library's test kit, shared with the benches and the load
//! generator.

pub use nf_svc::testkit::netflow::*;
