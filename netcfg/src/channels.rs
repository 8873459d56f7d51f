//! NIC queue counts ("channels", `ethtool -l/-L`) through the kernel's ethtool netlink
//! family, using the rust-netlink `ethtool` crate.

use ethtool::{EthtoolAttr, EthtoolChannelAttr};
use futures_util::StreamExt;

use crate::error::NetcfgError;

/// Current and maximum channel counts of one interface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    pub combined: u32,
    pub combined_max: u32,
    pub rx: u32,
    pub tx: u32,
}

fn err(op: String, e: ethtool::EthtoolError) -> NetcfgError {
    NetcfgError::Ethtool {
        op,
        reason: e.to_string(),
    }
}

/// Reads the channel counts; `Ok(None)` when the driver does not report channels.
pub async fn get(ifname: &str) -> Result<Option<Channels>, NetcfgError> {
    let (conn, mut handle, _) = ethtool::new_connection().map_err(NetcfgError::Socket)?;
    let task = tokio::spawn(conn);
    let res = async {
        let mut s = match handle.channel().get(Some(ifname)).execute().await {
            Ok(s) => s,
            // EOPNOTSUPP: the driver has no get_channels.
            Err(ethtool::EthtoolError::NetlinkError(m)) if m.code.map(|c| -c.get()) == Some(95) => {
                return Ok(None)
            }
            Err(e) => return Err(err(format!("get channels of {ifname}"), e)),
        };
        let mut out = None;
        while let Some(msg) = s.next().await {
            let msg = match msg {
                Ok(m) => m,
                Err(ethtool::EthtoolError::NetlinkError(m))
                    if m.code.map(|c| -c.get()) == Some(95) =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(err(format!("get channels of {ifname}"), e)),
            };
            let mut c = Channels::default();
            for a in &msg.payload.nlas {
                if let EthtoolAttr::Channel(a) = a {
                    match a {
                        EthtoolChannelAttr::CombinedCount(v) => c.combined = *v,
                        EthtoolChannelAttr::CombinedMax(v) => c.combined_max = *v,
                        EthtoolChannelAttr::RxCount(v) => c.rx = *v,
                        EthtoolChannelAttr::TxCount(v) => c.tx = *v,
                        _ => {}
                    }
                }
            }
            out = Some(c);
        }
        Ok(out)
    }
    .await;
    task.abort();
    res
}

/// Sets the combined channel count (`ethtool -L IF combined N`).
pub async fn set_combined(ifname: &str, n: u32) -> Result<(), NetcfgError> {
    let (conn, mut handle, _) = ethtool::new_connection().map_err(NetcfgError::Socket)?;
    let task = tokio::spawn(conn);
    let res = handle
        .channel()
        .set(ifname)
        .combined_count(n)
        .execute()
        .await
        .map_err(|e| err(format!("set {ifname} combined channels to {n}"), e));
    task.abort();
    res
}
