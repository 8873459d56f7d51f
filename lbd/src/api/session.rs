//! One CLI client: read requests, run them, write each output followed by
//! its terminator, as 2.6's applet does.
//!
//! After each command the terminator is `\n` (non-interactive) or `\n> `
//! (after `prompt`); while a payload is being gathered it is nothing, or
//! `+ ` interactively. A non-interactive session closes as soon as a
//! command has run and no further input is already buffered. Every read and
//! write is bounded by the session's idle timeout, so a client that stops
//! reading or writing only ever holds its own task.

use super::commands::{execute, SessionState};
use super::parse::{next_request, split_words, starts_payload};
use super::Api;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A request gathered in payload mode: the command line and the lines after.
struct Pending {
    command: Vec<u8>,
    payload: String,
}

/// Serves one client until it quits, times out, or (non-interactive) has
/// been answered.
pub async fn serve_client<S>(api: &Api, stream: S, mut st: SessionState)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut pending: Option<Pending> = None;
    let mut chunk = [0u8; 4096];
    loop {
        // Run every request already complete in the buffer.
        loop {
            let framed = match next_request(&buf, pending.is_some()) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return,
            };
            buf.drain(..framed.consumed);
            let (out, close) = step(api, &mut st, &mut pending, framed.line);
            if !out.is_empty() && !write(&mut wr, out.as_bytes(), &st).await {
                return;
            }
            if close || (!st.prompt && pending.is_none() && buf.is_empty()) {
                let _ = wr.shutdown().await;
                return;
            }
        }
        let n = match tokio::time::timeout(st.timeout, rd.read(&mut chunk)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) | Err(_) => return,
        };
        if n == 0 {
            // Whatever is left has no delimiter: 2.6 answers nothing.
            let _ = wr.shutdown().await;
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn write<W: AsyncWrite + Unpin>(wr: &mut W, data: &[u8], st: &SessionState) -> bool {
    matches!(
        tokio::time::timeout(st.timeout, wr.write_all(data)).await,
        Ok(Ok(()))
    )
}

/// Handles one framed line: gathers payload lines, or runs a request. Returns
/// the bytes to send and whether to close without more.
fn step(
    api: &Api,
    st: &mut SessionState,
    pending: &mut Option<Pending>,
    line: Vec<u8>,
) -> (String, bool) {
    let gathering = if st.prompt { "+ " } else { "" };
    let (command, payload) = match pending.take() {
        Some(mut p) if !line.is_empty() => {
            p.payload.push_str(&String::from_utf8_lossy(&line));
            p.payload.push('\n');
            *pending = Some(p);
            return (gathering.into(), false);
        }
        Some(mut p) => {
            // The empty line ends the payload; its last LF is not part of it.
            if p.payload.ends_with('\n') {
                p.payload.pop();
            }
            (p.command, Some(p.payload))
        }
        None if starts_payload(&line) => {
            *pending = Some(Pending {
                command: line,
                payload: String::new(),
            });
            return (gathering.into(), false);
        }
        None => (line, None),
    };
    let (words, marker) = split_words(&command);
    let payload = if marker { payload } else { None };
    let out = execute(api, st, &words, payload.as_deref());
    if out.close {
        return (String::new(), true);
    }
    let mut text = out.text;
    if st.prompt {
        text.push_str("\n> ");
    } else if !out.nolf {
        text.push('\n');
    }
    (text, false)
}
