//! `org.rampart.Lbd1` (defined in `lbapi::dbus`) served on D-Bus. Config
//! changes are serialised by one lock: validate, write, reload, record in
//! the history, and, when asked, roll back by themselves unless confirmed.
//! Server actions are runtime API commands run on the serving generation's
//! [`Api`](crate::api::Api), so logs and observers see what the stats
//! socket would have caused.

use super::history::{PendingRecord, Store};
use super::hook;
use super::validate::validate;
use crate::api::{execute, SessionState};
use crate::config::model::CliLevel;
use crate::reload::{self, ReloadError};
use lbapi::dbus::{ConfigError, StatEntry, Version, LBD_PATH};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use zbus::fdo;
use zbus::object_server::SignalEmitter;

/// A version applied with a confirmation deadline, not confirmed yet.
#[derive(Debug, Clone, Copy)]
struct Pending {
    version: u32,
    /// Goes back into force if the deadline passes.
    previous: u32,
    /// Tells the timer of this Apply from a later one's.
    token: u64,
}

struct Shared {
    store: Store,
    pending: Option<Pending>,
    next_token: u64,
}

/// The interface; clones share one state (one is served, one resumes a
/// pending confirmation at start).
#[derive(Clone)]
pub struct LbdIface {
    shared: Arc<Mutex<Shared>>,
}

impl LbdIface {
    pub fn new(store: Store) -> LbdIface {
        LbdIface {
            shared: Arc::new(Mutex::new(Shared {
                store,
                pending: None,
                next_token: 0,
            })),
        }
    }
}

impl LbdIface {
    /// Picks up the confirmation an Apply was waiting for when lbd last
    /// stopped: its timer runs on for the time left, and one whose deadline
    /// passed meanwhile rolls back now. Call once, at start.
    pub async fn resume_pending(&self, conn: &zbus::Connection) {
        let mut sh = self.shared.lock().await;
        let record = match sh.store.load_pending() {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                crate::server::say(
                    "[ALERT]",
                    &format!("D-Bus: cannot read the pending confirmation: {e}"),
                );
                return;
            }
        };
        // A record left behind by a rollback or an Apply interrupted
        // between its two writes names a version no longer in force.
        if sh.store.latest().ok() != Some(record.version) {
            forget_pending(&sh.store);
            return;
        }
        sh.next_token += 1;
        let pending = Pending {
            version: record.version,
            previous: record.previous,
            token: sh.next_token,
        };
        sh.pending = Some(pending);
        let left = record.remaining(std::time::SystemTime::now());
        crate::server::say(
            "[NOTICE]",
            &format!(
                "D-Bus: version {} still waits for Confirm: rollback to version {} in {} ms.",
                record.version,
                record.previous,
                left.as_millis()
            ),
        );
        tokio::spawn(expire(self.shared.clone(), pending, left, conn.clone()));
    }
}

/// Removes the on-disk confirmation; a failure only means a restart may
/// see a stale record, which [`LbdIface::resume_pending`] discards.
fn forget_pending(store: &Store) {
    if let Err(e) = store.clear_pending() {
        crate::server::say(
            "[WARNING]",
            &format!("D-Bus: cannot remove the pending confirmation: {e}"),
        );
    }
}

fn failed(e: impl std::fmt::Display) -> fdo::Error {
    fdo::Error::Failed(e.to_string())
}

fn reload_error(e: ReloadError) -> fdo::Error {
    match e {
        ReloadError::Config(_) => fdo::Error::InvalidArgs(e.to_string()),
        _ => failed(e),
    }
}

/// Writes `text` as the configuration and reloads; on success saves it as
/// a new version. On failure the previous file is put back (the running
/// generation never changed).
async fn put_in_force(store: &Store, text: &str, comment: &str) -> fdo::Result<u32> {
    let previous = store.current_text().map_err(failed)?;
    if store.latest().map_err(failed)? == 0 {
        store.save(&previous, "initial").map_err(failed)?;
    }
    store.write_config(text).map_err(failed)?;
    if let Err(e) = request_reload().await {
        store.write_config(&previous).map_err(failed)?;
        return Err(reload_error(e));
    }
    store.save(text, comment).map_err(failed)
}

/// A reload, waiting out the moment between taking the bus name and the
/// serving loop's start (a client that calls at once must not be told
/// lbd is not serving).
async fn request_reload() -> Result<reload::Reloaded, ReloadError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        match reload::request().await {
            Err(ReloadError::NotRunning) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            r => return r,
        }
    }
}

/// Runs one runtime API command at admin level; its output is the error.
fn run_cli(args: &[String], ok: impl Fn(&str) -> bool) -> fdo::Result<()> {
    let api = hook::current_api().ok_or_else(|| failed("lbd is not serving"))?;
    let mut st = SessionState {
        level: CliLevel::Admin,
        prompt: false,
        timeout: Duration::from_secs(10),
        id: 0,
    };
    let out = execute(&api, &mut st, args, None);
    let text = out.text.trim();
    if ok(text) {
        Ok(())
    } else {
        Err(fdo::Error::InvalidArgs(text.to_string()))
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

fn stat_entries(csv: &str) -> fdo::Result<Vec<StatEntry>> {
    let rows = lbapi::parse_stat_csv(csv).map_err(failed)?;
    Ok(rows
        .iter()
        .map(|r| {
            let n = |c: &str| r.get_u64(c).unwrap_or(0);
            let kind = match r.row_type() {
                Some(lbapi::RowType::Frontend) => "frontend",
                Some(lbapi::RowType::Backend) => "backend",
                Some(lbapi::RowType::Server) => "server",
                Some(lbapi::RowType::Listener) => "listener",
                None => "",
            };
            StatEntry {
                proxy: r.pxname().to_string(),
                name: r.svname().to_string(),
                kind: kind.into(),
                status: r.status().to_string(),
                scur: n("scur"),
                stot: n("stot"),
                bin: n("bin"),
                bout: n("bout"),
                weight: n("weight"),
                qcur: n("qcur"),
                hrsp: ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx"]
                    .iter()
                    .chain(["hrsp_other"].iter())
                    .map(|c| n(c))
                    .collect(),
                addr: r.get("addr").unwrap_or("").to_string(),
            }
        })
        .collect())
}

#[zbus::interface(name = "org.rampart.Lbd1")]
impl LbdIface {
    async fn config_text(&self) -> fdo::Result<String> {
        let sh = self.shared.lock().await;
        sh.store.current_text().map_err(failed)
    }

    async fn config_model(&self) -> fdo::Result<String> {
        let text = self.config_text().await?;
        let outcome = crate::config::load_str(
            &self.shared.lock().await.store.config.display().to_string(),
            text.as_bytes(),
            &crate::config::ProcessEnv,
        );
        let Some(cfg) = outcome.config else {
            let alerts: Vec<String> = outcome.diags.iter().map(|d| d.text.clone()).collect();
            return Err(failed(format!(
                "the configuration does not load:\n{}",
                alerts.join("\n")
            )));
        };
        serde_json::to_string(&cfg)
            .map_err(|e| failed(format!("the model does not serialize: {e}")))
    }

    async fn validate(&self, text: &str) -> Vec<ConfigError> {
        validate(text).1
    }

    async fn apply(
        &self,
        text: &str,
        confirm_seconds: u32,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
        #[zbus(connection)] conn: &zbus::Connection,
    ) -> fdo::Result<u32> {
        let (ok, errors) = validate(text);
        if !ok {
            let alerts: Vec<String> = errors
                .iter()
                .filter(|e| e.is_alert())
                .map(|e| e.message.clone())
                .collect();
            return Err(fdo::Error::InvalidArgs(alerts.join("\n")));
        }
        let mut sh = self.shared.lock().await;
        if let Some(p) = sh.pending {
            return Err(failed(format!(
                "version {} is waiting for Confirm (or its automatic rollback)",
                p.version
            )));
        }
        let previous = match sh.store.latest().map_err(failed)? {
            0 => 1, // put_in_force saves the file in use as version 1
            v => v,
        };
        let version = put_in_force(&sh.store, text, "applied").await?;
        if confirm_seconds > 0 {
            sh.next_token += 1;
            let pending = Pending {
                version,
                previous,
                token: sh.next_token,
            };
            sh.pending = Some(pending);
            let record = PendingRecord {
                version,
                previous,
                deadline_ms: deadline_ms(confirm_seconds),
            };
            // The version is in force already: a record that cannot be
            // written costs only the rollback across a restart.
            if let Err(e) = sh.store.save_pending(&record) {
                crate::server::say(
                    "[ALERT]",
                    &format!("D-Bus: cannot record the pending confirmation: {e}"),
                );
            }
            tokio::spawn(expire(
                self.shared.clone(),
                pending,
                Duration::from_secs(confirm_seconds.into()),
                conn.clone(),
            ));
        }
        drop(sh);
        let _ = LbdIface::config_applied(&emitter, version).await;
        Ok(version)
    }

    async fn confirm(&self) -> fdo::Result<()> {
        let mut sh = self.shared.lock().await;
        match sh.pending.take() {
            Some(_) => {
                forget_pending(&sh.store);
                Ok(())
            }
            None => Err(failed("no applied version is waiting for Confirm")),
        }
    }

    async fn rollback(
        &self,
        version: u32,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> fdo::Result<u32> {
        let mut sh = self.shared.lock().await;
        let text = sh
            .store
            .text(version)
            .map_err(failed)?
            .ok_or_else(|| fdo::Error::InvalidArgs(format!("no version {version}")))?;
        let v = put_in_force(&sh.store, &text, &format!("rollback to {version}")).await?;
        // An explicit rollback replaces whatever was waiting for Confirm.
        if sh.pending.take().is_some() {
            forget_pending(&sh.store);
        }
        drop(sh);
        let _ = LbdIface::config_applied(&emitter, v).await;
        Ok(v)
    }

    async fn history(&self) -> fdo::Result<Vec<Version>> {
        self.shared.lock().await.store.list().map_err(failed)
    }

    async fn set_server_state(&self, backend: &str, server: &str, state: &str) -> fdo::Result<()> {
        let spec = format!("{backend}/{server}");
        run_cli(
            &words(&["set", "server", &spec, "state", state]),
            str::is_empty,
        )
    }

    async fn set_server_weight(&self, backend: &str, server: &str, weight: u32) -> fdo::Result<()> {
        let spec = format!("{backend}/{server}");
        let w = weight.to_string();
        run_cli(&words(&["set", "weight", &spec, &w]), str::is_empty)
    }

    async fn set_server_addr(
        &self,
        backend: &str,
        server: &str,
        addr: &str,
        port: u16,
    ) -> fdo::Result<()> {
        let spec = format!("{backend}/{server}");
        let p = port.to_string();
        let mut args = words(&["set", "server", &spec, "addr", addr]);
        if port != 0 {
            args.extend(words(&["port", &p]));
        }
        // Success is reported in words too ("IP changed from ...").
        run_cli(&args, |t| {
            (t.starts_with("IP changed") || t.starts_with("no need to change"))
                && !t.contains("problem converting")
                && !t.contains("can't change")
        })
    }

    async fn stats(&self) -> fdo::Result<Vec<StatEntry>> {
        let api = hook::current_api().ok_or_else(|| failed("lbd is not serving"))?;
        let csv = api.stats.show_stat(&[]).map_err(failed)?;
        stat_entries(&csv)
    }

    async fn reload(&self) -> fdo::Result<u64> {
        // Serialised with Apply so a reload never reads a half-applied file.
        let _sh = self.shared.lock().await;
        request_reload()
            .await
            .map(|r| r.generation)
            .map_err(reload_error)
    }

    #[zbus(property(emits_changed_signal = "false"))]
    async fn pending_version(&self) -> u32 {
        self.shared.lock().await.pending.map_or(0, |p| p.version)
    }

    #[zbus(property(emits_changed_signal = "false"))]
    async fn current_version(&self) -> u32 {
        self.shared.lock().await.store.latest().unwrap_or(0)
    }

    #[zbus(signal)]
    pub async fn server_state_changed(
        emitter: &SignalEmitter<'_>,
        backend: &str,
        server: &str,
        state: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn reloaded(emitter: &SignalEmitter<'_>, generation: u64) -> zbus::Result<()>;

    #[zbus(signal)]
    pub async fn config_applied(emitter: &SignalEmitter<'_>, version: u32) -> zbus::Result<()>;
}

/// Now plus `seconds`, in Unix milliseconds.
fn deadline_ms(seconds: u32) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    now.saturating_add(u64::from(seconds) * 1000)
}

/// The confirmation deadline of one Apply: if it is still the pending one
/// when the time is up, the previous version goes back into force.
async fn expire(shared: Arc<Mutex<Shared>>, p: Pending, after: Duration, conn: zbus::Connection) {
    tokio::time::sleep(after).await;
    let mut sh = shared.lock().await;
    if sh.pending.map(|q| q.token) != Some(p.token) {
        return;
    }
    sh.pending = None;
    let comment = format!("rolled back from {} (not confirmed)", p.version);
    // Before the rollback: should it fail, a restart must not try it again
    // over whatever the operator does next.
    forget_pending(&sh.store);
    let outcome = match sh.store.text(p.previous) {
        Ok(Some(text)) => put_in_force(&sh.store, &text, &comment).await,
        Ok(None) => Err(failed(format!("version {} is gone", p.previous))),
        Err(e) => Err(failed(e)),
    };
    drop(sh);
    match outcome {
        Ok(v) => {
            crate::server::say(
                "[WARNING]",
                &format!(
                    "D-Bus: version {} not confirmed in time, version {} restored as {v}.",
                    p.version, p.previous
                ),
            );
            if let Ok(emitter) = SignalEmitter::new(&conn, LBD_PATH) {
                let _ = LbdIface::config_applied(&emitter, v).await;
            }
        }
        Err(e) => crate::server::say(
            "[ALERT]",
            &format!(
                "D-Bus: automatic rollback of version {} failed: {e}",
                p.version
            ),
        ),
    }
}
