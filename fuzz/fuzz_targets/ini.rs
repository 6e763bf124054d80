//! The settings reader on arbitrary bytes (see `nf_svc::fuzzing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nf_svc::fuzzing::ini(data);
});
