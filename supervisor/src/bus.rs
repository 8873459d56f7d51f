//! `org.rampart.Supervisor1` (defined in `lbapi::dbus`) served on D-Bus: a
//! thin layer that forwards each call to the runtime's [`Handle`].

use lbapi::dbus::{LogLine, ServiceStatus, SUPERVISOR_BUS_NAME, SUPERVISOR_PATH};
use zbus::fdo;

use crate::runtime::{Handle, PowerAction, Request};

struct SupervisorIface {
    handle: Handle,
}

fn invalid(e: String) -> fdo::Error {
    fdo::Error::InvalidArgs(e)
}

#[zbus::interface(name = "org.rampart.Supervisor1")]
impl SupervisorIface {
    async fn list_services(&self) -> Vec<ServiceStatus> {
        self.handle.statuses().await
    }

    async fn restart(&self, service: &str) -> fdo::Result<()> {
        self.handle
            .request(Request::Restart, service)
            .await
            .map_err(invalid)
    }

    async fn stop(&self, service: &str) -> fdo::Result<()> {
        self.handle
            .request(Request::Stop, service)
            .await
            .map_err(invalid)
    }

    async fn start(&self, service: &str) -> fdo::Result<()> {
        self.handle
            .request(Request::Start, service)
            .await
            .map_err(invalid)
    }

    async fn log_tail(&self, service: &str, n: u32) -> fdo::Result<Vec<LogLine>> {
        self.handle
            .log_tail(service, n as usize)
            .ok_or_else(|| invalid(format!("no service named '{service}'")))
    }

    async fn log_since(&self, service: &str, after: u64) -> fdo::Result<Vec<LogLine>> {
        self.handle
            .log_since(service, after)
            .ok_or_else(|| invalid(format!("no service named '{service}'")))
    }

    async fn reboot(&self) {
        self.handle.shutdown(PowerAction::Reboot).await;
    }

    async fn power_off(&self) {
        self.handle.shutdown(PowerAction::PowerOff).await;
    }

    #[zbus(property)]
    async fn mode(&self) -> String {
        if self.handle.host_mode {
            "host"
        } else {
            "pid1"
        }
        .to_string()
    }
}

/// Connects to the bus at `address`, serves the interface and takes the
/// well-known name. The connection serves for as long as it is kept.
pub async fn serve(address: &str, handle: Handle) -> zbus::Result<zbus::Connection> {
    zbus::connection::Builder::address(address)?
        .name(SUPERVISOR_BUS_NAME)?
        .serve_at(SUPERVISOR_PATH, SupervisorIface { handle })?
        .build()
        .await
}
