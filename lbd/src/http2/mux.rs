//! lbd's own HTTP/2 server connection (RFC 9113), for the frontend.
//!
//! Why not the h2 crate, which the backends use: a bare h2-crate server
//! answering every request at once costs ~22,300 instructions per request
//! (callgrind, h2load -c10 -m10, jemalloc), where HAProxy 2.6's whole
//! frontend answering with `http-request return` costs ~15,900. That gap
//! alone was lbd's whole distance to HAProxy on h2 requests per second. This
//! connection does what lbd's frontend needs and nothing else: no push, no
//! priorities, no client side; request fields are decoded straight into a
//! flat record, responses arrive as HPACK blocks the session encoded, and a
//! stream's body bytes are slices of the read buffer.
//!
//! Shape: one [`Connection`] per client, driven by its task through
//! [`Connection::accept`], which reads and writes the socket and hands out
//! each new stream as a [`Request`] and a [`StreamRef`]. Stream tasks work
//! on their stream through the `StreamRef`, under the connection's lock
//! (uncontended: a connection and its streams run on one thread), and wake
//! the connection task when there is something to write.
//!
//! Defences, all per connection: concurrent streams (REFUSED_STREAM
//! beyond), the decoded header list (the request is refused as too large
//! but the block still decoded, so the HPACK state stays whole), the header
//! block's compressed size and CONTINUATION count (a flood closes the
//! connection with ENHANCE_YOUR_CALM), streams reset by the client or
//! refused by us per second (the rapid-reset attack: ENHANCE_YOUR_CALM),
//! flow-control windows on what a client may send, and reading stops while
//! the output waiting for a client that does not read is over a bound.

use super::hpack::{Decoder, HpackError};
use crate::stream::mem::register;
use bytes::{Bytes, BytesMut};
use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

/// Error codes (RFC 9113, section 7).
pub mod code {
    pub const NO_ERROR: u32 = 0x0;
    pub const PROTOCOL_ERROR: u32 = 0x1;
    pub const INTERNAL_ERROR: u32 = 0x2;
    pub const FLOW_CONTROL_ERROR: u32 = 0x3;
    pub const STREAM_CLOSED: u32 = 0x5;
    pub const FRAME_SIZE_ERROR: u32 = 0x6;
    pub const REFUSED_STREAM: u32 = 0x7;
    pub const CANCEL: u32 = 0x8;
    pub const COMPRESSION_ERROR: u32 = 0x9;
    pub const ENHANCE_YOUR_CALM: u32 = 0xb;
}

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const PRIORITY: u8 = 0x2;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PUSH_PROMISE: u8 = 0x5;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;

const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY_FLAG: u8 = 0x20;

/// The largest window (section 6.9.1).
const MAX_WINDOW: i64 = (1 << 31) - 1;
/// The default frame size, and the smallest a peer may announce.
const DEFAULT_FRAME: usize = 16_384;
/// Output waiting for the client beyond which streams wait to send and the
/// connection stops reading (a client that sends but never reads).
const OUT_HIGH: usize = 256 * 1024;
/// CONTINUATION frames one header block may take.
const MAX_CONTINUATIONS: u32 = 64;

/// What lbd announces and enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_concurrent_streams: u32,
    pub initial_window_size: u32,
    pub max_frame_size: u32,
    pub header_table_size: u32,
    /// Decoded header list (names, values and 32 per field, section 6.5.2).
    pub max_header_list_size: u32,
    /// Streams the client resets, or makes us refuse or reset, per second
    /// before the connection is closed with ENHANCE_YOUR_CALM.
    pub max_resets_per_sec: u32,
}

/// A request's header fields, decoded and checked (section 8.3). The
/// pseudo-headers and fields are ranges of `buf`.
#[derive(Debug, Default)]
pub struct Request {
    buf: Vec<u8>,
    method: Option<Range<usize>>,
    scheme: Option<Range<usize>>,
    authority: Option<Range<usize>>,
    path: Option<Range<usize>>,
    /// `:protocol` of an extended CONNECT (RFC 8441).
    protocol: Option<Range<usize>>,
    fields: Vec<(Range<usize>, Range<usize>)>,
    /// END_STREAM came with the fields: no body.
    pub end_stream: bool,
    pub content_length: Option<u64>,
    /// The decoded list was over `max_header_list_size`: the fields past it
    /// were dropped, and the request is to be refused as too large.
    pub too_large: bool,
}

impl Request {
    fn get(&self, r: &Option<Range<usize>>) -> Option<&[u8]> {
        r.as_ref().map(|r| &self.buf[r.clone()])
    }

    pub fn method(&self) -> &[u8] {
        self.get(&self.method).unwrap_or(b"")
    }

    pub fn scheme(&self) -> Option<&[u8]> {
        self.get(&self.scheme)
    }

    pub fn authority(&self) -> Option<&[u8]> {
        self.get(&self.authority)
    }

    pub fn path(&self) -> Option<&[u8]> {
        self.get(&self.path)
    }

    /// The protocol an extended CONNECT asks for (`websocket`).
    pub fn protocol(&self) -> Option<&[u8]> {
        self.get(&self.protocol)
    }

    /// The regular fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.fields
            .iter()
            .map(|(n, v)| (&self.buf[n.clone()], &self.buf[v.clone()]))
    }

    /// Bytes of names and values.
    pub fn fields_len(&self) -> usize {
        self.buf.len()
    }
}

/// Why a stream cannot go on: reset (by either side) or the connection is
/// gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset(pub u32);

/// Hashes stream ids as themselves: they are distinct small integers.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = n as u64;
    }
}

type Streams = HashMap<u32, StreamState, BuildHasherDefault<IdHasher>>;

#[derive(Default)]
struct StreamState {
    /// Request body slices not yet taken.
    data: VecDeque<Bytes>,
    /// END_STREAM received.
    recv_end: bool,
    /// The request's trailers as HTTP/1 lines (`name: value\r\n`...).
    trailers: Option<Bytes>,
    /// What the client may still send.
    recv_window: i64,
    /// Taken by the stream, not yet given back to the client.
    recv_unacked: u32,
    /// `content-length`, checked against the DATA received.
    expect_len: Option<u64>,
    received: u64,
    recv_waker: Option<Waker>,
    /// What we may still send.
    send_window: i64,
    send_waker: Option<Waker>,
    send_end: bool,
    /// RST_STREAM sent or received, or the connection gone.
    reset: Option<u32>,
    reset_waker: Option<Waker>,
    /// Counted against max concurrent streams (open or half-closed).
    counted: bool,
    /// A [`StreamRef`] still refers to it.
    handle: bool,
}

impl StreamState {
    fn wake_all(&mut self) {
        for w in [
            self.recv_waker.take(),
            self.send_waker.take(),
            self.reset_waker.take(),
        ]
        .into_iter()
        .flatten()
        {
            w.wake();
        }
    }
}

/// What the connection and its streams share.
struct Inner {
    streams: Streams,
    /// Frames waiting to be written.
    out: Vec<u8>,
    conn_waker: Option<Waker>,
    /// Connection-level window for what we send.
    send_window: i64,
    /// The client's SETTINGS_INITIAL_WINDOW_SIZE and MAX_FRAME_SIZE.
    peer_window: i64,
    peer_frame: usize,
    /// The next header block we send starts with a table size update.
    size_update: bool,
    /// Our SETTINGS_INITIAL_WINDOW_SIZE.
    window: u32,
    /// Our connection-level receive window target, and what the streams
    /// took of it since the last WINDOW_UPDATE.
    conn_window: u32,
    conn_unacked: u32,
    /// Streams counted against max concurrent streams.
    active: usize,
    /// The connection is over: every stream fails.
    closed: bool,
    /// Streams the client reset, or we refused, in the current second.
    resets: u32,
}

impl Inner {
    /// Wakes the connection task if `out` just became non-empty.
    fn wake_conn_if(&mut self, was_empty: bool) -> Option<Waker> {
        if was_empty && !self.out.is_empty() {
            self.conn_waker.clone()
        } else {
            None
        }
    }

    /// Stops counting a stream that is closed both ways, and forgets it
    /// once no handle refers to it.
    fn settle(&mut self, id: u32) {
        let Some(st) = self.streams.get_mut(&id) else {
            return;
        };
        if st.counted && (st.reset.is_some() || (st.recv_end && st.send_end)) {
            st.counted = false;
            self.active -= 1;
        }
        if !st.handle && !st.counted {
            self.streams.remove(&id);
        }
    }

    fn reset_stream(&mut self, id: u32, code: u32) {
        frame_head(&mut self.out, 4, RST_STREAM, 0, id);
        self.out.extend_from_slice(&code.to_be_bytes());
        if let Some(st) = self.streams.get_mut(&id) {
            st.reset.get_or_insert(code);
            st.wake_all();
        }
        self.settle(id);
    }

    /// Writes a header block as HEADERS and CONTINUATION frames.
    fn put_headers(&mut self, id: u32, block: &[u8], end_stream: bool) {
        let prefix: &[u8] = if std::mem::take(&mut self.size_update) {
            &[0x20]
        } else {
            &[]
        };
        let total = prefix.len() + block.len();
        let max = self.peer_frame;
        if total <= max {
            let flags = END_HEADERS | if end_stream { END_STREAM } else { 0 };
            frame_head(&mut self.out, total, HEADERS, flags, id);
            self.out.extend_from_slice(prefix);
            self.out.extend_from_slice(block);
            return;
        }
        let mut whole = Vec::with_capacity(total);
        whole.extend_from_slice(prefix);
        whole.extend_from_slice(block);
        let mut rest = &whole[..];
        let mut first = true;
        while !rest.is_empty() {
            let n = rest.len().min(max);
            let last = n == rest.len();
            let kind = if first { HEADERS } else { CONTINUATION };
            let mut flags = if last { END_HEADERS } else { 0 };
            if first && end_stream {
                flags |= END_STREAM;
            }
            frame_head(&mut self.out, n, kind, flags, id);
            self.out.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            first = false;
        }
    }

    /// Gives back `n` bytes of receive window on the connection and on
    /// stream `id`, with a WINDOW_UPDATE once half a window is owed.
    fn give_back(&mut self, id: Option<u32>, n: u32) {
        self.conn_unacked = self.conn_unacked.saturating_add(n);
        if self.conn_unacked >= self.conn_window / 2 {
            window_update(&mut self.out, 0, self.conn_unacked);
            self.conn_unacked = 0;
        }
        let window = self.window;
        if let Some(st) = id.and_then(|id| self.streams.get_mut(&id)) {
            if st.recv_end || st.reset.is_some() {
                return;
            }
            st.recv_unacked = st.recv_unacked.saturating_add(n);
            if st.recv_unacked >= window / 2 {
                let inc = st.recv_unacked;
                st.recv_unacked = 0;
                st.recv_window += inc as i64;
                if let Some(id) = id {
                    window_update(&mut self.out, id, inc);
                }
            }
        }
    }
}

fn frame_head(out: &mut Vec<u8>, len: usize, kind: u8, flags: u8, id: u32) {
    let l = (len as u32).to_be_bytes();
    out.extend_from_slice(&[l[1], l[2], l[3], kind, flags]);
    out.extend_from_slice(&(id & 0x7fff_ffff).to_be_bytes());
}

fn window_update(out: &mut Vec<u8>, id: u32, inc: u32) {
    frame_head(out, 4, WINDOW_UPDATE, 0, id);
    out.extend_from_slice(&inc.to_be_bytes());
}

fn lock(shared: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // A panic elsewhere under the lock leaves state no worse than a reset.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// A header block being received over CONTINUATION frames.
struct Pending {
    id: u32,
    end_stream: bool,
    block: Vec<u8>,
    frames: u32,
}

/// Why the connection ends.
enum Fatal {
    /// Send GOAWAY with this code, then close.
    Goaway(u32),
}

/// One client connection.
pub struct Connection<T> {
    io: T,
    shared: Arc<Mutex<Inner>>,
    limits: Limits,
    decoder: Decoder,
    rbuf: BytesMut,
    /// Being written: `wbuf[wpos..]`.
    wbuf: Vec<u8>,
    wpos: usize,
    preface_done: bool,
    settings_seen: bool,
    pending: Option<Pending>,
    /// The highest stream id the client opened.
    last_id: u32,
    accepted: VecDeque<(Request, StreamRef)>,
    /// GOAWAY sent: no new streams. `Some(true)`: close once written.
    goaway: Option<bool>,
    /// The client sent GOAWAY.
    peer_goaway: bool,
    /// The read side ended.
    eof: bool,
    reset_window: Instant,
    /// The last request's decoded size and field count.
    hint: (usize, usize),
}

/// The client connection preface (section 3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

impl<T: AsyncRead + AsyncWrite + Unpin> Connection<T> {
    /// Starts a connection: our SETTINGS and connection window go out with
    /// the first write. The client's preface is checked as it arrives.
    pub fn new(io: T, limits: Limits) -> Connection<T> {
        let mut out = Vec::with_capacity(1024);
        let settings: [(u16, u32); 6] = [
            (0x1, limits.header_table_size),
            (0x3, limits.max_concurrent_streams),
            (0x4, limits.initial_window_size),
            (0x5, limits.max_frame_size),
            (0x6, limits.max_header_list_size),
            // SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): WebSocket over
            // h2, as 2.6 offers it.
            (0x8, 1),
        ];
        frame_head(&mut out, settings.len() * 6, SETTINGS, 0, 0);
        for (k, v) in settings {
            out.extend_from_slice(&k.to_be_bytes());
            out.extend_from_slice(&v.to_be_bytes());
        }
        // The connection window covers every stream's: stream windows are
        // what bound a client.
        let conn_window = (limits.initial_window_size as i64
            * limits.max_concurrent_streams.max(1) as i64)
            .clamp(65_535, MAX_WINDOW) as u32;
        if conn_window > 65_535 {
            window_update(&mut out, 0, conn_window - 65_535);
        }
        let inner = Inner {
            streams: Streams::default(),
            out,
            conn_waker: None,
            send_window: 65_535,
            peer_window: 65_535,
            peer_frame: DEFAULT_FRAME,
            size_update: false,
            window: limits.initial_window_size,
            conn_window,
            conn_unacked: 0,
            active: 0,
            closed: false,
            resets: 0,
        };
        Connection {
            io,
            shared: Arc::new(Mutex::new(inner)),
            limits,
            decoder: Decoder::new(limits.header_table_size as usize),
            rbuf: BytesMut::with_capacity(16 * 1024),
            wbuf: Vec::new(),
            wpos: 0,
            preface_done: false,
            settings_seen: false,
            pending: None,
            last_id: 0,
            accepted: VecDeque::new(),
            goaway: None,
            peer_goaway: false,
            eof: false,
            reset_window: Instant::now(),
            hint: (0, 0),
        }
    }

    /// The next stream the client opens, driving the connection meanwhile.
    /// None: the connection is over (closed by the client, or a GOAWAY of
    /// ours was written and nothing is left to serve).
    pub async fn accept(&mut self) -> Option<(Request, StreamRef)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Whether streams are open (counted, or accepted and not yet taken).
    pub fn has_streams(&self) -> bool {
        !self.accepted.is_empty() || lock(&self.shared).active > 0
    }

    /// GOAWAY(NO_ERROR): no new streams, those open finish.
    pub fn graceful_shutdown(&mut self) {
        if self.goaway.is_none() {
            self.send_goaway(code::NO_ERROR, false);
        }
    }

    /// GOAWAY with `code`, and the connection closes once it is written.
    fn abrupt_shutdown(&mut self, code: u32) {
        self.send_goaway(code, true);
    }

    fn send_goaway(&mut self, code: u32, close: bool) {
        let mut inner = lock(&self.shared);
        frame_head(&mut inner.out, 8, GOAWAY, 0, 0);
        let last = self.last_id;
        inner.out.extend_from_slice(&last.to_be_bytes());
        inner.out.extend_from_slice(&code.to_be_bytes());
        self.goaway = Some(close || self.goaway == Some(true));
    }

    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Request, StreamRef)>> {
        loop {
            if let Some(a) = self.accepted.pop_front() {
                return Poll::Ready(Some(a));
            }
            // Write what is waiting.
            match self.poll_flush(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(())) => return Poll::Ready(None),
                Poll::Pending => {}
            }
            let flushed = self.wpos == self.wbuf.len();
            let (out_len, active) = {
                let mut inner = lock(&self.shared);
                register(&mut inner.conn_waker, cx);
                (inner.out.len(), inner.active)
            };
            match self.goaway {
                Some(true) if flushed && out_len == 0 => return Poll::Ready(None),
                Some(_) if flushed && out_len == 0 && active == 0 => return Poll::Ready(None),
                _ => {}
            }
            if self.eof {
                return if flushed && out_len == 0 {
                    Poll::Ready(None)
                } else {
                    Poll::Pending
                };
            }
            if self.peer_goaway && active == 0 && flushed && out_len == 0 {
                return Poll::Ready(None);
            }
            // Read, unless the client is not reading what we send.
            if self.goaway == Some(true) || out_len + (self.wbuf.len() - self.wpos) > OUT_HIGH {
                return Poll::Pending;
            }
            if self.rbuf.capacity() - self.rbuf.len() < 4096 {
                self.rbuf.reserve(16 * 1024);
            }
            let n = match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.rbuf)
            {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(_)) => 0,
                Poll::Ready(Ok(n)) => n,
            };
            if n == 0 {
                self.eof = true;
                self.close_streams();
                continue;
            }
            if let Err(Fatal::Goaway(code)) = self.process() {
                self.abrupt_shutdown(code);
                self.close_streams();
            }
        }
    }

    /// Writes `wbuf`, refilled from the shared output, until done or the
    /// socket is full.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        loop {
            if self.wpos == self.wbuf.len() {
                self.wbuf.clear();
                self.wpos = 0;
                let mut inner = lock(&self.shared);
                if inner.out.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                std::mem::swap(&mut inner.out, &mut self.wbuf);
                // Senders held back by a full output may go on.
                if self.wbuf.len() > OUT_HIGH / 2 {
                    for st in inner.streams.values_mut() {
                        if let Some(w) = st.send_waker.take() {
                            w.wake();
                        }
                    }
                }
            }
            match Pin::new(&mut self.io).poll_write(cx, &self.wbuf[self.wpos..]) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                    self.eof = true;
                    self.close_streams();
                    return Poll::Ready(Err(()));
                }
                Poll::Ready(Ok(n)) => self.wpos += n,
            }
            if self.wpos == self.wbuf.len() {
                // Flush what TLS buffers.
                if let Poll::Ready(Err(_)) = Pin::new(&mut self.io).poll_flush(cx) {
                    self.eof = true;
                    self.close_streams();
                    return Poll::Ready(Err(()));
                }
            }
        }
    }

    /// The connection is over for its streams.
    fn close_streams(&mut self) {
        let mut inner = lock(&self.shared);
        inner.closed = true;
        for st in inner.streams.values_mut() {
            st.reset.get_or_insert(code::CANCEL);
            st.wake_all();
        }
    }

    /// Handles every whole frame in the read buffer.
    fn process(&mut self) -> Result<(), Fatal> {
        if !self.preface_done {
            let n = self.rbuf.len().min(PREFACE.len());
            if self.rbuf[..n] != PREFACE[..n] {
                return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
            }
            if n < PREFACE.len() {
                return Ok(());
            }
            let _ = self.rbuf.split_to(PREFACE.len());
            self.preface_done = true;
        }
        while self.rbuf.len() >= 9 {
            let h = &self.rbuf[..9];
            let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
            let (kind, flags) = (h[3], h[4]);
            let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
            if len > self.limits.max_frame_size as usize {
                return Err(Fatal::Goaway(code::FRAME_SIZE_ERROR));
            }
            if self.rbuf.len() < 9 + len {
                break;
            }
            let mut frame = self.rbuf.split_to(9 + len);
            let _ = frame.split_to(9);
            if !self.settings_seen && kind != SETTINGS {
                return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
            }
            if self
                .pending
                .as_ref()
                .is_some_and(|p| kind != CONTINUATION || p.id != id)
            {
                return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
            }
            match kind {
                DATA => self.on_data(id, flags, frame)?,
                HEADERS => self.on_headers(id, flags, frame)?,
                CONTINUATION => self.on_continuation(id, flags, &frame)?,
                PRIORITY => {
                    if id == 0 {
                        return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
                    }
                    if len != 5 {
                        lock(&self.shared).reset_stream(id, code::FRAME_SIZE_ERROR);
                    }
                }
                RST_STREAM => self.on_rst(id, &frame)?,
                SETTINGS => self.on_settings(id, flags, &frame)?,
                PUSH_PROMISE => return Err(Fatal::Goaway(code::PROTOCOL_ERROR)),
                PING => {
                    if id != 0 {
                        return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
                    }
                    if len != 8 {
                        return Err(Fatal::Goaway(code::FRAME_SIZE_ERROR));
                    }
                    if flags & ACK == 0 {
                        let mut inner = lock(&self.shared);
                        frame_head(&mut inner.out, 8, PING, ACK, 0);
                        inner.out.extend_from_slice(&frame);
                    }
                }
                GOAWAY => {
                    if id != 0 {
                        return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
                    }
                    self.peer_goaway = true;
                }
                WINDOW_UPDATE => self.on_window_update(id, &frame)?,
                // Unknown frame types are ignored (section 5.5).
                _ => {}
            }
        }
        Ok(())
    }

    /// Counts a stream the client reset or made us refuse.
    fn count_reset(&mut self, inner: &mut Inner) -> Result<(), Fatal> {
        let now = Instant::now();
        if now.saturating_duration_since(self.reset_window) >= Duration::from_secs(1) {
            self.reset_window = now;
            inner.resets = 0;
        }
        inner.resets += 1;
        if inner.resets > self.limits.max_resets_per_sec {
            return Err(Fatal::Goaway(code::ENHANCE_YOUR_CALM));
        }
        Ok(())
    }

    /// Strips padding (PADDED): the payload, and the bytes of padding
    /// (with its length byte).
    fn unpad(flags: u8, frame: &mut BytesMut) -> Result<usize, Fatal> {
        if flags & PADDED == 0 {
            return Ok(0);
        }
        let Some(&pad) = frame.first() else {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        };
        let pad = pad as usize;
        if pad >= frame.len() {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        let _ = frame.split_to(1);
        frame.truncate(frame.len() - pad);
        Ok(pad + 1)
    }

    fn on_data(&mut self, id: u32, flags: u8, mut frame: BytesMut) -> Result<(), Fatal> {
        if id == 0 {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        let flow = frame.len();
        let pad = Self::unpad(flags, &mut frame)?;
        let shared = self.shared.clone();
        let mut inner = lock(&shared);
        let idle = id > self.last_id;
        let Some(st) = inner.streams.get_mut(&id) else {
            if idle {
                return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
            }
            // A stream already closed: its bytes still count on the
            // connection, given back at once.
            inner.give_back(None, flow as u32);
            return Ok(());
        };
        if st.recv_end || st.reset.is_some() {
            let closed = st.reset.is_none();
            inner.give_back(None, flow as u32);
            if closed {
                inner.reset_stream(id, code::STREAM_CLOSED);
            }
            return Ok(());
        }
        st.recv_window -= flow as i64;
        if st.recv_window < 0 {
            inner.reset_stream(id, code::FLOW_CONTROL_ERROR);
            inner.give_back(None, flow as u32);
            return Ok(());
        }
        st.received += frame.len() as u64;
        let end = flags & END_STREAM != 0;
        if let Some(want) = st.expect_len {
            if st.received > want || (end && st.received != want) {
                inner.reset_stream(id, code::PROTOCOL_ERROR);
                inner.give_back(None, flow as u32);
                return Ok(());
            }
        }
        if !frame.is_empty() {
            st.data.push_back(frame.freeze());
        }
        if end {
            st.recv_end = true;
        }
        if let Some(w) = st.recv_waker.take() {
            w.wake();
        }
        if end {
            inner.settle(id);
        }
        // Padding is nobody's to take: given back now.
        if pad > 0 {
            inner.give_back(Some(id), pad as u32);
        }
        Ok(())
    }

    fn on_headers(&mut self, id: u32, flags: u8, mut frame: BytesMut) -> Result<(), Fatal> {
        if id == 0 {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        Self::unpad(flags, &mut frame)?;
        if flags & PRIORITY_FLAG != 0 {
            if frame.len() < 5 {
                return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
            }
            let _ = frame.split_to(5);
        }
        let end_stream = flags & END_STREAM != 0;
        if flags & END_HEADERS != 0 {
            return self.on_block(id, end_stream, &frame);
        }
        self.check_block_size(frame.len())?;
        self.pending = Some(Pending {
            id,
            end_stream,
            block: frame.to_vec(),
            frames: 0,
        });
        Ok(())
    }

    /// A header block's compressed size is bounded by the list it may
    /// decode to, and a little more.
    fn check_block_size(&self, len: usize) -> Result<(), Fatal> {
        if len > self.limits.max_header_list_size as usize + DEFAULT_FRAME {
            return Err(Fatal::Goaway(code::ENHANCE_YOUR_CALM));
        }
        Ok(())
    }

    fn on_continuation(&mut self, id: u32, flags: u8, frame: &[u8]) -> Result<(), Fatal> {
        let Some(mut p) = self.pending.take() else {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        };
        debug_assert_eq!(p.id, id);
        p.frames += 1;
        if p.frames > MAX_CONTINUATIONS {
            return Err(Fatal::Goaway(code::ENHANCE_YOUR_CALM));
        }
        self.check_block_size(p.block.len() + frame.len())?;
        p.block.extend_from_slice(frame);
        if flags & END_HEADERS != 0 {
            return self.on_block(p.id, p.end_stream, &p.block);
        }
        self.pending = Some(p);
        Ok(())
    }

    /// A whole header block for stream `id`.
    fn on_block(&mut self, id: u32, end_stream: bool, block: &[u8]) -> Result<(), Fatal> {
        let shared = self.shared.clone();
        let existing = lock(&shared).streams.contains_key(&id);
        if existing {
            return self.on_trailers(id, end_stream, block);
        }
        if id <= self.last_id {
            // A closed stream: decoded all the same, for the table's sake.
            self.decoder
                .decode(block, |_, _| {})
                .map_err(|_| Fatal::Goaway(code::COMPRESSION_ERROR))?;
            lock(&shared).reset_stream(id, code::STREAM_CLOSED);
            return Ok(());
        }
        if id.is_multiple_of(2) {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        self.last_id = id;
        let (req, malformed) = decode_request(&mut self.decoder, block, &self.limits, self.hint)
            .map_err(|_: HpackError| Fatal::Goaway(code::COMPRESSION_ERROR))?;
        // Bounded: a request over the limits is not a hint.
        if req.buf.len() <= self.limits.max_header_list_size as usize && req.fields.len() <= 256 {
            self.hint = (req.buf.len(), req.fields.len());
        }
        if self.goaway.is_some() {
            // Past our GOAWAY's last stream: ignored (section 6.8).
            return Ok(());
        }
        let mut inner = lock(&shared);
        if inner.active >= self.limits.max_concurrent_streams as usize {
            inner.reset_stream(id, code::REFUSED_STREAM);
            return self.count_reset(&mut inner);
        }
        if malformed {
            inner.reset_stream(id, code::PROTOCOL_ERROR);
            return self.count_reset(&mut inner);
        }
        let mut req = req;
        req.end_stream = end_stream;
        if end_stream && req.content_length.is_some_and(|n| n > 0) {
            inner.reset_stream(id, code::PROTOCOL_ERROR);
            return self.count_reset(&mut inner);
        }
        let st = StreamState {
            recv_end: end_stream,
            recv_window: inner.window as i64,
            expect_len: req.content_length,
            send_window: inner.peer_window,
            counted: true,
            handle: true,
            ..StreamState::default()
        };
        inner.streams.insert(id, st);
        inner.active += 1;
        drop(inner);
        self.accepted.push_back((
            req,
            StreamRef {
                shared: shared.clone(),
                id,
            },
        ));
        Ok(())
    }

    /// A second header block on an open stream: the request's trailers.
    fn on_trailers(&mut self, id: u32, end_stream: bool, block: &[u8]) -> Result<(), Fatal> {
        let mut lines = Vec::new();
        let mut bad = false;
        let mut size = 0usize;
        let max = self.limits.max_header_list_size as usize;
        self.decoder
            .decode(block, |n, v| {
                size += n.len() + v.len() + 32;
                if n.first() == Some(&b':') || !valid_name(n) || !valid_value(v) || size > max {
                    bad = true;
                    return;
                }
                lines.extend_from_slice(n);
                lines.extend_from_slice(b": ");
                lines.extend_from_slice(v);
                lines.extend_from_slice(b"\r\n");
            })
            .map_err(|_| Fatal::Goaway(code::COMPRESSION_ERROR))?;
        let shared = self.shared.clone();
        let mut inner = lock(&shared);
        let Some(st) = inner.streams.get_mut(&id) else {
            return Ok(());
        };
        if st.recv_end || st.reset.is_some() {
            if st.reset.is_none() {
                inner.reset_stream(id, code::STREAM_CLOSED);
            }
            return Ok(());
        }
        if !end_stream || bad || st.expect_len.is_some_and(|n| n != st.received) {
            inner.reset_stream(id, code::PROTOCOL_ERROR);
            return self.count_reset(&mut inner);
        }
        st.trailers = Some(Bytes::from(lines));
        st.recv_end = true;
        if let Some(w) = st.recv_waker.take() {
            w.wake();
        }
        inner.settle(id);
        Ok(())
    }

    fn on_rst(&mut self, id: u32, frame: &[u8]) -> Result<(), Fatal> {
        if id == 0 || id > self.last_id {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        let Ok(c) = <[u8; 4]>::try_from(frame) else {
            return Err(Fatal::Goaway(code::FRAME_SIZE_ERROR));
        };
        let shared = self.shared.clone();
        let mut inner = lock(&shared);
        let Some(st) = inner.streams.get_mut(&id) else {
            return Ok(());
        };
        let cut_short = !st.send_end && st.reset.is_none();
        st.reset.get_or_insert(u32::from_be_bytes(c));
        st.wake_all();
        inner.settle(id);
        if cut_short {
            return self.count_reset(&mut inner);
        }
        Ok(())
    }

    fn on_settings(&mut self, id: u32, flags: u8, frame: &[u8]) -> Result<(), Fatal> {
        if id != 0 {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        if flags & ACK != 0 {
            if !frame.is_empty() {
                return Err(Fatal::Goaway(code::FRAME_SIZE_ERROR));
            }
            return Ok(());
        }
        if !frame.len().is_multiple_of(6) {
            return Err(Fatal::Goaway(code::FRAME_SIZE_ERROR));
        }
        self.settings_seen = true;
        let mut inner = lock(&self.shared);
        for p in frame.chunks_exact(6) {
            let key = u16::from_be_bytes([p[0], p[1]]);
            let value = u32::from_be_bytes([p[2], p[3], p[4], p[5]]);
            match key {
                0x1 => inner.size_update = true,
                0x2 if value > 1 => return Err(Fatal::Goaway(code::PROTOCOL_ERROR)),
                0x4 => {
                    if value as i64 > MAX_WINDOW {
                        return Err(Fatal::Goaway(code::FLOW_CONTROL_ERROR));
                    }
                    let delta = value as i64 - inner.peer_window;
                    inner.peer_window = value as i64;
                    for st in inner.streams.values_mut() {
                        st.send_window += delta;
                        if delta > 0 {
                            if let Some(w) = st.send_waker.take() {
                                w.wake();
                            }
                        }
                    }
                }
                0x5 => {
                    if !(DEFAULT_FRAME as u32..=0xff_ffff).contains(&value) {
                        return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
                    }
                    inner.peer_frame = value as usize;
                }
                _ => {}
            }
        }
        frame_head(&mut inner.out, 0, SETTINGS, ACK, 0);
        Ok(())
    }

    fn on_window_update(&mut self, id: u32, frame: &[u8]) -> Result<(), Fatal> {
        let Ok(c) = <[u8; 4]>::try_from(frame) else {
            return Err(Fatal::Goaway(code::FRAME_SIZE_ERROR));
        };
        let inc = (u32::from_be_bytes(c) & 0x7fff_ffff) as i64;
        let mut inner = lock(&self.shared);
        if id == 0 {
            if inc == 0 {
                return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
            }
            inner.send_window += inc;
            if inner.send_window > MAX_WINDOW {
                return Err(Fatal::Goaway(code::FLOW_CONTROL_ERROR));
            }
            for st in inner.streams.values_mut() {
                if let Some(w) = st.send_waker.take() {
                    w.wake();
                }
            }
            return Ok(());
        }
        if id > self.last_id {
            return Err(Fatal::Goaway(code::PROTOCOL_ERROR));
        }
        let Some(st) = inner.streams.get_mut(&id) else {
            return Ok(());
        };
        if inc == 0 {
            inner.reset_stream(id, code::PROTOCOL_ERROR);
            return Ok(());
        }
        st.send_window += inc;
        if st.send_window > MAX_WINDOW {
            inner.reset_stream(id, code::FLOW_CONTROL_ERROR);
            return Ok(());
        }
        if let Some(w) = st.send_waker.take() {
            w.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Connection<T> {
    fn drop(&mut self) {
        let mut inner = lock(&self.shared);
        inner.closed = true;
        for st in inner.streams.values_mut() {
            st.reset.get_or_insert(code::CANCEL);
            st.wake_all();
        }
    }
}

/// Field names h2 allows: lower-case token characters.
fn valid_name(n: &[u8]) -> bool {
    !n.is_empty()
        && n.iter().all(|&b| {
            matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#' | b'$' | b'%' | b'&' | b'\''
                | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
        })
}

/// Field values h2 allows (section 8.2.1): no NUL, CR or LF.
fn valid_value(v: &[u8]) -> bool {
    !v.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n')
}

/// Decodes a request's header block. Ok((request, malformed)): the
/// request, and whether it breaks section 8.2-8.3 (a stream error). Err:
/// the block itself is bad (a connection error).
/// `hint`: the previous request's decoded size and field count, for the
/// room to reserve (a block of indexed fields decodes to many times its
/// size, and growing the buffer field by field cost more than the rest of
/// the decoding).
fn decode_request(
    decoder: &mut Decoder,
    block: &[u8],
    limits: &Limits,
    hint: (usize, usize),
) -> Result<(Request, bool), HpackError> {
    let mut req = Request {
        buf: Vec::with_capacity((block.len() * 2).max(hint.0 + 64)),
        fields: Vec::with_capacity(hint.1.max(8)),
        ..Request::default()
    };
    let mut malformed = false;
    let mut regular = false;
    let mut size = 0usize;
    let max = limits.max_header_list_size as usize;
    decoder.decode(block, |n, v| {
        size += n.len() + v.len() + 32;
        if size > max {
            req.too_large = true;
            return;
        }
        if malformed || !valid_value(v) {
            malformed = true;
            return;
        }
        let start = req.buf.len();
        if n.first() == Some(&b':') {
            let slot = match n {
                b":method" => &mut req.method,
                b":scheme" => &mut req.scheme,
                b":authority" => &mut req.authority,
                b":path" => &mut req.path,
                b":protocol" => &mut req.protocol,
                _ => {
                    malformed = true;
                    return;
                }
            };
            if regular || slot.is_some() {
                malformed = true;
                return;
            }
            req.buf.extend_from_slice(v);
            *slot = Some(start..req.buf.len());
            return;
        }
        regular = true;
        if !valid_name(n) {
            malformed = true;
            return;
        }
        match n {
            b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding"
            | b"upgrade" => {
                malformed = true;
                return;
            }
            b"te" if v != b"trailers" => {
                malformed = true;
                return;
            }
            b"content-length" => {
                let parsed = std::str::from_utf8(v)
                    .ok()
                    .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u64>().ok());
                match (parsed, req.content_length) {
                    (Some(n), None) => req.content_length = Some(n),
                    (Some(n), Some(m)) if n == m => {}
                    _ => {
                        malformed = true;
                        return;
                    }
                }
            }
            _ => {}
        }
        req.buf.extend_from_slice(n);
        let name = start..req.buf.len();
        req.buf.extend_from_slice(v);
        req.fields.push((name.clone(), name.end..req.buf.len()));
    })?;
    if !malformed && !req.too_large {
        let connect = req.method() == b"CONNECT";
        let no_path = req.path.as_ref().is_none_or(|p| p.is_empty());
        malformed = req.method.is_none()
            || if req.protocol.is_some() {
                // Extended CONNECT (RFC 8441 section 4): all of them.
                !connect || req.authority.is_none() || req.scheme.is_none() || no_path
            } else if connect {
                req.authority.is_none() || req.scheme.is_some() || req.path.is_some()
            } else {
                req.scheme.is_none() || no_path
            };
    }
    Ok((req, malformed))
}

/// A stream, as its task sees it.
pub struct StreamRef {
    shared: Arc<Mutex<Inner>>,
    id: u32,
}

impl StreamRef {
    /// The next slice of the request body; None at its end (then the
    /// trailers, if any, are in [`StreamRef::take_trailers`]).
    pub fn poll_data(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Reset>>> {
        let mut inner = lock(&self.shared);
        let Some(st) = inner.streams.get_mut(&self.id) else {
            return Poll::Ready(Some(Err(Reset(code::CANCEL))));
        };
        if let Some(d) = st.data.pop_front() {
            return Poll::Ready(Some(Ok(d)));
        }
        if let Some(code) = st.reset {
            return Poll::Ready(Some(Err(Reset(code))));
        }
        if st.recv_end {
            return Poll::Ready(None);
        }
        register(&mut st.recv_waker, cx);
        Poll::Pending
    }

    pub async fn data(&self) -> Option<Result<Bytes, Reset>> {
        poll_fn(|cx| self.poll_data(cx)).await
    }

    /// The request's trailers as HTTP/1 lines, once its body ended.
    pub fn take_trailers(&self) -> Option<Bytes> {
        let mut inner = lock(&self.shared);
        inner.streams.get_mut(&self.id)?.trailers.take()
    }

    /// Gives `n` bytes of window back to the client: the stream took them.
    pub fn release(&self, n: usize) {
        self.with_out(|inner, id| inner.give_back(Some(id), n as u32));
    }

    /// Ready with the code once the stream is reset (or the connection is
    /// gone).
    pub fn poll_reset(&self, cx: &mut Context<'_>) -> Poll<u32> {
        let mut inner = lock(&self.shared);
        let Some(st) = inner.streams.get_mut(&self.id) else {
            return Poll::Ready(code::CANCEL);
        };
        if let Some(code) = st.reset {
            return Poll::Ready(code);
        }
        register(&mut st.reset_waker, cx);
        Poll::Pending
    }

    /// Sends a header block (the response's, or an interim one's): `block`
    /// is HPACK without a table size update (the connection adds one when
    /// due).
    pub fn send_headers(&self, block: &[u8], end_stream: bool) -> Result<(), Reset> {
        self.with_out(|inner, id| {
            let st = inner.streams.get_mut(&id).ok_or(Reset(code::CANCEL))?;
            if let Some(code) = st.reset {
                return Err(Reset(code));
            }
            if st.send_end {
                return Err(Reset(code::STREAM_CLOSED));
            }
            if end_stream {
                st.send_end = true;
            }
            inner.put_headers(id, block, end_stream);
            if end_stream {
                inner.settle(id);
            }
            Ok(())
        })
    }

    /// Runs `f` on the shared state, waking the connection if output
    /// appeared.
    fn with_out<R>(&self, f: impl FnOnce(&mut Inner, u32) -> R) -> R {
        let mut inner = lock(&self.shared);
        let was_empty = inner.out.is_empty();
        let r = f(&mut inner, self.id);
        let w = inner.wake_conn_if(was_empty);
        drop(inner);
        if let Some(w) = w {
            w.wake();
        }
        r
    }

    /// Sends as much of `data` as the windows allow, `end_stream` with the
    /// last of it; Ready once all of it is out.
    pub fn poll_send_data(
        &self,
        cx: &mut Context<'_>,
        data: &mut Bytes,
        end_stream: bool,
    ) -> Poll<Result<(), Reset>> {
        self.with_out(|inner, id| {
            let peer_frame = inner.peer_frame;
            let out_len = inner.out.len();
            let conn_window = inner.send_window;
            let Some(st) = inner.streams.get_mut(&id) else {
                return Poll::Ready(Err(Reset(code::CANCEL)));
            };
            if let Some(code) = st.reset {
                return Poll::Ready(Err(Reset(code)));
            }
            if st.send_end {
                return Poll::Ready(Err(Reset(code::STREAM_CLOSED)));
            }
            if data.is_empty() {
                if end_stream {
                    st.send_end = true;
                    frame_head(&mut inner.out, 0, DATA, END_STREAM, id);
                    inner.settle(id);
                }
                return Poll::Ready(Ok(()));
            }
            let window = st.send_window.min(conn_window);
            if window <= 0 || out_len > OUT_HIGH {
                st.send_waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let mut allowed = (window as usize).min(data.len());
            let mut sent = 0usize;
            let mut last = false;
            while allowed > 0 {
                let n = allowed.min(peer_frame);
                allowed -= n;
                sent += n;
                last = sent == data.len();
                let flags = if last && end_stream { END_STREAM } else { 0 };
                frame_head(&mut inner.out, n, DATA, flags, id);
                inner.out.extend_from_slice(&data[sent - n..sent]);
            }
            let _ = data.split_to(sent);
            inner.send_window -= sent as i64;
            let Some(st) = inner.streams.get_mut(&id) else {
                return Poll::Ready(Err(Reset(code::CANCEL)));
            };
            st.send_window -= sent as i64;
            if last {
                if end_stream {
                    st.send_end = true;
                    inner.settle(id);
                }
                return Poll::Ready(Ok(()));
            }
            st.send_waker = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    pub async fn send_data(&self, mut data: Bytes, end_stream: bool) -> Result<(), Reset> {
        poll_fn(|cx| self.poll_send_data(cx, &mut data, end_stream)).await
    }

    /// Sends the trailers block and ends the stream.
    pub fn send_trailers(&self, block: &[u8]) -> Result<(), Reset> {
        self.send_headers(block, true)
    }

    /// Resets the stream with `code`.
    pub fn send_reset(&self, code: u32) {
        self.with_out(|inner, id| {
            if inner.closed {
                return;
            }
            if inner.streams.get(&id).is_some_and(|st| st.reset.is_none()) {
                inner.reset_stream(id, code);
            }
        });
    }
}

impl Drop for StreamRef {
    fn drop(&mut self) {
        self.with_out(|inner, id| {
            let closed = inner.closed;
            let Some(st) = inner.streams.get_mut(&id) else {
                return;
            };
            st.handle = false;
            if !closed && st.reset.is_none() {
                if !st.send_end {
                    inner.reset_stream(id, code::CANCEL);
                } else if !st.recv_end {
                    // The response is whole: the rest of the upload is not
                    // wanted (section 8.1).
                    inner.reset_stream(id, code::NO_ERROR);
                }
            }
            // What the stream never took is given back to the connection.
            if let Some(st) = inner.streams.get_mut(&id) {
                let left: usize = st.data.drain(..).map(|d| d.len()).sum();
                if left > 0 && !closed {
                    inner.give_back(None, left as u32);
                }
            }
            inner.settle(id);
            if let Some(st) = inner.streams.get(&id) {
                if !st.counted {
                    inner.streams.remove(&id);
                }
            }
        });
    }
}

#[cfg(test)]
#[path = "mux_tests.rs"]
mod tests;
