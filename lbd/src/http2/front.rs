//! The HTTP/2 frontend: one h2 server connection per client (lbd's own,
//! `super::mux`), and for each stream a bridge into lbd's HTTP/1.1 session
//! (`crate::http::serve_stream`) over an in-memory pipe
//! (`crate::stream::mem`). Rules, backends, pooling, logs and counters are
//! thus the H1 session's, unchanged; this module only translates. The heads
//! cross without a second parse: the request head goes to the session
//! already parsed (`h1::HeadBuilder`) beside its bytes, and a forwarded
//! response head comes back as fields (`mem::Head`), encoded here as HPACK;
//! bodies, and the responses lbd generates, flow as HTTP/1 bytes.
//!
//! Defences bounded per connection (see `super::mux`): concurrent streams
//! (`tune.h2.max-concurrent-streams`), header list size (the H1 head limit),
//! header block size and CONTINUATION frames, streams reset or refused per
//! second (the rapid-reset attack), flow-control windows, and `timeout
//! client` while no stream is open.

use super::convert::{self, Piece, RequestFraming};
use super::mux::{self, code, StreamRef};
use crate::h1::{BodyFraming, Method, ParseOptions};
use crate::runtime::Frontend;
use crate::server::Stop;
use crate::session::{ClientInfo, LogCtx};
use crate::stats::sess::SessEntry;
use crate::stream::mem::{self, MemStream};
use crate::stream::Stream;
use bytes::{Bytes, BytesMut};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// Streams a client may cancel per second before the connection is closed
/// with GOAWAY(ENHANCE_YOUR_CALM): far above what a browser navigating
/// away does, far below what a rapid-reset flood needs to hurt.
const MAX_CLIENT_RESETS_PER_SEC: u32 = 200;

/// The h2 settings lbd announces and enforces for a frontend.
fn limits(fe: &Frontend, max_header_list: u32) -> mux::Limits {
    let t = fe.global.tune_h2;
    mux::Limits {
        max_concurrent_streams: t.max_concurrent_streams,
        initial_window_size: t.initial_window_size,
        max_frame_size: t.max_frame_size,
        header_table_size: t.header_table_size,
        max_header_list_size: max_header_list,
        max_resets_per_sec: MAX_CLIENT_RESETS_PER_SEC,
    }
}

/// Serves one HTTP/2 client connection (after TLS with ALPN `h2`, on a
/// `proto h2` bind, or after the h2 preface was seen on a clear bind);
/// `state` is what its `tcp-request connection` rules left at accept.
pub async fn serve(
    fe: Arc<Frontend>,
    stream: Stream,
    info: ClientInfo,
    state: crate::http::ctx::State,
    stop: watch::Receiver<Stop>,
    log: LogCtx,
    sess: Arc<SessEntry>,
) {
    let opts = crate::http::parse_options(&fe);
    let idle = fe.conf.timeouts.client.map(Duration::from_millis);
    // A second descriptor on the client socket, for the lingering close
    // after a GOAWAY (see [`linger`]).
    let linger_fd = match &stream {
        Stream::Unix(_) | Stream::Mem(_) => None,
        _ => std::os::fd::AsFd::as_fd(&stream).try_clone_to_owned().ok(),
    };
    // `tcp-request session` rules (the `connection` rules ran at accept):
    // once for the connection, before any h2 frame, as 2.6 runs them; its
    // streams share what they track.
    let conn_state = match crate::tcp::start_session(&fe, &info, state) {
        Ok(state) => state,
        Err(r) => {
            if r.reset {
                stream.set_nolinger();
            }
            return;
        }
    };
    let conn_state = Arc::new(conn_state);
    // A request head must fit the H1 session's buffer anyway.
    let mut conn = mux::Connection::new(stream, limits(&fe, opts.max_head as u32));
    let ctx = crate::http::MuxConn {
        conn_state: conn_state.clone(),
        fe,
        info,
        stop: stop.clone(),
        log,
        sess: sess.clone(),
        opts,
    };
    let mut stop = stop;
    // One kill watch for the connection's life, not one per accepted
    // stream (each registers with and leaves the notifier under its lock).
    let killed = sess.killed();
    tokio::pin!(killed);
    let mut closing = false;
    let far = Duration::from_secs(86400 * 365);
    // When the last stream arrived (at first, when the timer was set): the
    // idle timer is pushed back lazily, when it fires, rather than reset
    // per stream (each reset moved the timer in the wheel and at times woke
    // the driver with a write).
    let mut last_stream = Instant::now();
    let idle_sleep = tokio::time::sleep_until((last_stream + idle.unwrap_or(far)).into());
    tokio::pin!(idle_sleep);
    let lingering = loop {
        tokio::select! {
            // In order: streams first; the timers and signals rarely fire.
            biased;
            r = conn.accept() => match r {
                Some((req, respond)) => {
                    // One clock read per stream: its idle timer and when its
                    // transaction starts.
                    let now = Instant::now();
                    last_stream = now;
                    spawn_stream(&ctx, req, respond, now);
                }
                // The connection ended: the client closed it, or a GOAWAY
                // (ours, on a protocol error or a reset budget spent) was
                // sent. Either way, linger.
                None => break true,
            },
            _ = &mut idle_sleep => {
                let t = idle.unwrap_or(far);
                let due = last_stream + t;
                if due > Instant::now() {
                    // A stream came since the timer was set.
                    idle_sleep.as_mut().reset(due.into());
                    continue;
                }
                idle_sleep.as_mut().reset(tokio::time::Instant::now() + t);
                if !conn.has_streams() && !closing {
                    closing = true;
                    conn.graceful_shutdown();
                } else if closing && idle.is_some() {
                    // The client neither finished nor left in a whole
                    // `timeout client` after GOAWAY.
                    break false;
                }
            }
            _ = stop.changed(), if !closing => {
                closing = true;
                conn.graceful_shutdown();
            }
            _ = &mut killed => break false,
        }
    };
    drop(conn);
    if let (true, Some(fd)) = (lingering, linger_fd) {
        linger(fd).await;
    }
}

/// How long a connection closed by GOAWAY keeps reading what its client
/// still sends.
const LINGER: Duration = Duration::from_secs(2);

/// Lingering close after a GOAWAY: the write side is shut (FIN after the
/// GOAWAY frame) and whatever the client still sends is read and dropped
/// until it closes too, for at most [`LINGER`]. Closing at once with unread
/// input would answer the client's next write with a reset, and a client
/// busy writing (a rapid-reset flood, a large upload) would see that reset
/// before it reads the GOAWAY that says why.
async fn linger(fd: std::os::fd::OwnedFd) {
    let std = std::net::TcpStream::from(fd);
    if std.set_nonblocking(true).is_err() {
        return;
    }
    let Ok(mut s) = tokio::net::TcpStream::from_std(std) else {
        return;
    };
    let _ = s.shutdown().await;
    // On the heap, and only now: inline, these 8 KiB would sit in every
    // idle h2 connection's future.
    let mut buf = vec![0u8; 8192];
    let drain = async {
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Sets up one h2 stream and spawns its task: its request head goes into a
/// memory pipe, an H1 session is opened on the other end, and [`bridge`]
/// translates between them; `start` is when it arrived. A stream no pipe
/// could be made for is reset.
///
/// The session is opened here, before the stream's future: what it starts
/// from goes straight into its box instead of riding in the future as
/// arguments (the future stays smaller, which keeps a hundred streams'
/// state in the cache). The future itself is built in its box: the box is
/// allocated first and the future written into it, so the compiler builds
/// it in place rather than on the stack and then copies it whole (5 KiB per
/// stream; that copy showed in perf). That holds with this function out of
/// line and [`bridge`]'s pieces passed as separate arguments: inlined into
/// the connection's loop, or given one struct argument (which rustc laid
/// out at the far end of the future), the future was built on the stack.
#[inline(never)]
fn spawn_stream(ctx: &crate::http::MuxConn, req: mux::Request, respond: StreamRef, start: Instant) {
    let (ours, theirs) = match mem::pair_with_hpack() {
        Ok(p) => p,
        Err(_) => {
            respond.send_reset(code::INTERNAL_ERROR);
            return;
        }
    };
    let (framing, head) =
        ours.preload(|out| convert::mux_request(&req, true, convert::H2_VERSION, &ctx.opts, out));
    let method = Method::from_bytes(req.method());
    // The fields were copied into the head: the request's buffers go now.
    drop(req);
    let session = ctx.open_stream(Stream::Mem(theirs), head, start);
    let t = Translate {
        framing,
        method,
        opts: ctx.opts,
    };
    let slot = Box::new_uninit();
    tokio::spawn(Box::into_pin(Box::write(
        slot,
        bridge(
            session,
            ctx.stop.clone(),
            ours,
            respond,
            t,
            ctx.conn_state.clone(),
        ),
    )));
}

/// How a stream's response is translated.
struct Translate {
    framing: RequestFraming,
    method: Method,
    opts: ParseOptions,
}

/// One h2 stream through its H1 session.
async fn bridge(
    session: crate::http::StreamSession,
    stop: watch::Receiver<Stop>,
    ours: MemStream,
    respond: StreamRef,
    t: Translate,
    conn_state: Arc<crate::http::ctx::State>,
) {
    let Translate {
        framing,
        method,
        opts,
    } = t;
    // The session runs in this task, beside the translation: one task per
    // stream instead of two, and no cross-task wake-up per pipe write. It
    // sits inline in this future, which the spawn boxes whole.
    // Each future is built in the place it is polled from (`pin!` on the
    // call, not on a local moved into `join!`): a local moved into another
    // slot keeps its own, so the stream's box held the session twice.
    let session = pin!(session.serve(stop));
    let translate = pin!(async move {
        let outcome = {
            let mut up = pin!(request_up(&ours, &respond, framing));
            let mut up_done = false;
            let mut down = pin!(response_down(&ours, &respond, method, &opts));
            loop {
                tokio::select! {
                    // The response first: the upload is done, or waits for
                    // its client, far more often than not.
                    biased;
                    r = down.as_mut() => break r,
                    r = up.as_mut(), if !up_done => {
                        up_done = true;
                        if r == Err(Flow::ClientReset) {
                            break Err(Flow::ClientReset);
                        }
                    }
                }
            }
        };
        // A client reset was counted by the connection (its rapid-reset
        // budget); a session that failed mid-response resets the stream.
        if outcome == Err(Flow::Session) {
            respond.send_reset(code::INTERNAL_ERROR);
        }
        // The stream is done with (a reset, or the end of its response):
        // its handle goes before the pipe closes.
        drop(respond);
        // The pipe closes here: a session still in its transaction (the
        // client reset the stream) reads the end of its client from it.
        drop(ours);
        // The connection's tracked entries stay held until the stream is
        // done, as the context that carried them was.
        drop(conn_state);
    });
    tokio::join!(session, translate);
}

/// Why a stream ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// The client reset the stream or left.
    ClientReset,
    /// The H1 session ended without a complete response.
    Session,
}

/// Writes the request body into the H1 session.
/// The head is already in the pipe (see [`MemStream::preload`]).
async fn request_up(
    mut wr: &MemStream,
    body: &StreamRef,
    framing: RequestFraming,
) -> Result<(), Flow> {
    if framing == RequestFraming::Empty {
        // Keep the write side open: a half-close would read as the client
        // leaving before its response.
        std::future::pending::<()>().await;
    }
    let mut out = Vec::with_capacity(32);
    while let Some(data) = body.data().await {
        let data = data.map_err(|_| Flow::ClientReset)?;
        let n = data.len();
        if framing == RequestFraming::Chunked && n > 0 {
            out.clear();
            out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            wr.write_all(&out).await.map_err(|_| Flow::Session)?;
            wr.write_all(&data).await.map_err(|_| Flow::Session)?;
            wr.write_all(b"\r\n").await.map_err(|_| Flow::Session)?;
        } else {
            wr.write_all(&data).await.map_err(|_| Flow::Session)?;
        }
        // Flow control: the client may send more once the session took it.
        body.release(n);
    }
    if framing == RequestFraming::Chunked {
        out.clear();
        out.extend_from_slice(b"0\r\n");
        if let Some(t) = body.take_trailers() {
            out.extend_from_slice(&t);
        }
        out.extend_from_slice(b"\r\n");
        wr.write_all(&out).await.map_err(|_| Flow::Session)?;
    }
    std::future::pending::<()>().await;
    Ok(())
}

/// Reads the H1 response out of the session and sends it on the stream.
async fn response_down(
    rd: &MemStream,
    respond: &StreamRef,
    method: Method,
    opts: &ParseOptions,
) -> Result<(), Flow> {
    // Filled by handing over the pipe's own buffer (no copy, nothing
    // allocated here).
    let mut buf = BytesMut::new();
    // A forwarded response comes as fields; one lbd generated (an error
    // page, a redirect, a deny) as HTTP/1 bytes, parsed here.
    let (mut block, framing) = loop {
        let parsed = convert::buffered_response_hpack(&mut buf, method, opts);
        if let Some(h) = parsed.map_err(|_| Flow::Session)? {
            break h;
        }
        let got = read_more(rd, &mut buf, respond).await?;
        if let Some(h) = convert::piped_response_hpack(got, &buf).map_err(|_| Flow::Session)? {
            break h;
        }
    };
    let framing = match framing {
        BodyFraming::Tunnel => BodyFraming::UntilClose,
        f => f,
    };
    let empty = framing == BodyFraming::None || framing == BodyFraming::ContentLength(0);
    respond
        .send_headers(&block, empty)
        .map_err(|_| Flow::ClientReset)?;
    match framing {
        BodyFraming::None | BodyFraming::Tunnel => Ok(()),
        BodyFraming::ContentLength(0) => Ok(()),
        BodyFraming::ContentLength(mut left) => loop {
            if !buf.is_empty() {
                let n = (buf.len() as u64).min(left) as usize;
                left -= n as u64;
                send_all(respond, buf.split_to(n).freeze(), left == 0).await?;
                if left == 0 {
                    return Ok(());
                }
            }
            if body_read(rd, &mut buf, respond).await? == 0 {
                return Err(Flow::Session);
            }
        },
        BodyFraming::Chunked => {
            let mut dechunk = convert::Dechunker::default();
            loop {
                while let Some(p) = dechunk.next(&mut buf).map_err(|_| Flow::Session)? {
                    match p {
                        Piece::Data(d) => send_all(respond, d, false).await?,
                        Piece::End(t) if t.is_empty() => {
                            return send_all(respond, Bytes::new(), true).await;
                        }
                        Piece::End(t) => {
                            block.clear();
                            convert::hpack_fields(&t, &mut block);
                            return respond.send_trailers(&block).map_err(|_| Flow::ClientReset);
                        }
                    }
                }
                if body_read(rd, &mut buf, respond).await? == 0 {
                    return Err(Flow::Session);
                }
            }
        }
        BodyFraming::UntilClose => loop {
            if !buf.is_empty() {
                send_all(respond, buf.split().freeze(), false).await?;
            }
            if body_read(rd, &mut buf, respond).await? == 0 {
                return send_all(respond, Bytes::new(), true).await;
            }
        },
    }
}

/// Reads from the session, or fails as soon as the client resets.
async fn read_more(
    rd: &MemStream,
    buf: &mut BytesMut,
    stream: &StreamRef,
) -> Result<mem::Incoming, Flow> {
    let reset = std::future::poll_fn(|cx| stream.poll_reset(cx));
    tokio::select! {
        // The read first: when it is ready, the stream's reset state is not
        // looked at.
        biased;
        r = std::future::poll_fn(|cx| rd.poll_read_head(cx, buf)) => r.map_err(|_| Flow::Session),
        _ = reset => Err(Flow::ClientReset),
    }
}

/// [`read_more`] for body bytes: a second head there is the session's
/// mistake.
async fn body_read(rd: &MemStream, buf: &mut BytesMut, stream: &StreamRef) -> Result<usize, Flow> {
    match read_more(rd, buf, stream).await? {
        mem::Incoming::Bytes(n) => Ok(n),
        mem::Incoming::Head(_) => Err(Flow::Session),
    }
}

/// Sends `data` as the client's flow-control windows allow.
async fn send_all(stream: &StreamRef, data: Bytes, eos: bool) -> Result<(), Flow> {
    stream
        .send_data(data, eos)
        .await
        .map_err(|_| Flow::ClientReset)
}
