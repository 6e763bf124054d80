//! From template fields to the normalized record.
//!
//! NetFlow v9 and IPFIX number their fields the same way (IANA information elements; v9's
//! numbers are the first 127 of them plus Cisco's), so both decoders turn a field into its
//! element number and one `match` here fills the record. Fields nf-svc does not use are
//! skipped; a field the template does not carry stays zero ("absent").
//!
//! Times need the packet header (v9 and v5 count milliseconds since the exporter booted),
//! so they are gathered first and resolved in [`Fields::finish`].

use crate::flow::{Addr, ETYPE_IPV4, ETYPE_IPV6, FlowRecord};
use netflow_parser::variable_versions::field_value::DurationValue;
use netflow_parser::variable_versions::ipfix::lookup::IANAIPFixField as F;
use netflow_parser::{DataNumber, FieldValue, IpfixField};

/// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// The IANA element number of an IPFIX field nf-svc reads, `None` for the rest.
pub fn ipfix_element(f: &IpfixField) -> Option<u16> {
    let IpfixField::IANA(f) = f else {
        return None;
    };
    Some(match f {
        F::OctetDeltaCount => 1,
        F::PacketDeltaCount => 2,
        F::ProtocolIdentifier => 4,
        F::IpClassOfService => 5,
        F::TcpControlBits => 6,
        F::SourceTransportPort => 7,
        F::SourceIpv4address => 8,
        F::SourceIpv4prefixLength => 9,
        F::IngressInterface => 10,
        F::DestinationTransportPort => 11,
        F::DestinationIpv4address => 12,
        F::DestinationIpv4prefixLength => 13,
        F::EgressInterface => 14,
        F::IpNextHopIpv4address => 15,
        F::BgpSourceAsNumber => 16,
        F::BgpDestinationAsNumber => 17,
        F::FlowEndSysUpTime => 21,
        F::FlowStartSysUpTime => 22,
        F::SourceIpv6address => 27,
        F::DestinationIpv6address => 28,
        F::SourceIpv6prefixLength => 29,
        F::DestinationIpv6prefixLength => 30,
        F::FlowLabelIpv6 => 31,
        F::IcmpTypeCodeIpv4 => 32,
        F::SamplingInterval => 34,
        F::SamplingAlgorithm => 35,
        F::SamplerId => 48,
        F::SamplerRandomInterval => 50,
        F::MinimumTtl => 52,
        F::FragmentIdentification => 54,
        F::SourceMacaddress => 56,
        F::PostDestinationMacaddress => 57,
        F::VlanId => 58,
        F::PostVlanId => 59,
        F::IpVersion => 60,
        F::IpNextHopIpv6address => 62,
        F::MplsTopLabelStackSection => 70,
        F::MplsLabelStackSection2 => 71,
        F::MplsLabelStackSection3 => 72,
        F::MplsLabelStackSection4 => 73,
        F::MplsLabelStackSection5 => 74,
        F::MplsLabelStackSection6 => 75,
        F::MplsLabelStackSection7 => 76,
        F::MplsLabelStackSection8 => 77,
        F::MplsLabelStackSection9 => 78,
        F::MplsLabelStackSection10 => 79,
        F::DestinationMacaddress => 80,
        F::PostSourceMacaddress => 81,
        F::OctetTotalCount => 85,
        F::PacketTotalCount => 86,
        F::FragmentOffset => 88,
        F::ForwardingStatus => 89,
        F::IcmpTypeCodeIpv6 => 139,
        F::FlowStartSeconds => 150,
        F::FlowEndSeconds => 151,
        F::FlowStartMilliseconds => 152,
        F::FlowEndMilliseconds => 153,
        F::FlowStartMicroseconds => 154,
        F::FlowEndMicroseconds => 155,
        F::FlowStartNanoseconds => 156,
        F::FlowEndNanoseconds => 157,
        F::FlowStartDeltaMicroseconds => 158,
        F::FlowEndDeltaMicroseconds => 159,
        F::SystemInitTimeMilliseconds => 160,
        F::IcmpTypeIpv4 => 176,
        F::IcmpCodeIpv4 => 177,
        F::IcmpTypeIpv6 => 178,
        F::IcmpCodeIpv6 => 179,
        F::IpTtl => 192,
        F::IngressVrfid => 234,
        F::EgressVrfid => 235,
        F::BiflowDirection => 239,
        F::Dot1qVlanId => 243,
        F::EthernetType => 256,
        F::SelectorId => 302,
        F::SamplingPacketInterval => 305,
        F::SamplingPacketSpace => 306,
        F::SamplingSize => 309,
        F::SamplingPopulation => 310,
        F::ObservationTimeMilliseconds => 323,
        _ => return None,
    })
}

/// What [`Fields::set`] reads from a field's value, whoever decoded it: netflow_parser's
/// [`FieldValue`], or the fast path's raw bytes ([`super::compiled`]). Both give the same
/// answers for the same bytes; the differential test checks it.
pub trait Value {
    /// A number from any integer-like value.
    fn number(&self) -> Option<u64>;
    fn addr(&self) -> Addr;
    fn mac(&self) -> u64;
    /// Milliseconds (Unix) from an absolute time.
    fn abs_ms(&self) -> Option<u64>;
}

impl Value for FieldValue {
    fn number(&self) -> Option<u64> {
        match self {
            FieldValue::DataNumber(d) => match d {
                DataNumber::Vec(b) => be_bytes(b),
                other => other.as_u64(),
            },
            FieldValue::ProtocolType(p) => Some(u8::from(*p) as u64),
            FieldValue::TcpControlBits(bits, _) => Some(u16::from(*bits) as u64),
            FieldValue::ForwardingStatus(s) => Some(u8::from(*s) as u64),
            FieldValue::Vec(b) => be_bytes(b),
            // Uptime stamps (v9 FIRST/LAST_SWITCHED) and durations: the raw number as sent.
            FieldValue::Duration(d) => match d {
                DurationValue::Seconds { value, .. } | DurationValue::Millis { value, .. } => {
                    Some(*value)
                }
                DurationValue::MicrosNtp { .. } | DurationValue::NanosNtp { .. } => None,
            },
            _ => None,
        }
    }

    fn addr(&self) -> Addr {
        match self {
            FieldValue::Ip4Addr(a) => Addr::from(*a),
            FieldValue::Ip6Addr(a) => Addr::from(*a),
            _ => Addr::NONE,
        }
    }

    fn mac(&self) -> u64 {
        match self {
            FieldValue::MacAddr(b) => b.iter().fold(0u64, |acc, x| (acc << 8) | *x as u64),
            other => other.number().unwrap_or(0) & 0xffff_ffff_ffff,
        }
    }

    fn abs_ms(&self) -> Option<u64> {
        match self {
            FieldValue::Duration(DurationValue::MicrosNtp { seconds, fraction })
            | FieldValue::Duration(DurationValue::NanosNtp { seconds, fraction }) => {
                ntp_ms(*seconds, *fraction)
            }
            FieldValue::Duration(DurationValue::Seconds { value, .. }) => value.checked_mul(1000),
            other => other.number(),
        }
    }
}

/// An NTP timestamp (seconds since 1900, fraction of a second in 1/2^32) as Unix ms.
pub fn ntp_ms(seconds: u32, fraction: u32) -> Option<u64> {
    let secs = (seconds as u64).checked_sub(NTP_UNIX_OFFSET)?;
    Some(secs * 1000 + ((fraction as u64 * 1000) >> 32))
}

/// Big-endian bytes as a number (1 to 8 of them).
pub fn be_bytes(b: &[u8]) -> Option<u64> {
    (b.len() <= 8 && !b.is_empty()).then(|| b.iter().fold(0u64, |acc, x| (acc << 8) | *x as u64))
}

/// Sampling details a record or an options record carries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SamplingFields {
    /// Sampler or selector id (IE 48 / 302).
    pub sampler_id: Option<u64>,
    /// A 1-in-N rate read from 34, 50, 305/306 or 309/310.
    pub interval: Option<u64>,
    pub packet_interval: Option<u64>,
    pub packet_space: Option<u64>,
    pub size: Option<u64>,
    pub population: Option<u64>,
}

impl SamplingFields {
    /// The 1-in-N rate these fields describe, if any.
    pub fn rate(&self) -> Option<u64> {
        if let Some(n) = self.interval.filter(|n| *n > 0) {
            return Some(n);
        }
        if let (Some(i), Some(s)) = (self.packet_interval.filter(|n| *n > 0), self.packet_space) {
            return Some(i.saturating_add(s) / i);
        }
        if let (Some(size), Some(pop)) = (self.size.filter(|n| *n > 0), self.population) {
            return Some(pop / size);
        }
        None
    }
}

/// Everything read from one data record, before the header's clock resolves the times.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fields {
    pub rec: FlowRecord,
    bytes_delta: Option<u64>,
    bytes_total: Option<u64>,
    packets_delta: Option<u64>,
    packets_total: Option<u64>,
    first_uptime_ms: Option<u32>,
    last_uptime_ms: Option<u32>,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    start_delta_us: Option<u64>,
    end_delta_us: Option<u64>,
    observation_ms: Option<u64>,
    pub system_init_ms: Option<u64>,
    post_src_mac: u64,
    post_dst_mac: u64,
    min_ttl: u8,
    ip_version: u8,
    pub sampling: SamplingFields,
}

impl Fields {
    /// Read one field by element number.
    #[inline]
    pub fn set<V: Value + ?Sized>(&mut self, element: u16, v: &V) {
        let r = &mut self.rec;
        let n = || v.number().unwrap_or(0);
        match element {
            1 => self.bytes_delta = v.number(),
            2 => self.packets_delta = v.number(),
            85 => self.bytes_total = v.number(),
            86 => self.packets_total = v.number(),
            4 => r.proto = n() as u8,
            5 => r.ip_tos = n() as u8,
            6 => r.tcp_flags = n() as u16,
            7 => r.src_port = n() as u16,
            11 => r.dst_port = n() as u16,
            8 | 27 => r.src_addr = v.addr(),
            12 | 28 => r.dst_addr = v.addr(),
            9 | 29 => r.src_net = n() as u8,
            13 | 30 => r.dst_net = n() as u8,
            10 => r.in_if = n() as u32,
            14 => r.out_if = n() as u32,
            15 | 62 => r.next_hop = v.addr(),
            16 => r.src_as = n() as u32,
            17 => r.dst_as = n() as u32,
            21 => self.last_uptime_ms = Some(n() as u32),
            22 => self.first_uptime_ms = Some(n() as u32),
            31 => r.ipv6_flow_label = n() as u32,
            32 | 139 => {
                let tc = n();
                r.icmp_type = (tc >> 8) as u8;
                r.icmp_code = tc as u8;
            }
            176 | 178 => r.icmp_type = n() as u8,
            177 | 179 => r.icmp_code = n() as u8,
            34 => self.sampling.interval = v.number(),
            50 if self.sampling.interval.is_none() => self.sampling.interval = v.number(),
            48 | 302 => self.sampling.sampler_id = v.number(),
            305 => self.sampling.packet_interval = v.number(),
            306 => self.sampling.packet_space = v.number(),
            309 => self.sampling.size = v.number(),
            310 => self.sampling.population = v.number(),
            52 => self.min_ttl = n() as u8,
            192 => r.ip_ttl = n() as u8,
            54 => r.fragment_id = n() as u32,
            88 => r.fragment_offset = n() as u16,
            56 => r.src_mac = v.mac(),
            80 => r.dst_mac = v.mac(),
            81 => self.post_src_mac = v.mac(),
            57 => self.post_dst_mac = v.mac(),
            58 => r.src_vlan = n() as u16,
            59 => r.dst_vlan = n() as u16,
            243 => r.vlan_id = n() as u16,
            60 => self.ip_version = n() as u8,
            256 => r.etype = n() as u16,
            70..=79 => {
                // 3-byte label stack entry: 20-bit label, 3-bit EXP, bottom-of-stack bit.
                let label = (n() >> 4) as u32;
                let i = (element - 70) as usize;
                if label != 0 || n() != 0 {
                    if i < 3 {
                        r.mpls_labels[i] = label;
                    }
                    r.mpls_count = r.mpls_count.max(i as u8 + 1);
                    r.mpls_last_label = label;
                }
            }
            89 => r.forwarding_status = n() as u8,
            234 => r.ingress_vrf = n() as u32,
            235 => r.egress_vrf = n() as u32,
            239 => r.bi_flow_direction = n() as u8,
            150 | 151 => {
                // Seconds as a plain number: any 64-bit value may arrive (found by fuzzing).
                let ms = v
                    .number()
                    .map(|s| s.saturating_mul(1000))
                    .or_else(|| v.abs_ms());
                if element == 150 {
                    self.start_ms = ms
                } else {
                    self.end_ms = ms
                }
            }
            152 | 154 | 156 => self.start_ms = v.abs_ms(),
            153 | 155 | 157 => self.end_ms = v.abs_ms(),
            158 => self.start_delta_us = v.number(),
            159 => self.end_delta_us = v.number(),
            160 => self.system_init_ms = v.abs_ms(),
            323 => self.observation_ms = v.abs_ms(),
            _ => {}
        }
    }

    /// Resolve counters, addresses' family and times. `clock` is how the packet header dates
    /// things: `Uptime { unix_ms, uptime_ms }` for v5/v9, `Export { unix_secs, init_ms }` for
    /// IPFIX.
    pub fn finish(mut self, clock: Clock) -> FlowRecord {
        self.complete(clock);
        self.rec
    }

    /// Complete the record in place (totals, MACs, TTL, L3 type, times): the hot path calls
    /// this and copies the record once, into the output.
    pub fn complete(&mut self, clock: Clock) {
        let r = &mut self.rec;
        r.bytes = self.bytes_delta.or(self.bytes_total).unwrap_or(0);
        r.packets = self.packets_delta.or(self.packets_total).unwrap_or(0);
        if r.src_mac == 0 {
            r.src_mac = self.post_src_mac;
        }
        if r.dst_mac == 0 {
            r.dst_mac = self.post_dst_mac;
        }
        if r.ip_ttl == 0 {
            r.ip_ttl = self.min_ttl;
        }
        if r.etype == 0 {
            r.etype = match self.ip_version {
                4 => ETYPE_IPV4,
                6 => ETYPE_IPV6,
                _ => 0,
            };
        }
        r.infer_etype();

        let (start, end) = match clock {
            Clock::Uptime { unix_ms, uptime_ms } => (
                self.start_ms.or_else(|| {
                    self.first_uptime_ms
                        .map(|t| uptime_to_unix(unix_ms, uptime_ms, t))
                }),
                self.end_ms.or_else(|| {
                    self.last_uptime_ms
                        .map(|t| uptime_to_unix(unix_ms, uptime_ms, t))
                }),
            ),
            Clock::Export { unix_secs, init_ms } => {
                let export_ms = unix_secs as u64 * 1000;
                let from_uptime = |t: Option<u32>| Some(init_ms?.saturating_add(t? as u64));
                let from_delta = |d: Option<u64>| Some(export_ms.saturating_sub(d? / 1000));
                (
                    self.start_ms
                        .or_else(|| from_delta(self.start_delta_us))
                        .or_else(|| from_uptime(self.first_uptime_ms)),
                    self.end_ms
                        .or_else(|| from_delta(self.end_delta_us))
                        .or_else(|| from_uptime(self.last_uptime_ms)),
                )
            }
        };
        let end = end.or(self.observation_ms);
        let start = start.or(end);
        let r = &mut self.rec;
        r.time_flow_start_ms = start.unwrap_or(0);
        r.time_flow_end_ms = end.unwrap_or(0);
    }
}

/// How a packet header dates its records.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// v5/v7/v9: the header's Unix time and the exporter's uptime at that moment.
    Uptime { unix_ms: u64, uptime_ms: u32 },
    /// IPFIX: export time, and the exporter's boot time if an options record told us.
    Export {
        unix_secs: u32,
        init_ms: Option<u64>,
    },
}

/// An uptime stamp (ms since the exporter booted) as Unix ms, using the header's pair of
/// clocks. Uptime wraps after 49.7 days; the signed difference handles that.
pub fn uptime_to_unix(unix_ms: u64, uptime_now_ms: u32, t: u32) -> u64 {
    let ago = uptime_now_ms.wrapping_sub(t) as i32 as i64;
    (unix_ms as i64 - ago).max(0) as u64
}

#[cfg(test)]
mod tests;
