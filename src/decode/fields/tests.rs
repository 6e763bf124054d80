//! Template fields into records: every element, times, sampling fields.

use super::*;

#[test]
fn uptime_conversion_handles_wrap() {
    assert_eq!(uptime_to_unix(1_000_000, 5000, 4000), 999_000);
    // The flow started just before the uptime counter wrapped.
    assert_eq!(uptime_to_unix(1_000_000, 100, u32::MAX - 899), 999_000);
    // Flows ending after the header time (clock skew) are kept as they are.
    assert_eq!(uptime_to_unix(1_000_000, 5000, 6000), 1_001_000);
}

#[test]
fn sampling_rate_forms() {
    let mut s = SamplingFields {
        interval: Some(100),
        ..Default::default()
    };
    assert_eq!(s.rate(), Some(100));
    s = SamplingFields {
        packet_interval: Some(1),
        packet_space: Some(999),
        ..Default::default()
    };
    assert_eq!(s.rate(), Some(1000));
    s = SamplingFields {
        size: Some(1),
        population: Some(64),
        ..Default::default()
    };
    assert_eq!(s.rate(), Some(64));
    assert_eq!(SamplingFields::default().rate(), None);
}

#[test]
fn counters_prefer_delta_then_total_and_times_resolve() {
    let mut f = Fields::default();
    f.set(85, &FieldValue::DataNumber(DataNumber::U32(500)));
    f.set(22, &FieldValue::DataNumber(DataNumber::U32(9_000)));
    f.set(21, &FieldValue::DataNumber(DataNumber::U32(10_000)));
    f.set(8, &FieldValue::Ip4Addr("10.0.0.1".parse().unwrap()));
    let r = f.finish(Clock::Uptime {
        unix_ms: 1_700_000_000_000,
        uptime_ms: 12_000,
    });
    assert_eq!(r.bytes, 500);
    assert_eq!(r.etype, ETYPE_IPV4);
    assert_eq!(r.time_flow_start_ms, 1_700_000_000_000 - 3000);
    assert_eq!(r.time_flow_end_ms, 1_700_000_000_000 - 2000);
}

#[test]
fn ipfix_absolute_and_ntp_times() {
    let mut f = Fields::default();
    f.set(
        152,
        &FieldValue::Duration(DurationValue::Millis {
            value: 1_600_000_000_123,
            width: 8,
        }),
    );
    f.set(
        155,
        &FieldValue::Duration(DurationValue::MicrosNtp {
            seconds: (1_600_000_001 + NTP_UNIX_OFFSET) as u32,
            fraction: 1 << 31,
        }),
    );
    let r = f.finish(Clock::Export {
        unix_secs: 1_600_000_002,
        init_ms: None,
    });
    assert_eq!(r.time_flow_start_ms, 1_600_000_000_123);
    assert_eq!(r.time_flow_end_ms, 1_600_000_001_500);
}

#[test]
fn mpls_labels_are_unpacked() {
    let mut f = Fields::default();
    f.set(70, &FieldValue::DataNumber(DataNumber::U24(16 << 4)));
    f.set(71, &FieldValue::Vec(vec![0, 1, 0x11]));
    let r = f.finish(Clock::Export {
        unix_secs: 0,
        init_ms: None,
    });
    assert_eq!(r.mpls_count, 2);
    assert_eq!(r.mpls_labels, [16, 17, 0]);
    assert_eq!(r.mpls_last_label, 17);
}
