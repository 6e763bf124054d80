//! The flow dump log (`<exe>-netflow.log`): one line per flow record, in exactly the old
//! service's format so scripts written for it keep working:
//!
//! ```text
//! 2023-04-29 01:38:54.503 Type:NETFLOW_V9 TimeRecv:1682721534 SequenceNum:172685 Sampler:192.168.255.10 TimeFlowStart:… Bytes:110 Packets:2 SrcAddr:… DstAddr:… Etype:2048 Proto:17 SrcPort:61238 DstPort:5355 InIf:2 OutIf:1 SrcMac:… DstMac:… TCPFlags:2
//! ```
//!
//! Field names and their order are goflow's `FlowMessage`; a field that is zero (absent from
//! the exporter's template) is left out, as before. Times are Unix seconds.
//!
//! Formatting is allocation-free: lines go into one reused buffer, which reaches the file
//! once per batch of datagrams ([`Output::flush`]).

use super::files::DataLog;
use crate::flow::FlowRecord;
use crate::settings::LogSettings;
use crate::sink::Output;
use crate::words::append::{LINE_END, push_addr, push_log_time, push_mac, push_u64};
use chrono::{DateTime, Local};

/// The flow dump log as an output.
pub struct FlowDump {
    log: DataLog,
    buf: String,
    /// The time text of the latest datagram, reused while the time is the same.
    stamp: String,
    stamp_of: Option<DateTime<Local>>,
}

impl FlowDump {
    pub fn open(s: &LogSettings) -> Result<FlowDump, String> {
        Ok(FlowDump {
            log: DataLog::open(s, super::files::LogKind::FlowDump)?,
            buf: String::with_capacity(256 * 1024),
            stamp: String::with_capacity(32),
            stamp_of: None,
        })
    }
}

impl Output for FlowDump {
    fn flows(&mut self, logged: &DateTime<Local>, records: &[FlowRecord]) -> Result<(), String> {
        if self.stamp_of != Some(*logged) {
            self.stamp.clear();
            push_log_time(&mut self.stamp, logged);
            self.stamp_of = Some(*logged);
        }
        push_lines(&mut self.buf, &self.stamp, records);
        Ok(())
    }

    fn flush(&mut self, to_disk: bool) -> Result<(), String> {
        if self.buf.is_empty() && !to_disk {
            return Ok(());
        }
        let bytes = self.buf.len();
        let mut r = self.log.write(&self.buf);
        if to_disk {
            r = r.and_then(|()| self.log.flush());
        }
        let lines = match r {
            Ok(()) => 0,
            Err(_) => self.buf.bytes().filter(|b| *b == b'\n').count() as u64,
        };
        self.buf.clear();
        self.log.trouble.check(r, bytes, Some(lines))?;
        if to_disk && !self.log.trouble.failing() {
            self.log.check_rotation()?;
        }
        if to_disk {
            self.log.reopen_if_gone()?;
        }
        Ok(())
    }
}

/// Append one datagram's lines: every line carries the same time (`stamp`, as the log prints
/// it), as in the old log.
pub fn push_lines(out: &mut String, stamp: &str, records: &[FlowRecord]) {
    for r in records {
        out.push_str(stamp);
        out.push(' ');
        push_record(out, r);
        out.push_str(LINE_END);
    }
}

/// Append `Name:value` with a leading space when `v` is not zero.
#[inline]
fn num(out: &mut String, name: &str, v: u64) {
    if v != 0 {
        out.push(' ');
        out.push_str(name);
        out.push(':');
        push_u64(out, v);
    }
}

/// Append one record's line body (everything after the timestamp, without line end).
pub fn push_record(out: &mut String, r: &FlowRecord) {
    out.push_str("Type:");
    out.push_str(r.kind.as_str());
    num(out, "TimeRecv", r.time_received_ms / 1000);
    num(out, "SequenceNum", r.sequence as u64);
    num(out, "SamplingRate", r.sampling_rate);
    if r.exporter.is_some() {
        out.push_str(" Sampler:");
        push_addr(out, &r.exporter);
    }
    num(out, "TimeFlowStart", r.time_flow_start_ms / 1000);
    num(out, "TimeFlowEnd", r.time_flow_end_ms / 1000);
    num(out, "Bytes", r.bytes);
    num(out, "Packets", r.packets);
    if r.src_addr.is_some() {
        out.push_str(" SrcAddr:");
        push_addr(out, &r.src_addr);
    }
    if r.dst_addr.is_some() {
        out.push_str(" DstAddr:");
        push_addr(out, &r.dst_addr);
    }
    num(out, "Etype", r.etype as u64);
    num(out, "Proto", r.proto as u64);
    num(out, "SrcPort", r.src_port as u64);
    num(out, "DstPort", r.dst_port as u64);
    num(out, "InIf", r.in_if as u64);
    num(out, "OutIf", r.out_if as u64);
    if r.src_mac != 0 {
        out.push_str(" SrcMac:");
        push_mac(out, r.src_mac);
    }
    if r.dst_mac != 0 {
        out.push_str(" DstMac:");
        push_mac(out, r.dst_mac);
    }
    num(out, "SrcVlan", r.src_vlan as u64);
    num(out, "DstVlan", r.dst_vlan as u64);
    num(out, "VlanId", r.vlan_id as u64);
    num(out, "IngressVrfID", r.ingress_vrf as u64);
    num(out, "EgressVrfID", r.egress_vrf as u64);
    num(out, "IPTos", r.ip_tos as u64);
    num(out, "ForwardingStatus", r.forwarding_status as u64);
    num(out, "IPTTL", r.ip_ttl as u64);
    num(out, "TCPFlags", r.tcp_flags as u64);
    num(out, "IcmpType", r.icmp_type as u64);
    num(out, "IcmpCode", r.icmp_code as u64);
    num(out, "IPv6FlowLabel", r.ipv6_flow_label as u64);
    num(out, "FragmentId", r.fragment_id as u64);
    num(out, "FragmentOffset", r.fragment_offset as u64);
    num(out, "BiFlowDirection", r.bi_flow_direction as u64);
    num(out, "SrcAS", r.src_as as u64);
    num(out, "DstAS", r.dst_as as u64);
    if !r.next_hop.is_unspecified() {
        out.push_str(" NextHop:");
        push_addr(out, &r.next_hop);
    }
    num(out, "NextHopAS", r.next_hop_as as u64);
    num(out, "SrcNet", r.src_net as u64);
    num(out, "DstNet", r.dst_net as u64);
    if r.mpls_count > 0 {
        out.push_str(" HasMPLS:true");
        num(out, "MPLSCount", r.mpls_count as u64);
        num(out, "MPLS1Label", r.mpls_labels[0] as u64);
        num(out, "MPLS2Label", r.mpls_labels[1] as u64);
        num(out, "MPLS3Label", r.mpls_labels[2] as u64);
        num(out, "MPLSLastLabel", r.mpls_last_label as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Addr, FlowKind};

    #[test]
    fn zero_fields_are_left_out() {
        let r = FlowRecord {
            kind: FlowKind::NetflowV5,
            bytes: 5,
            ..Default::default()
        };
        let mut s = String::new();
        push_record(&mut s, &r);
        assert_eq!(s, "Type:NETFLOW_V5 Bytes:5");
    }

    #[test]
    fn next_hop_zero_is_left_out_but_mpls_is_printed() {
        let r = FlowRecord {
            kind: FlowKind::Ipfix,
            next_hop: Addr::V4([0, 0, 0, 0]),
            mpls_count: 2,
            mpls_labels: [16, 17, 0],
            mpls_last_label: 17,
            sampling_rate: 1000,
            ..Default::default()
        };
        let mut s = String::new();
        push_record(&mut s, &r);
        assert_eq!(
            s,
            "Type:IPFIX SamplingRate:1000 HasMPLS:true MPLSCount:2 MPLS1Label:16 MPLS2Label:17 MPLSLastLabel:17"
        );
    }
}
