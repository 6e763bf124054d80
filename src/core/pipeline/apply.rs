//! New settings while running: listeners rebound when the ports change, outputs reopened when
//! the logs or the history move, intervals rescheduled without losing counts. Everything that
//! can fail is prepared first, so a refused change leaves the running settings as they were.

use super::{Pipeline, counted_intervals, tracking};
use crate::core::decode_stage::Control;
use crate::output;
use crate::receive::{self, Listeners};
use crate::settings::Settings;
use chrono::Local;

impl Pipeline {
    pub(super) async fn apply(&mut self, new: Settings) -> Result<(), String> {
        let rebind = new.ports != self.settings.ports
            || new.listen != self.settings.listen
            || new.receive_buffer_bytes != self.settings.receive_buffer_bytes;
        let reopen = new.log_dir != self.settings.log_dir
            || new.netflow_log != self.settings.netflow_log
            || new.summary_log != self.settings.summary_log
            || new.keep_days != self.settings.keep_days
            || new.max_file_size_mb != self.settings.max_file_size_mb
            || new.max_total_mb != self.settings.max_total_mb
            || new.history != self.settings.history;
        // Prepare everything that can fail before changing anything.
        let outputs = if reopen {
            Some(output::assemble(&new, self.events.clone())?)
        } else {
            None
        };
        if rebind {
            self.rebind(&new).await?;
        }
        if let Some(o) = outputs {
            self.outputs.flush(true);
            self.outputs = o;
        }
        if new.allowed_exporters != self.settings.allowed_exporters {
            let _ = self
                .decode_control
                .send(Control::SetAllowed(new.allowed_exporters.clone()));
            self.refused_logged.clear();
        }
        self.summaries.reconfigure(
            &counted_intervals(&new),
            new.top_count,
            tracking(&new),
            Local::now(),
        );
        self.latest.retain(|iv, _| new.intervals.contains(iv));
        self.alerts.reconfigure(new.alerts.clone());
        self.settings = new;
        for line in self.settings.describe() {
            log::info!("settings applied: {line}");
        }
        Ok(())
    }

    /// Listen on the new addresses; on failure, go back to the running ones.
    async fn rebind(&mut self, new: &Settings) -> Result<(), String> {
        let Some(tx) = self.tx.clone() else {
            return Err("the collector is stopping".into());
        };
        // Close the old sockets first: the new set usually reuses some of their ports.
        if let Some(old) = self.listeners.take() {
            old.stop().await;
        }
        match receive::bind_all(&new.listen, &new.ports, new.receive_buffer_bytes) {
            Ok(b) => {
                for (addr, why) in &b.skipped {
                    log::warn!("not listening on {addr}: {why}");
                }
                receive::warn_small_buffers(new.receive_buffer_bytes, &b.bound);
                let l = Listeners::spawn(b.bound, tx, self.queued.clone())
                    .map_err(|e| e.to_string())?;
                for a in &l.addrs {
                    log::info!("listening on UDP {a}");
                }
                self.listeners = Some(l);
                Ok(())
            }
            Err(e) => {
                let s = &self.settings;
                match receive::bind_all(&s.listen, &s.ports, s.receive_buffer_bytes) {
                    Ok(b) => {
                        self.listeners = Listeners::spawn(b.bound, tx, self.queued.clone()).ok()
                    }
                    Err(again) => log::error!("cannot listen again on the previous ports: {again}"),
                }
                Err(e.to_string())
            }
        }
    }
}
