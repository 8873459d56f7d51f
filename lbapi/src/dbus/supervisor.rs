//! `org.rampart.Supervisor1`: the supervisor's services, their logs, and the
//! box's power state.

use serde::{Deserialize, Serialize};
use zbus::zvariant::Type;

/// The well-known bus name the supervisor owns.
pub const SUPERVISOR_BUS_NAME: &str = "org.rampart.Supervisor";
/// The object path of the supervisor's single object.
pub const SUPERVISOR_PATH: &str = "/org/rampart/Supervisor";
/// The interface name.
pub const SUPERVISOR_INTERFACE: &str = "org.rampart.Supervisor1";

/// Where a service is in its life cycle, as `lbctl status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[zvariant(signature = "s")]
pub enum ServiceState {
    /// Not started yet: waiting for its dependencies to be ready.
    Waiting,
    /// Spawned, not ready yet (no READY=1, port not answering).
    Starting,
    Ready,
    /// Sent RELOADING=1 and not READY=1 since.
    Reloading,
    /// Asked to stop (SIGTERM sent), not exited yet.
    Stopping,
    /// Exited and not to be restarted (stopped by request, or done).
    Exited,
    /// Exited unexpectedly; restarts when the backoff delay ends.
    Backoff,
    /// Gave up: crashed too often, or could not be spawned.
    Failed,
}

impl ServiceState {
    /// The word `lbctl status` prints.
    pub fn word(self) -> &'static str {
        match self {
            ServiceState::Waiting => "waiting",
            ServiceState::Starting => "starting",
            ServiceState::Ready => "ready",
            ServiceState::Reloading => "reloading",
            ServiceState::Stopping => "stopping",
            ServiceState::Exited => "exited",
            ServiceState::Backoff => "backoff",
            ServiceState::Failed => "failed",
        }
    }
}

/// One service's status. Zero means "none" for `pid`; an empty string
/// means "none" for `last_exit` and `status_text` (D-Bus has no null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct ServiceStatus {
    pub name: String,
    pub state: ServiceState,
    /// The main process (MAINPID= if the service sent one).
    pub pid: u32,
    /// Restarts since the supervisor started (crashes and watchdog kills).
    pub restarts: u32,
    /// How the last run ended: "exited 0", "killed by SIGKILL (watchdog)", ...
    pub last_exit: String,
    /// The service's last STATUS= text.
    pub status_text: String,
    /// Seconds since the current state was entered.
    pub since_secs: u64,
}

/// One captured output line; `seq` increases by one per line of a service,
/// so a follower asks for lines after the last `seq` it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct LogLine {
    pub seq: u64,
    /// "out" or "err".
    pub stream: String,
    pub line: String,
}

/// The supervisor's interface. Mutating methods fail with
/// `org.freedesktop.DBus.Error.InvalidArgs` for an unknown service.
#[zbus::proxy(
    interface = "org.rampart.Supervisor1",
    default_service = "org.rampart.Supervisor",
    default_path = "/org/rampart/Supervisor"
)]
pub trait Supervisor1 {
    /// Every service, in start order.
    fn list_services(&self) -> zbus::Result<Vec<ServiceStatus>>;
    /// Stops (if running) and starts again, resetting the crash-loop count.
    fn restart(&self, service: &str) -> zbus::Result<()>;
    /// Stops a service; it stays stopped until `Start`.
    fn stop(&self, service: &str) -> zbus::Result<()>;
    /// Starts a stopped or failed service.
    fn start(&self, service: &str) -> zbus::Result<()>;
    /// The last `n` lines of a service's output.
    fn log_tail(&self, service: &str, n: u32) -> zbus::Result<Vec<LogLine>>;
    /// Lines with `seq` greater than `after` (for `lbctl logs -f`).
    fn log_since(&self, service: &str, after: u64) -> zbus::Result<Vec<LogLine>>;
    /// Orderly stop of every service, then reboot (host mode: then exit).
    fn reboot(&self) -> zbus::Result<()>;
    /// Orderly stop of every service, then power off (host mode: then exit).
    fn power_off(&self) -> zbus::Result<()>;
    /// "pid1" on the box, "host" on a developer's machine.
    #[zbus(property)]
    fn mode(&self) -> zbus::Result<String>;
}
