//! Names while counting: the MAC addresses flows carry (a small table, one write per address of
//! a record that has MACs), the addresses handed to the name finder (the busiest of each
//! summary, incidents, new sensors), and the names it learns, picked up as they change.

use crate::flow::{Addr, FlowRecord};
use crate::names::service::NamesService;
use crate::names::{Known, Names};
use crate::settings::Settings;
use crate::summary::Summary;
use std::collections::HashMap;
use std::net::IpAddr;

/// Slots of the MAC table: the latest MAC seen for an address that maps to a slot.
const MAC_SLOTS: usize = 4096;
/// Conversations of each summary whose two ends are named.
const NAMED_PER_SUMMARY: usize = 25;

pub(super) struct Naming {
    pub names: Names,
    service: Option<NamesService>,
    version: u64,
    macs: Box<[(u128, u64)]>,
    /// The names changed (labels, or learned) since the outputs last had them.
    unsaid: bool,
    /// Entries a name finder stopped by new settings learned last, not yet handed on.
    pending: Vec<(IpAddr, Known)>,
}

impl Naming {
    pub fn start(s: &Settings) -> Naming {
        let stored = if s.history.enabled {
            crate::history::stored_names(&s.history)
        } else {
            HashMap::new()
        };
        let names =
            Names::from_settings(&s.alerts).with_learned(std::sync::Arc::new(stored.clone()));
        Naming {
            names,
            service: Some(NamesService::start(&s.names, stored)),
            version: 0,
            macs: vec![(0, 0); MAC_SLOTS].into_boxed_slice(),
            unsaid: true,
            pending: Vec::new(),
        }
    }

    fn slot(bits: u128) -> usize {
        let folded = (bits as u64) ^ ((bits >> 64) as u64);
        (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize % MAC_SLOTS
    }

    /// Note the MACs of a record's addresses.
    #[inline]
    pub fn note_macs(&mut self, r: &FlowRecord) {
        if r.src_mac != 0 && r.src_addr.is_some() {
            let b = r.src_addr.bits();
            self.macs[Self::slot(b)] = (b, r.src_mac);
        }
        if r.dst_mac != 0 && r.dst_addr.is_some() {
            let b = r.dst_addr.bits();
            self.macs[Self::slot(b)] = (b, r.dst_mac);
        }
    }

    fn mac_of(&self, addr: IpAddr) -> Option<u64> {
        let b = Addr::from(addr).bits();
        let (held, mac) = self.macs[Self::slot(b)];
        (held == b).then_some(mac)
    }

    /// Have `addr` named.
    pub fn want(&self, addr: IpAddr) {
        if let Some(s) = &self.service {
            s.want(addr, self.mac_of(addr));
        }
    }

    /// Have the busiest conversations' ends named.
    pub fn want_summary(&self, summary: &Summary) {
        for e in &summary.exporters {
            for r in e.rows.iter().take(NAMED_PER_SUMMARY) {
                for a in [r.src, r.dst] {
                    if let Some(ip) = a.ip() {
                        self.want(ip);
                    }
                }
            }
        }
    }

    /// Take up names learned since the last call: when anything changed, the names now and
    /// the changed entries (for the store).
    pub fn pick_up(&mut self) -> Option<(Names, Vec<(IpAddr, Known)>)> {
        let mut fresh = std::mem::take(&mut self.pending);
        if let Some(s) = &self.service {
            if let Some(learned) = s.learned_since(&mut self.version) {
                self.names = self.names.clone().with_learned(learned);
                self.unsaid = true;
            }
            fresh.extend(s.take_fresh());
        }
        (std::mem::take(&mut self.unsaid) || !fresh.is_empty()).then(|| (self.names.clone(), fresh))
    }

    /// New settings: the labels again, and the name finder restarted when `[Names]` changed.
    pub fn reconfigure(&mut self, old: &Settings, new: &Settings) {
        let learned = self.names.learned();
        self.names = Names::from_settings(&new.alerts).with_learned(learned.clone());
        self.unsaid = true;
        if old.names != new.names {
            if let Some(s) = self.service.take() {
                self.pending.extend(s.stop().1);
            }
            self.service = Some(NamesService::start(&new.names, (*learned).clone()));
            self.version = 0;
        }
    }

    /// Stop the name finder; returns what it learned last, as [`Naming::pick_up`].
    pub fn stop(&mut self) -> Option<(Names, Vec<(IpAddr, Known)>)> {
        let (learned, fresh) = self.service.take()?.stop();
        self.names = self.names.clone().with_learned(learned);
        Some((self.names.clone(), fresh))
    }
}
