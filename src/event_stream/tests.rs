use super::*;
use crate::tracker::AnnounceResponse;
use std::sync::{Arc, Mutex};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every event, at a given `t`, and its exact line.
#[test]
fn each_event_as_one_line() {
    let table: Vec<(Event, Duration, &str)> = vec![
        (
            Event::Start {
                command: "download",
                source: "a \"quoted\".torrent".into(),
            },
            ms(0),
            concat!(
                r#"{"v":1,"event":"start","t":0.000,"version":""#,
                env!("CARGO_PKG_VERSION"),
                r#"","command":"download","source":"a \"quoted\".torrent"}"#
            ),
        ),
        (
            Event::Metadata {
                info_hash: [0xab; 20],
                name: "top".into(),
                size: 36_384,
                piece_length: 16_384,
                pieces: 3,
                files: vec![
                    FileInfo {
                        path: "top/a.txt".into(),
                        size: 5,
                    },
                    FileInfo {
                        path: "top/sub/b.bin".into(),
                        size: 20_000,
                    },
                ],
            },
            ms(12),
            r#"{"v":1,"event":"metadata","t":0.012,"info_hash":"abababababababababababababababababababab","name":"top","size":36384,"piece_length":16384,"pieces":3,"files":[{"path":"top/a.txt","size":5},{"path":"top/sub/b.bin","size":20000}]}"#,
        ),
        (
            Event::Tracker {
                url: Some("http://127.0.0.1:8000/announce".into()),
                outcome: TrackerResult::Ok {
                    peers: 2,
                    interval: Duration::from_secs(1800),
                    seeders: Some(1),
                    leechers: None,
                },
            },
            ms(40),
            r#"{"v":1,"event":"tracker","t":0.040,"url":"http://127.0.0.1:8000/announce","ok":true,"peers":2,"interval":1800,"seeders":1,"leechers":null}"#,
        ),
        (
            Event::Tracker {
                url: None,
                outcome: TrackerResult::Failed {
                    error: "http://t/a: connection refused".into(),
                },
            },
            ms(1_500),
            r#"{"v":1,"event":"tracker","t":1.500,"url":null,"ok":false,"error":"http://t/a: connection refused"}"#,
        ),
        (
            Event::PeerConnected {
                addr: addr("127.0.0.1:6881"),
                direction: Direction::Out,
                source: Some("tracker"),
            },
            ms(41),
            r#"{"v":1,"event":"peer_connected","t":0.041,"addr":"127.0.0.1:6881","direction":"out","source":"tracker"}"#,
        ),
        (
            Event::PeerConnected {
                addr: addr("[::1]:50000"),
                direction: Direction::In,
                source: None,
            },
            ms(42),
            r#"{"v":1,"event":"peer_connected","t":0.042,"addr":"[::1]:50000","direction":"in","source":null}"#,
        ),
        (
            Event::PeerClosed {
                addr: addr("10.0.0.2:51413"),
                reason: "the peer closed the connection".into(),
                connected: true,
                misbehaved: false,
            },
            ms(2_003),
            r#"{"v":1,"event":"peer_closed","t":2.003,"addr":"10.0.0.2:51413","reason":"the peer closed the connection","connected":true,"misbehaved":false}"#,
        ),
        (
            Event::Progress(Status {
                have: 1 << 20,
                total: 2 << 20,
                size: 4 << 20,
                down_rate: 524_287.6,
                up_rate: f64::NAN,
                uploaded: 0,
                peers: 3,
                seeding: false,
                note: Some("notes are for humans".into()),
            }),
            ms(1_000),
            r#"{"v":1,"event":"progress","t":1.000,"have":1048576,"total":4194304,"wanted":2097152,"down_rate":524288,"up_rate":0,"uploaded":0,"peers":3,"seeding":false}"#,
        ),
        (
            Event::HashFailed {
                piece: 7,
                from: vec!["127.0.0.1:1".into(), "http://w/f".into()],
            },
            ms(3_210),
            r#"{"v":1,"event":"hash_failed","t":3.210,"piece":7,"from":["127.0.0.1:1","http://w/f"]}"#,
        ),
        (
            Event::Stall {
                cause: "all_choking",
                text: "every peer chokes us\n(for 2m)".into(),
            },
            ms(60_000),
            r#"{"v":1,"event":"stall","t":60.000,"cause":"all_choking","text":"every peer chokes us\n(for 2m)"}"#,
        ),
        (
            Event::Done {
                downloaded: 1_000_003,
                uploaded: 0,
                reused: 0,
                seconds: ms(2_345),
                download_seconds: Some(ms(2_300)),
            },
            ms(2_346),
            r#"{"v":1,"event":"done","t":2.346,"downloaded":1000003,"uploaded":0,"reused":0,"seconds":2.345,"download_seconds":2.300}"#,
        ),
        (
            Event::Done {
                downloaded: 0,
                uploaded: 5,
                reused: 9,
                seconds: ms(10),
                download_seconds: None,
            },
            ms(11),
            r#"{"v":1,"event":"done","t":0.011,"downloaded":0,"uploaded":5,"reused":9,"seconds":0.010,"download_seconds":null}"#,
        ),
        (
            Event::Error {
                message: "no peers: no peer could be reached for 2 s (0 of 31 pieces done)".into(),
                exit_code: 5,
            },
            ms(2_500),
            r#"{"v":1,"event":"error","t":2.500,"message":"no peers: no peer could be reached for 2 s (0 of 31 pieces done)","exit_code":5}"#,
        ),
    ];
    for (ev, t, want) in table {
        let got = ev.line(t);
        assert_eq!(got, want, "{}", ev.name());
        let parsed: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(parsed["v"], 1);
        assert_eq!(parsed["event"], ev.name());
    }
}

#[test]
fn tracker_outcomes() {
    let response = AnnounceResponse {
        peers: vec![addr("127.0.0.1:1"), addr("127.0.0.1:2")],
        interval: Duration::from_secs(900),
        min_interval: None,
        warning: None,
        seeders: Some(4),
        leechers: Some(5),
    };
    let ok = AnnounceOutcome::Ok {
        url: "udp://t:1".into(),
        response,
    };
    assert_eq!(
        Event::tracker(&ok),
        Event::Tracker {
            url: Some("udp://t:1".into()),
            outcome: TrackerResult::Ok {
                peers: 2,
                interval: Duration::from_secs(900),
                seeders: Some(4),
                leechers: Some(5),
            },
        }
    );
    let failed = AnnounceOutcome::Failed {
        message: "udp://t:1: timed out".into(),
    };
    assert_eq!(
        Event::tracker(&failed),
        Event::Tracker {
            url: None,
            outcome: TrackerResult::Failed {
                error: "udp://t:1: timed out".into(),
            },
        }
    );
}

/// A multi-file torrent with a BEP 47 pad file: the pad is not listed,
/// paths use `/`, the infohash is the SHA-1 of the info bytes.
#[test]
fn metadata_of_a_real_info_dictionary() {
    let mut info = b"d5:filesl\
        d6:lengthi5e4:pathl5:a.txtee\
        d4:attr1:p6:lengthi16379e4:pathl4:.pad5:16379ee\
        d6:lengthi20000e4:pathl3:sub5:b.binee\
        e4:name3:top12:piece lengthi16384e6:pieces60:"
        .to_vec();
    info.extend_from_slice(&[0xff; 60]);
    info.push(b'e');
    let meta = Metainfo::from_info_bytes(&info).unwrap();
    let Event::Metadata {
        info_hash,
        name,
        size,
        piece_length,
        pieces,
        files,
    } = Event::metadata(&meta)
    else {
        panic!("not a metadata event");
    };
    assert_eq!(info_hash, crate::hash::sha1(&info));
    assert_eq!(name, "top");
    assert_eq!((size, piece_length, pieces), (36_384, 16_384, 3));
    let want = [("top/a.txt", 5), ("top/sub/b.bin", 20_000)];
    let got: Vec<(&str, u64)> = files.iter().map(|f| (f.path.as_str(), f.size)).collect();
    assert_eq!(got, want);
}

/// A writer shared with the test, to read what the stream wrote.
#[derive(Clone, Default)]
pub(crate) struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    /// Every line written so far, parsed.
    pub(crate) fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that fails like a closed pipe.
struct Closed;

impl Write for Closed {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_stream_writes_one_line_per_event_with_t_increasing() {
    let buf = Shared::default();
    let mut stream = EventStream::to(Box::new(buf.clone()));
    let start = Event::Start {
        command: "seed",
        source: "x.torrent".into(),
    };
    stream.emit(&start);
    std::thread::sleep(ms(5));
    stream.emit(&Event::Error {
        message: "line\nbreak".into(),
        exit_code: 6,
    });
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert_eq!(lines[0]["event"], "start");
    assert_eq!(lines[1]["message"], "line\nbreak");
    let t0 = lines[0]["t"].as_f64().unwrap();
    let t1 = lines[1]["t"].as_f64().unwrap();
    assert!(t0 >= 0.0 && t1 >= t0 + 0.005, "{t0} {t1}");
    assert!(!stream.is_broken());
}

#[test]
fn a_closed_stdout_ends_the_stream_without_a_panic() {
    let mut stream = EventStream::to(Box::new(Closed));
    let ev = Event::Stall {
        cause: "no_peers",
        text: "nobody".into(),
    };
    stream.emit(&ev);
    assert!(stream.is_broken());
    stream.emit(&ev); // dropped, quietly
    assert!(stream.is_broken());
}
