//! `org.rampart.Vrrp1` (defined in `lbapi::dbus::vrrp`) served on D-Bus when asked for.
//!
//! The bus side never touches daemon state: method calls become [`Query`]s that the
//! protocol loop answers from its own data between events, and transitions leave the
//! loop on an unbounded channel to a task that emits the signal. A slow or absent bus
//! can therefore never delay an advert.

use lbapi::dbus::{InstanceStatus, SyncGroupStatus, VRRP_BUS_NAME, VRRP_PATH};
use tokio::sync::{mpsc, oneshot};
use zbus::fdo;
use zbus::object_server::SignalEmitter;

/// Which bus to join (`--dbus system|session|<address>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusAddress {
    System,
    Session,
    /// A D-Bus address such as `unix:path=/run/dbus/system_bus_socket`.
    Address(String),
}

impl BusAddress {
    pub fn parse(s: &str) -> BusAddress {
        match s {
            "system" => BusAddress::System,
            "session" => BusAddress::Session,
            a => BusAddress::Address(a.to_string()),
        }
    }
}

/// A method call waiting for the protocol loop's answer.
#[derive(Debug)]
pub enum Query {
    Instances(oneshot::Sender<Vec<InstanceStatus>>),
    SyncGroups(oneshot::Sender<Vec<SyncGroupStatus>>),
}

/// One `Transition` signal to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionSignal {
    pub instance: String,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// The daemon's end of the bus: queries to answer, signals to send. The connection
/// lives as long as this does.
#[derive(Debug)]
pub struct BusLink {
    pub queries: mpsc::Receiver<Query>,
    pub signals: mpsc::UnboundedSender<TransitionSignal>,
    _conn: zbus::Connection,
}

struct VrrpIface {
    queries: mpsc::Sender<Query>,
}

fn gone() -> fdo::Error {
    fdo::Error::Failed("the VRRP daemon is stopping".to_string())
}

#[zbus::interface(name = "org.rampart.Vrrp1")]
impl VrrpIface {
    async fn instances(&self) -> fdo::Result<Vec<InstanceStatus>> {
        let (tx, rx) = oneshot::channel();
        self.queries
            .send(Query::Instances(tx))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    async fn sync_groups(&self) -> fdo::Result<Vec<SyncGroupStatus>> {
        let (tx, rx) = oneshot::channel();
        self.queries
            .send(Query::SyncGroups(tx))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }

    #[zbus(signal)]
    async fn transition(
        emitter: &SignalEmitter<'_>,
        instance: &str,
        from: &str,
        to: &str,
        reason: &str,
    ) -> zbus::Result<()>;
}

/// Connects, serves the interface at `/org/rampart/Vrrp` and takes `org.rampart.Vrrp`.
pub async fn serve(addr: &BusAddress) -> zbus::Result<BusLink> {
    let builder = match addr {
        BusAddress::System => zbus::connection::Builder::system()?,
        BusAddress::Session => zbus::connection::Builder::session()?,
        BusAddress::Address(a) => zbus::connection::Builder::address(a.as_str())?,
    };
    let (qtx, qrx) = mpsc::channel(16);
    let conn = builder
        .name(VRRP_BUS_NAME)?
        .serve_at(VRRP_PATH, VrrpIface { queries: qtx })?
        .build()
        .await?;
    let (stx, mut srx) = mpsc::unbounded_channel::<TransitionSignal>();
    let c2 = conn.clone();
    tokio::spawn(async move {
        let Ok(emitter) = SignalEmitter::new(&c2, VRRP_PATH) else {
            return;
        };
        while let Some(s) = srx.recv().await {
            // A failed emit (bus gone) loses one signal, nothing else.
            let _ = VrrpIface::transition(&emitter, &s.instance, &s.from, &s.to, &s.reason).await;
        }
    });
    Ok(BusLink {
        queries: qrx,
        signals: stx,
        _conn: conn,
    })
}
