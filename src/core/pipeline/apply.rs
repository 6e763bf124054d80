//! New settings while running: sockets rebound when the ports change, outputs reopened when
//! the logs or the history move, intervals rescheduled without losing counts. Everything that
//! can fail is prepared first, so a refused change leaves the running settings as they were.

use super::{Pipeline, counted_intervals, tracking};
use crate::core::decode_stage::Control;
use crate::core::outputs;
use crate::forward::Forwarder;
use crate::output::service_log::LIFECYCLE;
use crate::receive::{self, Bound, Sockets};
use crate::settings::Settings;
use chrono::Local;
use tokio::sync::oneshot;

impl Pipeline {
    pub(super) async fn apply(&mut self, new: Settings) -> Result<(), String> {
        let rebind = new.receive.ports != self.settings.receive.ports
            || new.receive.sflow_port != self.settings.receive.sflow_port
            || new.receive.listen != self.settings.receive.listen
            || new.receive.buffer_bytes != self.settings.receive.buffer_bytes;
        // Prepare everything that can fail before changing anything: the outputs whose part
        // of the settings changed, then the sockets.
        let groups = outputs::changed(&self.settings, &new);
        let rebuilt = outputs::rebuild(&groups, &new, &self.events)?;
        if rebind {
            self.rebind(&new).await?;
        }
        outputs::swap_in(&mut self.outputs, rebuilt);
        if new.forward != self.settings.forward {
            let (forward, said) = Forwarder::start(&new.forward.to, new.forward.keep_source);
            for line in said {
                log::info!(target: LIFECYCLE, "{line}");
            }
            let _ = self.decode_control.send(Control::SetForward(forward));
        }
        if new.receive.allowed_exporters != self.settings.receive.allowed_exporters {
            let _ = self
                .decode_control
                .send(Control::SetAllowed(new.receive.allowed_exporters.clone()));
            self.refused_logged.clear();
        }
        self.summaries.reconfigure(
            &counted_intervals(&new),
            new.summary.top_count,
            tracking(&new),
            Local::now(),
        );
        self.latest
            .retain(|iv, _| new.summary.intervals.contains(iv));
        self.alerts.reconfigure(new.alerts.clone());
        self.naming.reconfigure(&self.settings, &new);
        self.settings = new;
        for line in self.settings.describe() {
            log::info!(target: LIFECYCLE, "settings applied: {line}");
        }
        Ok(())
    }

    /// Listen on the new addresses; on failure, go back to the running ones.
    async fn rebind(&mut self, new: &Settings) -> Result<(), String> {
        // Close the old sockets first: the new set usually reuses some of their ports.
        self.close_sockets().await;
        let r = &new.receive;
        match receive::bind_with_sflow(&r.listen, &r.ports, r.sflow_port, r.buffer_bytes) {
            Ok(b) => {
                for (addr, why) in &b.skipped {
                    log::warn!(target: LIFECYCLE, "not listening on {addr}: {why}");
                }
                receive::warn_small_buffers(new.receive.buffer_bytes, &b.bound);
                self.listen(b.bound).map_err(|e| e.to_string())?;
                for a in &self.listening {
                    log::info!(target: LIFECYCLE, "{}", super::listening_line(*a, new));
                }
                Ok(())
            }
            Err(e) => {
                let s = &self.settings.receive;
                let back =
                    receive::bind_with_sflow(&s.listen, &s.ports, s.sflow_port, s.buffer_bytes)
                        .map_err(|e| e.to_string())
                        .and_then(|b| self.listen(b.bound).map_err(|e| e.to_string()));
                if let Err(again) = back {
                    log::error!(target: LIFECYCLE, "cannot listen again on the previous ports: {again}");
                }
                Err(e.to_string())
            }
        }
    }

    /// Have the decode stage close its sockets, counting the batches it hands over meanwhile
    /// (it may be waiting for room for one).
    async fn close_sockets(&mut self) {
        let (done, mut closed) = oneshot::channel();
        if self.decode_control.send(Control::Close(done)).is_err() {
            return;
        }
        self.listening.clear();
        loop {
            tokio::select! {
                _ = &mut closed => return,
                Some(batch) = self.batches.recv() => self.process(batch),
            }
        }
    }

    /// Have the decode stage read these sockets.
    fn listen(&mut self, bound: Vec<Bound>) -> std::io::Result<()> {
        let sockets = Sockets::open(bound)?;
        let addrs = sockets.addrs().to_vec();
        self.decode_control
            .send(Control::Listen(sockets))
            .map_err(|_| std::io::Error::other("the collector is stopping"))?;
        self.listening = addrs;
        Ok(())
    }
}
