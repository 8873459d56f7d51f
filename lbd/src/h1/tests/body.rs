//! Body decoders under every split of their input.

use super::*;

/// Feed `input` in the pieces given by `cuts`, as the I/O layer would, and
/// return (bytes consumed, done, payload bytes) or the first error.
fn feed(framing: BodyFraming, input: &[u8], cuts: &[usize]) -> Result<(usize, bool, u64), H1Error> {
    let mut d = BodyDecoder::new(framing);
    let mut pos = 0;
    let mut bounds: Vec<usize> = cuts.iter().copied().filter(|&c| c < input.len()).collect();
    bounds.push(input.len());
    for b in bounds {
        if b < pos {
            continue;
        }
        // A real reader keeps unconsumed bytes in its buffer; after `done`
        // the rest belongs to the next message.
        let p = d.advance(&input[pos..b])?;
        pos += p.consumed;
        if p.done {
            return Ok((pos, true, d.payload_bytes()));
        }
        if pos < b {
            // Not all consumed but not done: the decoder must take everything.
            panic!("decoder stalled at {pos}");
        }
    }
    Ok((pos, d.is_done(), d.payload_bytes()))
}

const CHUNKED: &[u8] = b"3;foo=bar\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\nNEXT";

#[test]
fn chunked_whole_and_byte_by_byte() {
    let end = CHUNKED.len() - 4;
    assert_eq!(
        feed(BodyFraming::Chunked, CHUNKED, &[]),
        Ok((end, true, 13))
    );
    let every: Vec<usize> = (1..CHUNKED.len()).collect();
    assert_eq!(
        feed(BodyFraming::Chunked, CHUNKED, &every),
        Ok((end, true, 13))
    );
}

#[test]
fn chunked_random_splits() {
    let mut rng = fastrand::Rng::with_seed(7);
    let end = CHUNKED.len() - 4;
    for _ in 0..2000 {
        let mut cuts: Vec<usize> = (0..rng.usize(0..6))
            .map(|_| rng.usize(0..CHUNKED.len()))
            .collect();
        cuts.sort_unstable();
        assert_eq!(
            feed(BodyFraming::Chunked, CHUNKED, &cuts),
            Ok((end, true, 13)),
            "{cuts:?}"
        );
    }
}

#[test]
fn chunked_accepts_lf_only_and_blanks_after_size() {
    assert!(feed(BodyFraming::Chunked, b"3\nabc\n0\n\n", &[]).is_ok_and(|r| r.1));
    assert!(feed(BodyFraming::Chunked, b"3 \r\nabc\r\n0\r\n\r\n", &[]).is_ok_and(|r| r.1));
}

#[test]
fn chunk_sizes_up_to_2_pow_31_and_beyond_are_accepted() {
    let mut d = BodyDecoder::new(BodyFraming::Chunked);
    let p = d.advance(b"7fffffff\r\nabc").unwrap();
    assert_eq!((p.consumed, p.done), (13, false));
    let mut d = BodyDecoder::new(BodyFraming::Chunked);
    assert!(d.advance(b"80000000\r\n").is_ok());
    let mut d = BodyDecoder::new(BodyFraming::Chunked);
    assert!(matches!(
        d.advance(b"1000000000000000\r\n"),
        Err(H1Error::BadChunk(_))
    ));
}

#[test]
fn bad_chunks_are_rejected_in_any_split() {
    for bad in [
        &b"zz\r\nabc\r\n0\r\n\r\n"[..],
        b"3\r\nabcX\r\n0\r\n\r\n",
        b"3\r\nabc\r\nzz\r\n",
        b"\r\n",
        b"3\rX",
        b"-1\r\n",
        b"3 x\r\n",
    ] {
        assert!(
            matches!(
                feed(BodyFraming::Chunked, bad, &[]),
                Err(H1Error::BadChunk(_))
            ),
            "{bad:?}"
        );
        let every: Vec<usize> = (1..bad.len()).collect();
        assert!(
            feed(BodyFraming::Chunked, bad, &every).is_err(),
            "{bad:?} byte by byte"
        );
    }
    assert_eq!(H1Error::BadChunk("x").status(), 400);
    assert_eq!(H1Error::BadChunk("x").termination(), "PD");
}

#[test]
fn content_length_and_until_close() {
    assert_eq!(
        feed(BodyFraming::ContentLength(3), b"abcGET", &[1, 2]),
        Ok((3, true, 3))
    );
    let mut d = BodyDecoder::new(BodyFraming::ContentLength(5));
    d.advance(b"ab").unwrap();
    assert_eq!(d.finish_eof(), Err(H1Error::Truncated));
    let mut d = BodyDecoder::new(BodyFraming::UntilClose);
    assert_eq!(
        d.advance(b"xyz").unwrap(),
        Progress {
            consumed: 3,
            done: false
        }
    );
    assert_eq!(d.finish_eof(), Ok(()));
    assert_eq!((d.payload_bytes(), d.wire_bytes()), (3, 3));
    assert!(BodyDecoder::new(BodyFraming::None).is_done());
}
