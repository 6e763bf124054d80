//! The name finder's thread: its own small tokio runtime, the lookups, the leases, what is
//! said when a source fails or comes back.

use super::*;

impl Worker {
    pub(super) fn new(
        s: &NameSettings,
        known: HashMap<IpAddr, Known>,
        published: Arc<Mutex<Published>>,
    ) -> Worker {
        let mut w = Worker {
            settings: s.clone(),
            learned: known,
            changed: Vec::new(),
            next_try: HashMap::new(),
            leases: HashMap::new(),
            backlog: VecDeque::new(),
            dns: None,
            dns_failing: false,
            router_failing: None,
            router_read: false,
            full_said: false,
            busy_said: false,
            published,
        };
        // The router whose leases are read is the router.
        let router = s.routeros.as_deref().and_then(router_ip);
        if let Some(ip) = router {
            w.update(ip, |k| {
                k.name = Some(("router (RouterOS)".into(), Source::WellKnown))
            });
        }
        w
    }

    pub(super) fn run_on_own_runtime(
        self,
        wanted: mpsc::Receiver<Want>,
        stop: oneshot::Receiver<()>,
    ) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                log::warn!("names: cannot start the name finder: {e}");
                return;
            }
        };
        rt.block_on(self.run(wanted, stop));
        rt.shutdown_timeout(Duration::from_secs(1));
    }

    async fn run(mut self, mut wanted: mpsc::Receiver<Want>, mut stop: oneshot::Receiver<()>) {
        if self.settings.reverse_dns {
            let server = self.settings.dns_server.map(|a| a.to_string());
            match dns::resolver(server.as_deref()) {
                Ok(r) => self.dns = Some(r),
                Err(e) => log::warn!("names: {e}; devices are not named by reverse DNS"),
            }
        }
        let router = self.router();
        let mut reading: Option<tokio::task::JoinHandle<LeaseRead>> = None;
        let mut leases_at = Instant::now();
        let mut lookups: JoinSet<Found> = JoinSet::new();
        let mut publish = tokio::time::interval(PUBLISH_EVERY);
        loop {
            while lookups.len() < IN_FLIGHT {
                let Some(w) = self.backlog.pop_front() else {
                    break;
                };
                lookups.spawn(self.lookup(w.addr));
            }
            tokio::select! {
                _ = &mut stop => break,
                Some(w) = wanted.recv() => self.want(w),
                Some(Ok(found)) = lookups.join_next(), if !lookups.is_empty() => self.found(found),
                Some(read) = async { Some(reading.as_mut()?.await) }, if reading.is_some() => {
                    reading = None;
                    if let Ok(read) = read {
                        self.leases(read);
                    }
                }
                _ = tokio::time::sleep_until(leases_at), if router.is_some() && reading.is_none() => {
                    let r = router.clone().expect("checked");
                    reading = Some(tokio::task::spawn_blocking(move || routeros::read(&r)));
                    leases_at = Instant::now() + LEASES_EVERY;
                }
                _ = publish.tick() => self.publish(),
            }
        }
        self.publish();
    }

    fn router(&self) -> Option<Router> {
        Some(Router {
            url: self.settings.routeros.clone()?,
            user: self.settings.routeros_user.clone(),
            password: self.settings.routeros_password.clone(),
            pin: self.settings.routeros_certificate,
        })
    }

    /// An address to name: its vendor at once (from the MAC), its name from the leases, else
    /// a lookup when one is due.
    fn want(&mut self, w: Want) {
        let now = Instant::now();
        if let Some(mac) = w.mac.filter(|_| is_local(w.addr)) {
            let v = vendor::of(mac).map(str::to_string);
            self.update(w.addr, |k| {
                k.mac = Some(mac);
                k.vendor = v;
            });
        }
        // A lease names it; a group or broadcast address is named by its purpose.
        let named = self.leases.get(&w.addr).is_some_and(|l| l.name.is_some());
        if named || super::super::well_known::name(w.addr).is_some() {
            return;
        }
        if self.next_try.get(&w.addr).is_some_and(|t| *t > now) {
            return;
        }
        let lookups = self.dns.is_some() || (self.settings.netbios && is_local(w.addr));
        if !lookups {
            return;
        }
        if self.next_try.len() >= 2 * MAX_LEARNED {
            // Addresses whose time to ask again has come need not be remembered.
            self.next_try.retain(|_, t| *t > now);
        }
        if self.backlog.len() >= WANTED_QUEUE || self.next_try.len() >= 2 * MAX_LEARNED {
            if !std::mem::replace(&mut self.busy_said, true) {
                log::warn!(
                    "names: {WANTED_QUEUE} lookups wait or {} addresses are remembered; further addresses are not looked up",
                    2 * MAX_LEARNED
                );
            }
            return;
        }
        // Not again until this lookup is answered.
        self.next_try.insert(w.addr, now + NAME_LIFETIME);
        self.backlog.push_back(w);
    }

    /// The lookup of one address: reverse DNS, then NetBIOS for a local device.
    fn lookup(&self, addr: IpAddr) -> impl Future<Output = Found> + use<> {
        let dns = self.dns.clone();
        let netbios = self.settings.netbios && is_local(addr);
        async move {
            let mut found = Found {
                addr,
                name: None,
                dns_failed: None,
            };
            if let Some(r) = dns {
                match dns::lookup(&r, addr).await {
                    dns::Answer::Name(n) => found.name = clean::name(&n).map(|n| (n, Source::Dns)),
                    dns::Answer::NoName => {}
                    dns::Answer::Failed(why) => found.dns_failed = Some(why),
                }
            }
            if found.name.is_none() && netbios {
                let asked = tokio::task::spawn_blocking(move || {
                    netbios::ask(addr, netbios::PORT, NETBIOS_WAIT)
                })
                .await;
                if let Ok(Ok(Some(n))) = asked {
                    found.name = clean::name(&n).map(|n| (n, Source::NetBios));
                }
            }
            found
        }
    }

    fn found(&mut self, f: Found) {
        let again = match (&f.name, &f.dns_failed) {
            (Some(_), _) => NAME_LIFETIME,
            (None, Some(_)) => RETRY,
            (None, None) => NO_NAME_LIFETIME,
        };
        self.next_try.insert(f.addr, Instant::now() + again);
        match (&f.dns_failed, self.dns_failing) {
            (Some(why), false) => {
                self.dns_failing = true;
                log::warn!(
                    "names: reverse DNS ({}) did not answer for {}: {why}; names from DNS wait until it answers",
                    self.dns_server(),
                    f.addr
                );
            }
            (None, true) if self.dns.is_some() => {
                self.dns_failing = false;
                log::info!("names: reverse DNS ({}) answers again", self.dns_server());
            }
            _ => {}
        }
        if let Some(name) = f.name {
            self.update(f.addr, |k| k.name = Some(name));
        }
    }

    fn dns_server(&self) -> String {
        self.settings
            .dns_server
            .map_or_else(|| "the system's DNS server".into(), |a| a.to_string())
    }

    /// The router's answer: the leases' names and MACs, or what went wrong (said once).
    fn leases(&mut self, read: LeaseRead) {
        let url = self.settings.routeros.clone().unwrap_or_default();
        match read {
            Ok((leases, more)) => {
                if self.router_failing.take().is_some() || !self.router_read {
                    let more = if more > 0 {
                        format!(
                            " ({more} more not used: at most {} are)",
                            routeros::MAX_LEASES
                        )
                    } else {
                        String::new()
                    };
                    log::info!(
                        "names: the router at {url} gave {} DHCP lease(s){more}",
                        leases.len()
                    );
                }
                self.router_read = true;
                for l in &leases {
                    let v = l.mac.and_then(vendor::of).map(str::to_string);
                    let (name, mac) = (l.name.clone(), l.mac);
                    self.update(l.addr, |k| {
                        if let Some(n) = name {
                            k.name = Some((n, Source::Lease));
                        }
                        if mac.is_some() {
                            k.mac = mac;
                            k.vendor = v;
                        }
                    });
                }
                self.leases = leases.into_iter().map(|l| (l.addr, l)).collect();
            }
            Err(why) => {
                if self.router_failing.as_deref() != Some(why.as_str()) {
                    log::warn!(
                        "names: the router at {url} {why}; its leases are read again every {} minutes",
                        LEASES_EVERY.as_secs() / 60
                    );
                    self.router_failing = Some(why);
                }
            }
        }
    }

    /// Change what is known of `addr` (within [`MAX_LEARNED`] addresses).
    fn update(&mut self, addr: IpAddr, f: impl FnOnce(&mut Known)) {
        if !self.learned.contains_key(&addr) && self.learned.len() >= MAX_LEARNED {
            if !self.full_said {
                self.full_said = true;
                log::warn!(
                    "names: {MAX_LEARNED} devices are named already; further ones show their address"
                );
            }
            return;
        }
        let k = self.learned.entry(addr).or_default();
        let before = k.clone();
        f(k);
        if *k != before {
            self.changed.push(addr);
        }
    }

    fn publish(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        let Ok(mut p) = self.published.lock() else {
            return;
        };
        p.learned = Arc::new(self.learned.clone());
        p.version += 1;
        self.changed.sort();
        self.changed.dedup();
        for a in self.changed.drain(..) {
            if p.fresh.len() < MAX_LEARNED
                && let Some(k) = self.learned.get(&a)
            {
                p.fresh.push((a, k.clone()));
            }
        }
    }
}

/// Addresses of this network (private, link-local, loopback): where a MAC is the device's own
/// and NetBIOS may answer. A public address's MAC is the router's.
pub fn is_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.is_private() || a.is_link_local() || a.is_loopback(),
        IpAddr::V6(a) => {
            a.is_loopback()
                || (a.segments()[0] & 0xfe00) == 0xfc00
                || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The address in `https://192.168.88.1:8443`, when it is one (not a host name).
fn router_ip(url: &str) -> Option<IpAddr> {
    let host = url.split("://").nth(1)?;
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next()?.parse().ok();
    }
    host.split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routers_address_is_read_from_its_url() {
        assert_eq!(
            router_ip("https://192.168.88.1"),
            Some("192.168.88.1".parse().unwrap())
        );
        assert_eq!(
            router_ip("http://10.0.0.1:8080"),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            router_ip("https://[fd00::1]:443"),
            Some("fd00::1".parse().unwrap())
        );
        assert_eq!(router_ip("https://router.lan"), None);
    }
}
