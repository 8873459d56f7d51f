//! Reading a PROXY protocol header off an accepted socket (`accept-proxy`)
//! and writing one to a fresh server connection (`send-proxy`). The
//! reader peeks and consumes only header bytes, so whatever follows (a TLS
//! ClientHello, an HTTP request) stays in the socket for the next stage.

use super::{parse, Error, Header, Parse};
use crate::stream::Stream;
use nix::sys::socket::{recv, MsgFlags};
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, Interest};

/// Why no header was received; the `Display` text is HAProxy's log message.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("Connection closed while waiting for PROXY protocol header")]
    Empty,
    #[error("Connection error while waiting for PROXY protocol header")]
    Abort,
    #[error("Timeout while waiting for PROXY protocol header")]
    Timeout,
    #[error("Truncated PROXY protocol header received")]
    Truncated,
    #[error("{0}")]
    Invalid(#[from] Error),
}

/// Room for the largest v2 header lbd accepts; HAProxy reads into a
/// buffer of `tune.bufsize`, so a longer one is refused there too.
const MAX_HEADER: usize = 16 * 1024;

/// Reads the header at the start of `stream`, bounded by `timeout`
/// (`timeout client`).
pub async fn read_header(
    stream: &Stream,
    timeout: Option<Duration>,
) -> Result<Box<Header>, ReadError> {
    match timeout {
        Some(t) => tokio::time::timeout(t, read(stream))
            .await
            .unwrap_or(Err(ReadError::Timeout)),
        None => read(stream).await,
    }
}

async fn read(stream: &Stream) -> Result<Box<Header>, ReadError> {
    let fd = stream.as_raw_fd();
    let mut have: Vec<u8> = Vec::new();
    let mut peeked = vec![0u8; 536];
    loop {
        stream.readable().await.map_err(|_| ReadError::Abort)?;
        let n = match stream.try_io(Interest::READABLE, || {
            recv(fd, &mut peeked, MsgFlags::MSG_PEEK).map_err(io::Error::from)
        }) {
            Ok(0) if have.is_empty() => return Err(ReadError::Empty),
            Ok(0) => return Err(ReadError::Truncated),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(_) => return Err(ReadError::Abort),
        };
        let start = have.len();
        have.extend_from_slice(&peeked[..n]);
        let (header, take) = match parse(&have)? {
            Parse::Done { header, len } => (Some(header), len - start),
            // Every byte seen is header: consume it all and read on.
            Parse::Incomplete => (None, n),
        };
        have.truncate(start + take);
        consume(stream, fd, take)?;
        if let Some(h) = header {
            return Ok(h);
        }
        if have.len() >= MAX_HEADER {
            return Err(ReadError::Invalid(Error::BadHeader));
        }
        if peeked.len() < MAX_HEADER {
            peeked.resize(MAX_HEADER.min(peeked.len() * 4), 0);
        }
    }
}

/// Removes `n` bytes already seen by a peek from the socket.
fn consume(stream: &Stream, fd: std::os::fd::RawFd, n: usize) -> Result<(), ReadError> {
    let mut sink = vec![0u8; n];
    let got = stream
        .try_io(Interest::READABLE, || {
            recv(fd, &mut sink, MsgFlags::empty()).map_err(io::Error::from)
        })
        .map_err(|_| ReadError::Abort)?;
    if got == n {
        Ok(())
    } else {
        Err(ReadError::Abort)
    }
}

/// Writes a header to a server connection before anything else.
pub async fn write_header(stream: &mut Stream, header: &[u8]) -> io::Result<()> {
    stream.write_all(header).await?;
    stream.flush().await
}
