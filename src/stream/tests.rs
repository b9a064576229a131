use super::*;
use std::sync::{Arc, Mutex};

/// Collects what the writer writes.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<u8>>>);

impl Write for Collect {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut v = self.0.lock().map_err(|_| io::Error::other("poisoned"))?;
        v.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_piece_gives_only_the_files_bytes() {
    // 4 pieces of 1024 bytes, the last one 500: 3572 bytes of content.
    let g = Geometry::new(3572, 1024, 4).unwrap();
    // (the file's span, piece, the bytes of the piece that are the file's)
    let cases: &[(Range<u64>, u32, Range<usize>)] = &[
        (0..3572, 0, 0..1024),
        (0..3572, 3, 0..500),
        (100..2000, 0, 100..1024), // starts inside piece 0
        (100..2000, 1, 0..976),    // ends inside piece 1
        (100..2000, 2, 0..0),      // past its end
        (1024..2048, 1, 0..1024),  // exactly one piece
        (1024..2048, 0, 0..0),     // before it
        (3000..3572, 3, 0..500),   // to the end of the content
        (5..5, 0, 0..0),           // a zero-length file
    ];
    for (span, piece, want) in cases {
        let p = g.piece(*piece).unwrap();
        assert_eq!(&slice(&g, span, p), want, "{span:?} piece {piece}");
    }
}

/// The content of piece `i` of `content` cut by `g`.
fn piece_of(g: &Geometry, content: &[u8], i: u32) -> Vec<u8> {
    let p = g.piece(i).unwrap();
    let at = g.piece_offset(p) as usize;
    content[at..at + g.piece_len(p) as usize].to_vec()
}

/// Runs a stream of `span` over `content` in pieces of 1 KiB, width 3:
/// pieces are verified in `order` as far as the window lets them (a
/// piece not fetchable yet waits for the next round), the writer's
/// reports taken between rounds. Returns what reached the sink.
fn stream(content: &[u8], span: Range<u64>, order: &[u32]) -> Vec<u8> {
    let len = content.len() as u64;
    let g = Geometry::new(len, 1024, len.div_ceil(1024)).unwrap();
    let out = Collect::default();
    let mut s = Stream::start(g, span, 3, out.clone()).unwrap();
    let mut left: Vec<u32> = order.to_vec();
    for _round in 0..1000 {
        if left.is_empty() {
            break;
        }
        let f = s.fetchable();
        left.retain(|&i| {
            if !f.contains(&i) {
                return true;
            }
            let back = s.verified(g.piece(i).unwrap(), piece_of(&g, content, i));
            assert!(back.is_none(), "piece {i} was fetchable");
            false
        });
        // Wait for one report, then take what else is there.
        if let Ok(Done::Written(_)) = s.done().recv_timeout(std::time::Duration::from_millis(200)) {
            s.written();
        }
        while let Ok(Done::Written(_)) = s.done().try_recv() {
            s.written();
        }
    }
    assert!(left.is_empty(), "pieces never fetchable: {left:?}");
    // Every piece is handed over; the writer reports the last chunks in
    // its own time (slow under qemu): wait for them, as the session does,
    // before letting it go.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !s.is_done() && std::time::Instant::now() < deadline {
        match s.done().recv_timeout(std::time::Duration::from_millis(100)) {
            Ok(Done::Written(_)) => s.written(),
            Ok(other) => panic!("not a written chunk: {other:?}"),
            Err(_) => {}
        }
    }
    assert!(s.is_done(), "the writer did not report every chunk");
    s.finish();
    out.0.lock().unwrap().clone()
}

#[test]
fn out_of_order_pieces_come_out_in_order() {
    let content: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    // (the file's span, the order pieces are verified in)
    let cases: &[(Range<u64>, &[u32])] = &[
        (0..6000, &[0, 1, 2, 3, 4, 5]),
        (0..6000, &[5, 4, 3, 2, 1, 0]),
        (0..6000, &[2, 0, 1, 5, 3, 4]),
        (1500..4100, &[4, 2, 3, 1]), // a file inside pieces 1 to 4
        (2048..3072, &[2]),          // one whole piece
        (6000..6000, &[]),           // a zero-length file at the end
    ];
    for (span, order) in cases {
        let got = stream(&content, span.clone(), order);
        let want = &content[span.start as usize..span.end as usize];
        assert_eq!(got, want, "{span:?} in order {order:?}");
    }
}

#[test]
fn the_pieces_are_the_files() {
    let g = Geometry::new(6000, 1024, 6).unwrap();
    let s = Stream::start(g, 1500..4100, 2, io::sink()).unwrap();
    let raw: Vec<u32> = s.pieces().iter_raw().collect();
    assert_eq!(raw, vec![1, 2, 3, 4]);
    assert_eq!(s.fetchable(), 1..3, "two pieces wide, from the first");
}
