//! [`AddrOps`] over `netcfg`'s rtnetlink handle: the production address backend.

use std::net::IpAddr;

use netcfg::{NetEvent, NetHandle, Vip};
use tokio::sync::mpsc;

use super::addr::{AddrError, AddrOps, LinkEvent, VipSpec};

fn vip(v: &VipSpec) -> Vip {
    Vip {
        addr: v.addr,
        prefix_len: v.prefix_len,
        ifname: v.ifname.clone(),
        label: v.label.clone(),
    }
}

fn err(e: netcfg::NetcfgError) -> AddrError {
    AddrError::Failed(e.to_string())
}

impl AddrOps for NetHandle {
    async fn link_index(&self, ifname: &str) -> Result<u32, AddrError> {
        NetHandle::link_index(self, ifname)
            .await
            .map_err(|_| AddrError::NoSuchInterface(ifname.to_string()))
    }

    async fn link_is_up(&self, ifname: &str) -> Result<bool, AddrError> {
        NetHandle::link_is_up(self, ifname).await.map_err(err)
    }

    async fn addresses(&self, ifname: &str) -> Result<Vec<(IpAddr, u8)>, AddrError> {
        NetHandle::addresses(self, ifname).await.map_err(err)
    }

    async fn add_vip(&self, v: &VipSpec) -> Result<bool, AddrError> {
        NetHandle::add_vip(self, &vip(v)).await.map_err(err)
    }

    async fn remove_vip(&self, v: &VipSpec) -> Result<bool, AddrError> {
        NetHandle::remove_vip(self, &vip(v)).await.map_err(err)
    }

    fn watch(&self) -> Result<mpsc::Receiver<LinkEvent>, AddrError> {
        let mut rx = NetHandle::watch(self).map_err(err)?;
        let (tx, out) = mpsc::channel(256);
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                let ev = match ev {
                    NetEvent::LinkUp { ifname, index } => LinkEvent::LinkUp { ifname, index },
                    NetEvent::LinkDown { ifname, index } => LinkEvent::LinkDown { ifname, index },
                    NetEvent::AddrAdded {
                        index,
                        addr,
                        prefix_len,
                    } => LinkEvent::AddrAdded {
                        index,
                        addr,
                        prefix_len,
                    },
                    NetEvent::AddrRemoved {
                        index,
                        addr,
                        prefix_len,
                    } => LinkEvent::AddrRemoved {
                        index,
                        addr,
                        prefix_len,
                    },
                };
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
        });
        Ok(out)
    }
}
