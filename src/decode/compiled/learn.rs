//! How the fast path's templates follow netflow_parser's: compiled from what it accepted,
//! forgotten when a datagram names their id again (a withdrawal, an options template, a
//! template it rejected), when it stopped at an error, when it dropped an exporter under a
//! flood, and after an exporter's silence.

use super::{Compiled, Key, Template, compile, header, sets};
use crate::decode::limits;
use crate::flow::FlowKind;
use netflow_parser::variable_versions::ipfix::FlowSetBody as IpfixBody;
use netflow_parser::variable_versions::v9::FlowSetBody as V9Body;
use netflow_parser::{FieldDataType, NetflowPacket, V9Field};
use std::net::SocketAddr;
use std::time::Instant;

/// The template ids a template set (v9 0/1, IPFIX 2/3, and v9-style 0/1 inside IPFIX) names,
/// appended to `ids`; `false` when its records do not fit its length (a reserved set id is
/// fine: it names nothing).
fn template_ids(set_id: u16, mut body: &[u8], ids: &mut Vec<u16>) -> bool {
    let u16_at = |b: &[u8], at: usize| b.get(at..at + 2).map(|x| u16::from_be_bytes([x[0], x[1]]));
    while body.len() >= 4 {
        let (Some(id), Some(a)) = (u16_at(body, 0), u16_at(body, 2)) else {
            return false;
        };
        let len = match set_id {
            // v9 template: id, field count, (type, length) each.
            0 => 4 + a as usize * 4,
            // v9 options template: id, scope length, options length (in bytes).
            1 => match u16_at(body, 4) {
                Some(o) => 6 + a as usize + o as usize,
                None => return false,
            },
            // IPFIX template / options template: id, field count [, scope count], fields of
            // 4 bytes, 8 with an enterprise number.
            2 | 3 => {
                let mut at = if set_id == 2 { 4 } else { 6 };
                for _ in 0..a {
                    let Some(t) = u16_at(body, at) else {
                        return false;
                    };
                    at += if t & 0x8000 != 0 { 8 } else { 4 };
                }
                at
            }
            _ => return true,
        };
        ids.push(id);
        if len > body.len() {
            return false;
        }
        body = &body[len..];
    }
    true
}

impl Compiled {
    /// Learn from what netflow_parser made of a datagram from `from` (canonical): the data
    /// templates it accepted are compiled; templates it withdrew or replaced are forgotten.
    /// When it stopped at an error, it may have taken templates from the part it did not
    /// return: the exporter's compiled templates are all forgotten (until sent again).
    pub fn learn(
        &mut self,
        from: SocketAddr,
        data: &[u8],
        packets: &[NetflowPacket],
        failed: bool,
    ) {
        self.forget_mentioned(from, data, failed);
        for p in packets {
            match p {
                NetflowPacket::V9(p) => {
                    let key = (from, p.header.source_id, FlowKind::NetflowV9);
                    for fs in &p.flowsets {
                        match &fs.body {
                            V9Body::Template(ts) => {
                                for t in &ts.templates {
                                    let c = compile(t.fields.iter().map(|f| {
                                        (
                                            Some(f.field_type_number),
                                            FieldDataType::from(V9Field::from(f.field_type_number)),
                                            f.field_length,
                                        )
                                    }));
                                    self.put(key, t.template_id, c);
                                }
                            }
                            V9Body::OptionsTemplate(ts) => {
                                for t in &ts.templates {
                                    self.put(key, t.template_id, None);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                NetflowPacket::IPFix(p) => {
                    let key = (from, p.header.observation_domain_id, FlowKind::Ipfix);
                    for fs in &p.flowsets {
                        match &fs.body {
                            IpfixBody::Template(t) => self.learn_ipfix(key, t),
                            IpfixBody::Templates(v) => {
                                v.iter().for_each(|t| self.learn_ipfix(key, t))
                            }
                            // Ids taken by options templates or v9-style templates inside
                            // IPFIX: netflow_parser decodes their data itself.
                            IpfixBody::OptionsTemplate(t) => self.put(key, t.template_id, None),
                            IpfixBody::OptionsTemplates(v) => {
                                v.iter().for_each(|t| self.put(key, t.template_id, None))
                            }
                            IpfixBody::V9Template(t) => self.put(key, t.template_id, None),
                            IpfixBody::V9Templates(v) => {
                                v.iter().for_each(|t| self.put(key, t.template_id, None))
                            }
                            IpfixBody::V9OptionsTemplate(t) => self.put(key, t.template_id, None),
                            IpfixBody::V9OptionsTemplates(v) => {
                                v.iter().for_each(|t| self.put(key, t.template_id, None))
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Forget every template id a template or options-template set of `data` names, whatever
    /// netflow_parser made of it (a withdrawal, a rejected or replaced template); the exporter's
    /// compiled templates all when the sets cannot be read, or netflow_parser stopped at an
    /// error (it may have taken templates from the part it did not return).
    fn forget_mentioned(&mut self, from: SocketAddr, data: &[u8], failed: bool) {
        let Some((kind, header, domain)) = header(data) else {
            return;
        };
        let key = (from, domain, kind);
        let Some(scope) = self.scopes.get_mut(&key) else {
            return;
        };
        let mut ids = Vec::new();
        let clean = !failed
            && sets(&data[header..]).all(|set| match set {
                Some((id, body)) if id < 256 => template_ids(id, body, &mut ids),
                Some(_) => true,
                None => false,
            });
        if clean {
            for id in ids {
                scope.templates.remove(&id);
            }
        } else {
            self.scopes.remove(&key);
        }
    }

    /// An IPFIX template netflow_parser accepted; one with no fields withdraws its id.
    fn learn_ipfix(&mut self, key: Key, t: &netflow_parser::variable_versions::ipfix::Template) {
        let c = if t.fields.is_empty() {
            None
        } else {
            compile(t.fields.iter().map(|f| {
                (
                    f.enterprise_number.is_none().then_some(f.field_type_number),
                    FieldDataType::from(f.field_type),
                    f.field_length,
                )
            }))
        };
        self.put(key, t.template_id, c);
    }

    /// Set (or with `None`, forget) a scope's compiled template `id`. A scope holding as many
    /// templates as netflow_parser keeps per exporter is cleared instead: its cache may have
    /// evicted any of them, and the slow path is always right.
    fn put(&mut self, key: Key, id: u16, t: Option<Template>) {
        match t {
            // Set ids below 256 are templates and reserved ids, never data.
            Some(t) if id >= 256 => {
                if !self.scopes.contains_key(&key) && self.scopes.len() >= 2 * limits::MAX_EXPORTERS
                {
                    return;
                }
                let scope = self.scopes.entry(key).or_default();
                scope.last_seen = Some(Instant::now());
                let templates = &mut scope.templates;
                if templates.len() >= limits::MAX_TEMPLATES && !templates.contains_key(&id) {
                    templates.clear();
                    return;
                }
                templates.insert(id, t);
            }
            _ => {
                if let Some(scope) = self.scopes.get_mut(&key) {
                    scope.templates.remove(&id);
                    if scope.templates.is_empty() {
                        self.scopes.remove(&key);
                    }
                }
            }
        }
    }

    /// Keep only the exporters netflow_parser still has (after it dropped some under a flood).
    pub fn retain(&mut self, keep: impl Fn(&Key) -> bool) {
        self.scopes.retain(|k, _| keep(k));
    }

    /// Forget exporters not heard from for `idle`. (netflow_parser does not see the datagrams
    /// taken here and may forget a busy exporter's templates earlier; its data then still
    /// decodes here, with the templates it last sent, until it sends them again.)
    pub fn prune(&mut self, idle: std::time::Duration) {
        self.scopes
            .retain(|_, s| s.last_seen.is_some_and(|t| t.elapsed() < idle));
    }
}
