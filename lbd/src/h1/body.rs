//! Body framing state machines: the I/O layer forwards body bytes raw while
//! the decoder validates them and says where the body ends.

use super::error::H1Error;
use super::types::BodyFraming;

/// Result of feeding bytes: `consumed` bytes belong to this body (forward
/// them); `done` once its last byte has been seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub consumed: usize,
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading hex digits; `digits` counts those seen.
    Size {
        size: u64,
        digits: u8,
    },
    /// Blanks after the size, before `;` or the line end.
    SizeBlank {
        size: u64,
    },
    /// Skipping a chunk extension up to the line end.
    Ext {
        size: u64,
    },
    /// Saw CR after the size line; LF must follow.
    SizeLf {
        size: u64,
    },
    Data {
        remaining: u64,
    },
    /// After data: CRLF (or a bare LF, which HAProxy accepts).
    DataEnd,
    DataLf,
    /// Start of a trailer line (or of the final empty line).
    TrailerStart,
    /// Inside a trailer line: `colon` once its name is over, `ows` while
    /// in the blanks that follow the colon.
    TrailerLine {
        colon: bool,
        ows: bool,
    },
    TrailerLf {
        empty: bool,
    },
    Done,
}

/// Validates one message body, fed in arbitrary splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyDecoder {
    kind: Kind,
    /// Payload bytes (chunk data only, for chunked).
    payload: u64,
    /// All bytes consumed, framing included.
    wire: u64,
    /// Trailer names and values, separators excluded (see [`Self::htx_bytes`]).
    trailers: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Empty,
    Length { remaining: u64 },
    Chunked(Chunk),
    UntilClose,
}

impl BodyDecoder {
    pub fn new(framing: BodyFraming) -> Self {
        let kind = match framing {
            BodyFraming::None => Kind::Empty,
            BodyFraming::ContentLength(n) => Kind::Length { remaining: n },
            BodyFraming::Chunked => Kind::Chunked(Chunk::Size { size: 0, digits: 0 }),
            BodyFraming::UntilClose | BodyFraming::Tunnel => Kind::UntilClose,
        };
        BodyDecoder {
            kind,
            payload: 0,
            wire: 0,
            trailers: 0,
        }
    }

    /// What HAProxy 2.6 counts for this body in `%U`/`%B` and the byte
    /// counters (see [`super::htx`]): the payload, and for a finished
    /// chunked body one byte more plus its trailers' names and values.
    pub fn htx_bytes(&self) -> u64 {
        match self.kind {
            Kind::Chunked(Chunk::Done) => self.payload + 1 + self.trailers,
            _ => self.payload,
        }
    }

    /// Payload bytes seen so far (chunk sizes and CRLFs excluded).
    pub fn payload_bytes(&self) -> u64 {
        self.payload
    }

    /// Bytes consumed so far, framing included.
    pub fn wire_bytes(&self) -> u64 {
        self.wire
    }

    pub fn is_done(&self) -> bool {
        matches!(
            self.kind,
            Kind::Empty | Kind::Length { remaining: 0 } | Kind::Chunked(Chunk::Done)
        )
    }

    /// The peer closed: fine for until-close bodies, truncation otherwise.
    pub fn finish_eof(&self) -> Result<(), H1Error> {
        if self.is_done() || self.kind == Kind::UntilClose {
            Ok(())
        } else {
            Err(H1Error::Truncated)
        }
    }

    /// Feed `input`; bytes after the end of the body are not consumed.
    pub fn advance(&mut self, input: &[u8]) -> Result<Progress, H1Error> {
        let consumed = match &mut self.kind {
            Kind::Empty => 0,
            Kind::Length { remaining } => {
                let n = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                *remaining -= n as u64;
                self.payload += n as u64;
                n
            }
            Kind::UntilClose => {
                self.payload += input.len() as u64;
                input.len()
            }
            Kind::Chunked(state) => {
                let (n, data, trailers) = advance_chunked(state, input)?;
                self.payload += data;
                self.trailers += trailers;
                n
            }
        };
        self.wire += consumed as u64;
        Ok(Progress {
            consumed,
            done: self.is_done(),
        })
    }
}

fn hex(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'a'..=b'f' => Some(u64::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u64::from(b - b'A' + 10)),
        _ => None,
    }
}

/// Returns (bytes consumed, payload bytes among them, trailer name and
/// value bytes among them).
fn advance_chunked(st: &mut Chunk, input: &[u8]) -> Result<(usize, u64, u64), H1Error> {
    let bad = H1Error::BadChunk;
    let mut i = 0;
    let mut data = 0u64;
    let mut trailers = 0u64;
    while i < input.len() {
        let b = input[i];
        *st = match *st {
            Chunk::Done => break,
            Chunk::Size { size, digits } => match hex(b) {
                Some(d) => {
                    // Same bound as h1_parse_chunk_size: refuse before the
                    // size reaches 2^55; 2^31 and above are accepted (captured).
                    if size & 0x00F8_0000_0000_0000 != 0 {
                        return Err(bad("chunk size too large"));
                    }
                    Chunk::Size {
                        size: size << 4 | d,
                        digits: digits.saturating_add(1),
                    }
                }
                None if digits == 0 => return Err(bad("missing chunk size")),
                None => size_end(size, b)?,
            },
            Chunk::SizeBlank { size } => size_end(size, b)?,
            Chunk::Ext { size } => match b {
                b'\r' => Chunk::SizeLf { size },
                b'\n' => after_size(size),
                _ => Chunk::Ext { size },
            },
            Chunk::SizeLf { size } if b == b'\n' => after_size(size),
            Chunk::SizeLf { .. } => return Err(bad("CR without LF after chunk size")),
            Chunk::Data { remaining } => {
                let n = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len() - i);
                i += n;
                data += n as u64;
                let left = remaining - n as u64;
                *st = if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data { remaining: left }
                };
                continue;
            }
            Chunk::DataEnd => match b {
                b'\r' => Chunk::DataLf,
                b'\n' => Chunk::Size { size: 0, digits: 0 },
                _ => return Err(bad("missing CRLF after chunk data")),
            },
            Chunk::DataLf if b == b'\n' => Chunk::Size { size: 0, digits: 0 },
            Chunk::DataLf => return Err(bad("CR without LF after chunk data")),
            Chunk::TrailerStart => match b {
                b'\r' => Chunk::TrailerLf { empty: true },
                b'\n' => Chunk::Done,
                _ => {
                    trailers += u64::from(b != b':');
                    Chunk::TrailerLine {
                        colon: b == b':',
                        ows: b == b':',
                    }
                }
            },
            Chunk::TrailerLine { colon, ows } => match b {
                b'\r' => Chunk::TrailerLf { empty: false },
                b'\n' => Chunk::TrailerStart,
                b':' if !colon => Chunk::TrailerLine {
                    colon: true,
                    ows: true,
                },
                b' ' | b'\t' if ows => Chunk::TrailerLine { colon, ows },
                _ => {
                    trailers += 1;
                    Chunk::TrailerLine { colon, ows: false }
                }
            },
            Chunk::TrailerLf { empty } if b == b'\n' => {
                if empty {
                    Chunk::Done
                } else {
                    Chunk::TrailerStart
                }
            }
            Chunk::TrailerLf { .. } => return Err(bad("CR without LF in trailers")),
        };
        i += 1;
    }
    Ok((i, data, trailers))
}

fn size_end(size: u64, b: u8) -> Result<Chunk, H1Error> {
    Ok(match b {
        b' ' | b'\t' => Chunk::SizeBlank { size },
        b';' => Chunk::Ext { size },
        b'\r' => Chunk::SizeLf { size },
        b'\n' => after_size(size),
        _ => return Err(H1Error::BadChunk("invalid chunk size")),
    })
}

fn after_size(size: u64) -> Chunk {
    if size == 0 {
        Chunk::TrailerStart
    } else {
        Chunk::Data { remaining: size }
    }
}
