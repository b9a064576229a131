//! A fake peer that serves (or refuses, or garbles) an info dictionary
//! over BEP 9, for tests of bitsy's metadata fetch.
//!
//! Written by hand, independently of bitsy's wire and bencode code: the
//! handshakes and messages are byte literals and `format!`s, and a
//! request's piece number is read with a plain scan of its dictionary.
//! Loopback only; every connection thread ends within `LIFE`, and the
//! listener thread stops when the peer is dropped.

use super::wire_msg::{self, EXTENSION_BIT, HANDSHAKE_LEN, Msg};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest a connection is served.
pub const LIFE: Duration = Duration::from_secs(30);

/// The id this fake gives `ut_metadata` in its `m`.
pub const THEIR_ID: u8 = 7;

/// What the fake does.
#[derive(Clone, Debug)]
pub struct MetaBehaviour {
    /// The infohash it answers the handshake with.
    pub info_hash: [u8; 20],
    /// The bytes it serves as the info dictionary.
    pub metadata: Vec<u8>,
    /// The extended handshake payload; `None` builds the usual one with
    /// `metadata_size` = `metadata.len()`.
    pub ext_handshake: Option<Vec<u8>>,
    /// Pieces it serves; others are rejected. `None`: every piece.
    pub serve: Option<Vec<u32>>,
    /// Wait this long before the extended handshake.
    pub delay: Duration,
}

impl MetaBehaviour {
    pub fn serving(info_hash: [u8; 20], metadata: &[u8]) -> MetaBehaviour {
        MetaBehaviour {
            info_hash,
            metadata: metadata.to_vec(),
            ext_handshake: None,
            serve: None,
            delay: Duration::ZERO,
        }
    }

    pub fn only(mut self, pieces: &[u32]) -> MetaBehaviour {
        self.serve = Some(pieces.to_vec());
        self
    }

    pub fn ext_handshake(mut self, payload: Vec<u8>) -> MetaBehaviour {
        self.ext_handshake = Some(payload);
        self
    }

    pub fn delay(mut self, d: Duration) -> MetaBehaviour {
        self.delay = d;
        self
    }
}

pub struct FakeMetadataPeer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicU32>,
    rejected: Arc<AtomicU32>,
    connections: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
}

impl FakeMetadataPeer {
    pub fn start(b: MetaBehaviour) -> FakeMetadataPeer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicU32::new(0));
        let rejected = Arc::new(AtomicU32::new(0));
        let connections = Arc::new(AtomicU32::new(0));
        let (s, sv, rj, cn) = (
            stop.clone(),
            served.clone(),
            rejected.clone(),
            connections.clone(),
        );
        let thread = thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(120) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        cn.fetch_add(1, Ordering::Relaxed);
                        let (b, sv, rj) = (b.clone(), sv.clone(), rj.clone());
                        thread::spawn(move || {
                            let _ = serve(stream, &b, &sv, &rj);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeMetadataPeer {
            addr,
            stop,
            served,
            rejected,
            connections,
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `data` messages sent.
    pub fn served(&self) -> u32 {
        self.served.load(Ordering::Relaxed)
    }

    /// `reject` messages sent.
    pub fn rejected(&self) -> u32 {
        self.rejected.load(Ordering::Relaxed)
    }

    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for FakeMetadataPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn send(s: &mut TcpStream, m: &Msg) -> std::io::Result<()> {
    let mut b = Vec::new();
    m.encode_into(&mut b);
    s.write_all(&b)
}

/// `d1:md11:ut_metadatai7ee13:metadata_sizei<len>ee`
pub fn usual_ext_handshake(len: usize) -> Vec<u8> {
    format!("d1:md11:ut_metadatai{THEIR_ID}ee13:metadata_sizei{len}ee").into_bytes()
}

fn serve(
    mut s: TcpStream,
    b: &MetaBehaviour,
    served: &AtomicU32,
    rejected: &AtomicU32,
) -> std::io::Result<()> {
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut hs = [0u8; HANDSHAKE_LEN];
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.read_exact(&mut hs)?;
    s.write_all(&wire_msg::handshake_with(
        EXTENSION_BIT,
        b.info_hash,
        *b"-FM0001-fakemetadata",
    ))?;
    thread::sleep(b.delay);
    let ext = b
        .ext_handshake
        .clone()
        .unwrap_or_else(|| usual_ext_handshake(b.metadata.len()));
    let mut frame = Vec::new();
    Msg::Extended {
        id: 0,
        payload: ext,
    }
    .encode_into(&mut frame);
    s.write_all(&frame)?;
    // Then: find out the id bitsy wants ut_metadata under, and answer
    // each request.
    let started = Instant::now();
    let mut bitsy_id = None;
    while started.elapsed() < LIFE {
        let mut len = [0u8; 4];
        s.read_exact(&mut len)?;
        let len = u32::from_be_bytes(len) as usize;
        assert!(len <= 1 << 20, "bitsy sent a {len}-byte message");
        let mut body = vec![0u8; len];
        s.read_exact(&mut body)?;
        let Msg::Extended { id, payload } = Msg::decode(&body) else {
            continue;
        };
        let text = String::from_utf8_lossy(&payload).into_owned();
        if id == 0 {
            // bitsy's handshake: "d1:md11:ut_metadatai1ee..."
            bitsy_id = number_after(&text, "11:ut_metadatai").map(|n| n as u8);
            continue;
        }
        assert_eq!(id, THEIR_ID, "bitsy used our id for ut_metadata");
        assert!(text.starts_with("d8:msg_typei0e5:piecei"), "{text}");
        let piece = number_after(&text, "5:piecei").expect("a piece number");
        let to = bitsy_id.expect("bitsy's extended handshake came first");
        let start = piece as usize * 16384;
        let wanted = b.serve.as_ref().is_none_or(|p| p.contains(&piece));
        let reply = if wanted && start < b.metadata.len() {
            served.fetch_add(1, Ordering::Relaxed);
            let end = (start + 16384).min(b.metadata.len());
            let head = format!(
                "d8:msg_typei1e5:piecei{piece}e10:total_sizei{}ee",
                b.metadata.len()
            );
            [head.as_bytes(), &b.metadata[start..end]].concat()
        } else {
            rejected.fetch_add(1, Ordering::Relaxed);
            format!("d8:msg_typei2e5:piecei{piece}ee").into_bytes()
        };
        send(
            &mut s,
            &Msg::Extended {
                id: to,
                payload: reply,
            },
        )?;
    }
    Ok(())
}

fn number_after(text: &str, key: &str) -> Option<u32> {
    let at = text.find(key)? + key.len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}
