//! `bitsy tracker` over loopback: hand-written HTTP and UDP clients talk to
//! a running [`TrackerServer`] on 127.0.0.1 with a free port.

use bitsy::bencode;
use bitsy::tracker_server::{TrackerConfig, TrackerServer};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::thread::sleep;
use std::time::{Duration, Instant};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const TIMEOUT: Duration = Duration::from_secs(5);

fn start() -> TrackerServer {
    start_with(Duration::from_secs(60))
}

fn start_with(interval: Duration) -> TrackerServer {
    TrackerServer::start(TrackerConfig {
        bind: LOOPBACK,
        port: 0,
        interval,
        ..TrackerConfig::default()
    })
    .expect("tracker starts")
}

// ---------------------------------------------------------------- HTTP ----

/// Sends `GET target`, returns (status code, body).
fn get(addr: SocketAddr, target: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: test\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head")
        + 4;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .expect("content-length")
        .parse()
        .unwrap();
    assert_eq!(
        resp.len() - split,
        len,
        "body length matches Content-Length"
    );
    (status, resp[split..].to_vec())
}

fn urlencode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn peer_id(n: u8) -> [u8; 20] {
    let mut id = *b"-TS0001-000000000000";
    id[19] = n;
    id
}

/// Announces `port` for torrent `hash`; returns the decoded answer.
fn announce(addr: SocketAddr, hash: [u8; 20], n: u8, port: u16, extra: &str) -> Value {
    let target = format!(
        "/announce?info_hash={}&peer_id={}&port={port}&uploaded=0&downloaded=0{extra}",
        urlencode(&hash),
        urlencode(&peer_id(n)),
    );
    let (status, body) = get(addr, &target);
    assert_eq!(status, 200);
    decode(&body)
}

/// The ports in a compact `peers` string.
fn compact_ports(answer: &Value) -> Vec<u16> {
    let peers = answer.get("peers").bytes();
    assert!(peers.len().is_multiple_of(6));
    let mut ports: Vec<u16> = peers
        .chunks(6)
        .map(|c| {
            assert_eq!(&c[..4], &[127, 0, 0, 1]);
            u16::from_be_bytes([c[4], c[5]])
        })
        .collect();
    ports.sort();
    ports
}

#[test]
fn two_peers_see_each_other_compact() {
    let t = start();
    let a = t.local_addr();
    let h = [0x11; 20];
    let first = announce(a, h, 1, 7001, "&left=100&event=started&compact=1");
    assert!(compact_ports(&first).is_empty());
    assert_eq!(first.get("interval").int(), 60);
    assert_eq!(first.get("min interval").int(), 15);
    let second = announce(a, h, 2, 7002, "&left=0&event=started");
    assert_eq!(compact_ports(&second), [7001], "compact is the default");
    assert_eq!(second.get("complete").int(), 1);
    assert_eq!(second.get("incomplete").int(), 1);
    let again = announce(a, h, 1, 7001, "&left=100");
    assert_eq!(compact_ports(&again), [7002]);
    t.shutdown();
}

#[test]
fn two_peers_see_each_other_dictionaries() {
    let t = start();
    let a = t.local_addr();
    let h = [0x12; 20];
    announce(a, h, 1, 7001, "&left=100&compact=0");
    let second = announce(a, h, 2, 7002, "&left=100&compact=0");
    let Value::List(peers) = second.get("peers") else {
        panic!("dictionary peers expected");
    };
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].get("ip").bytes(), b"127.0.0.1");
    assert_eq!(peers[0].get("port").int(), 7001);
    assert_eq!(peers[0].get("peer id").bytes(), peer_id(1));
}

#[test]
fn stopped_removes_the_peer() {
    let t = start();
    let a = t.local_addr();
    let h = [0x13; 20];
    announce(a, h, 1, 7001, "&left=100");
    announce(a, h, 1, 7001, "&left=100&event=stopped");
    let second = announce(a, h, 2, 7002, "&left=100");
    assert!(compact_ports(&second).is_empty());
    assert_eq!(second.get("incomplete").int(), 1);
}

#[test]
fn silent_peers_expire() {
    // Peers live for 2 × interval = 300 ms.
    let t = start_with(Duration::from_millis(150));
    let a = t.local_addr();
    let h = [0x14; 20];
    announce(a, h, 1, 7001, "&left=100");
    assert_eq!(compact_ports(&announce(a, h, 2, 7002, "&left=100")), [7001]);
    sleep(Duration::from_millis(400));
    let later = announce(a, h, 3, 7003, "&left=100");
    assert!(
        compact_ports(&later).is_empty(),
        "both earlier peers expired"
    );
    assert_eq!(later.get("incomplete").int(), 1);
}

#[test]
fn ip_parameter_is_honoured_for_loopback() {
    let t = start();
    let a = t.local_addr();
    let h = [0x15; 20];
    announce(a, h, 1, 7001, "&left=100&ip=127.0.0.5");
    let second = announce(a, h, 2, 7002, "&left=100&compact=0");
    let Value::List(peers) = second.get("peers") else {
        panic!("dictionary peers expected");
    };
    assert_eq!(peers[0].get("ip").bytes(), b"127.0.0.5");
}

#[test]
fn scrape_counts() {
    let t = start();
    let a = t.local_addr();
    let (h1, h2, unknown) = ([0x21; 20], [0x22; 20], [0x23; 20]);
    announce(a, h1, 1, 7001, "&left=0&event=completed");
    announce(a, h1, 2, 7002, "&left=5");
    announce(a, h1, 3, 7003, "&left=5");
    announce(a, h2, 4, 7004, "&left=0");
    let target = format!(
        "/scrape?info_hash={}&info_hash={}&info_hash={}",
        urlencode(&h1),
        urlencode(&h2),
        urlencode(&unknown)
    );
    let (status, body) = get(a, &target);
    assert_eq!(status, 200);
    let answer = decode(&body);
    let files = answer.get("files");
    let counts = |h: &[u8; 20]| {
        let f = files.get_bytes(h);
        (
            f.get("complete").int(),
            f.get("incomplete").int(),
            f.get("downloaded").int(),
        )
    };
    assert_eq!(counts(&h1), (1, 2, 1));
    assert_eq!(counts(&h2), (1, 0, 0));
    assert_eq!(counts(&unknown), (0, 0, 0));
    // No info_hash: every torrent.
    let all = decode(&get(a, "/scrape").1);
    let Value::Dict(files) = all.get("files") else {
        panic!("files dict");
    };
    assert_eq!(files.len(), 2);
}

#[test]
fn bad_requests_get_a_failure_reason() {
    let t = start();
    let a = t.local_addr();
    let hash = urlencode(&[0x31; 20]);
    let id = urlencode(&peer_id(1));
    let cases = [
        (
            format!("/announce?info_hash={hash}&peer_id={id}&left=0"),
            "missing port",
        ),
        (
            format!("/announce?info_hash={hash}&peer_id={id}&left=0&port=0"),
            "port must be 1..=65535",
        ),
        (
            format!("/announce?info_hash=%31%32&peer_id={id}&left=0&port=1"),
            "info_hash must be 20 bytes",
        ),
        (
            format!("/announce?info_hash={hash}&peer_id={id}&port=1&left=x"),
            "left must be a non-negative integer",
        ),
        (
            format!("/announce?info_hash={hash}%G&peer_id={id}"),
            "bad percent-escape in query string",
        ),
        (
            "/scrape?info_hash=abc".to_string(),
            "info_hash must be 20 bytes",
        ),
    ];
    for (target, reason) in cases {
        let (status, body) = get(a, &target);
        assert_eq!(status, 200, "{target}");
        assert_eq!(
            decode(&body).get("failure reason").bytes(),
            reason.as_bytes(),
            "{target}"
        );
    }
    assert_eq!(get(a, "/favicon.ico").0, 404);
    assert_eq!(raw_status(a, b"POST /announce HTTP/1.1\r\n\r\n"), 405);
    assert_eq!(raw_status(a, b"GARBAGE\r\n\r\n"), 400);
    let mut huge = b"GET /announce HTTP/1.1\r\n".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 9000));
    assert_eq!(raw_status(a, &huge), 431);
}

#[test]
fn full_tracker_refuses_new_torrents() {
    let t = TrackerServer::start(TrackerConfig {
        bind: LOOPBACK,
        port: 0,
        max_torrents: 1,
        max_peers_per_torrent: 1,
        ..TrackerConfig::default()
    })
    .unwrap();
    let a = t.local_addr();
    announce(a, [1; 20], 1, 7001, "&left=0");
    let full = announce(a, [2; 20], 1, 7001, "&left=0");
    assert_eq!(
        full.get("failure reason").bytes(),
        b"tracker is full: too many torrents"
    );
    let full = announce(a, [1; 20], 2, 7002, "&left=0");
    assert_eq!(
        full.get("failure reason").bytes(),
        b"swarm is full: too many peers"
    );
}

#[test]
fn stalled_clients_hold_the_pool_for_one_deadline_at_most() {
    // 8 workers + 64 queued = 72 stalled connections fill the pool; the
    // next connection is closed unanswered. Stalled clients come in two
    // waves: the accept thread may outrun the workers waking up and close
    // some of the first wave while the workers still have room; the second
    // wave tops the queue up. Every stalled connection's deadline (5 s)
    // runs from its accept, so all are gone after about 5 s, not 5 s per
    // queued batch.
    let t = start();
    let a = t.local_addr();
    let mut stalled = Vec::new();
    for wave in [72, 16] {
        for _ in 0..wave {
            stalled.push(TcpStream::connect_timeout(&a, TIMEOUT).unwrap());
        }
        sleep(Duration::from_millis(300));
    }
    let mut extra = TcpStream::connect_timeout(&a, TIMEOUT).unwrap();
    extra.set_read_timeout(Some(TIMEOUT)).unwrap();
    let _ = extra.write_all(b"GET /scrape HTTP/1.1\r\n\r\n");
    let mut resp = Vec::new();
    let _ = extra.read_to_end(&mut resp);
    assert!(resp.is_empty(), "a full pool closes new connections");
    let began = Instant::now();
    loop {
        let mut s = TcpStream::connect_timeout(&a, TIMEOUT).unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        let _ = s.write_all(b"GET /scrape HTTP/1.1\r\n\r\n");
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        if resp.starts_with(b"HTTP/1.1 200") {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(8),
            "pool never drained"
        );
        sleep(Duration::from_millis(250));
    }
    drop(stalled);
}

#[test]
fn bitsy_tracker_client_finds_peers() {
    use bitsy::tracker::{AnnounceEvent, AnnounceOutcome, AnnounceRequest, Trackers};
    let t = start();
    let url = format!("http://{}/announce", t.local_addr());
    let h = [0x17; 20];
    let req = |left| AnnounceRequest {
        event: AnnounceEvent::Started,
        uploaded: 0,
        downloaded: 0,
        left,
        numwant: 50,
    };
    let mut seeder = Trackers::new(vec![vec![url.clone()]], h, peer_id(1), 7001);
    let mut leecher = Trackers::new(vec![vec![url]], h, peer_id(2), 7002);
    assert!(matches!(
        seeder.announce(&req(0)),
        AnnounceOutcome::Ok { .. }
    ));
    let AnnounceOutcome::Ok { response, .. } = leecher.announce(&req(10)) else {
        panic!("announce failed");
    };
    assert_eq!(
        response.peers,
        ["127.0.0.1:7001".parse::<SocketAddr>().unwrap()]
    );
    assert_eq!((response.seeders, response.leechers), (Some(1), Some(1)));
}

/// Sends raw bytes; returns the status code of the answer.
fn raw_status(addr: SocketAddr, request: &[u8]) -> u16 {
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(request).unwrap();
    let mut resp = Vec::new();
    // The server may close before reading everything we sent (a reset).
    let _ = s.read_to_end(&mut resp);
    String::from_utf8_lossy(&resp[9..12]).parse().unwrap()
}

#[test]
fn shutdown_is_prompt() {
    let t = start();
    let a = t.local_addr();
    announce(a, [0x41; 20], 1, 7001, "&left=0");
    let began = Instant::now();
    t.shutdown();
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    assert!(TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_err());
}

/// Starts a tracker on `[::1]`, or returns None where IPv6 is unavailable.
fn start_v6() -> Option<TrackerServer> {
    TrackerServer::start(TrackerConfig {
        bind: IpAddr::V6(Ipv6Addr::LOCALHOST),
        port: 0,
        ..TrackerConfig::default()
    })
    .ok()
}

#[test]
fn ipv6_peers_go_to_peers6() {
    let Some(t) = start_v6() else {
        eprintln!("no IPv6 loopback: skipped");
        return;
    };
    let a = t.local_addr();
    let h = [0x16; 20];
    announce(a, h, 1, 7001, "&left=100");
    let second = announce(a, h, 2, 7002, "&left=100");
    assert_eq!(second.get("peers").bytes(), b"", "no IPv4 peers");
    let mut want = Ipv6Addr::LOCALHOST.octets().to_vec();
    want.extend_from_slice(&7001u16.to_be_bytes());
    assert_eq!(second.get("peers6").bytes(), want);
    let dict = announce(a, h, 2, 7002, "&left=100&compact=0");
    let Value::List(peers) = dict.get("peers") else {
        panic!("dictionary peers expected");
    };
    assert_eq!(peers[0].get("ip").bytes(), b"::1");

    // BEP 15 over IPv6: 18-byte peer entries.
    let s = udp_client("[::1]:0");
    let conn = udp_connect(&s, a);
    let answer = roundtrip(&s, a, &udp_announce_packet(conn, h, 3, 5, 0, 7003));
    assert_eq!(answer.len(), 20 + 2 * 18, "two IPv6 peers");
}

// ----------------------------------------------------------------- UDP ----

const PROTOCOL_ID: u64 = 0x0417_2710_1980;

fn udp_client(from: &str) -> UdpSocket {
    let s = UdpSocket::bind(from).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s
}

fn roundtrip(s: &UdpSocket, to: SocketAddr, packet: &[u8]) -> Vec<u8> {
    s.send_to(packet, to).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = s.recv_from(&mut buf).expect("an answer");
    assert_eq!(from, to);
    buf[..n].to_vec()
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn udp_connect(s: &UdpSocket, to: SocketAddr) -> u64 {
    let mut p = Vec::new();
    p.extend_from_slice(&PROTOCOL_ID.to_be_bytes()); // protocol id
    p.extend_from_slice(&0u32.to_be_bytes()); // action: connect
    p.extend_from_slice(&0x1234u32.to_be_bytes()); // transaction id
    let answer = roundtrip(s, to, &p);
    assert_eq!(answer.len(), 16);
    assert_eq!(be32(&answer, 0), 0, "action: connect");
    assert_eq!(be32(&answer, 4), 0x1234, "transaction id echoed");
    u64::from_be_bytes(answer[8..16].try_into().unwrap())
}

fn udp_announce_packet(
    conn: u64,
    hash: [u8; 20],
    n: u8,
    left: u64,
    event: u32,
    port: u16,
) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&conn.to_be_bytes()); // connection id
    p.extend_from_slice(&1u32.to_be_bytes()); // action: announce
    p.extend_from_slice(&0x5678u32.to_be_bytes()); // transaction id
    p.extend_from_slice(&hash); // info_hash
    p.extend_from_slice(&peer_id(n)); // peer_id
    p.extend_from_slice(&0u64.to_be_bytes()); // downloaded
    p.extend_from_slice(&left.to_be_bytes()); // left
    p.extend_from_slice(&0u64.to_be_bytes()); // uploaded
    p.extend_from_slice(&event.to_be_bytes()); // event
    p.extend_from_slice(&0u32.to_be_bytes()); // ip: source
    p.extend_from_slice(&7u32.to_be_bytes()); // key
    p.extend_from_slice(&(-1i32).to_be_bytes()); // num_want: default
    p.extend_from_slice(&port.to_be_bytes()); // port
    assert_eq!(p.len(), 98);
    p
}

#[test]
fn udp_connect_announce_scrape() {
    let t = start();
    let to = t.local_addr(); // UDP shares the TCP port
    let h = [0x51; 20];
    let seeder = udp_client("127.0.0.2:0");
    let leecher = udp_client("127.0.0.3:0");
    let c1 = udp_connect(&seeder, to);
    let c2 = udp_connect(&leecher, to);

    let a1 = roundtrip(&seeder, to, &udp_announce_packet(c1, h, 1, 0, 2, 7001));
    assert_eq!(be32(&a1, 0), 1, "action: announce");
    assert_eq!(be32(&a1, 4), 0x5678, "transaction id");
    assert_eq!(be32(&a1, 8), 60, "interval");
    assert_eq!((be32(&a1, 12), be32(&a1, 16)), (0, 1), "leechers, seeders");
    assert_eq!(a1.len(), 20, "no other peer yet");

    let a2 = roundtrip(&leecher, to, &udp_announce_packet(c2, h, 2, 10, 2, 7002));
    assert_eq!((be32(&a2, 12), be32(&a2, 16)), (1, 1));
    assert_eq!(
        &a2[20..],
        &[127, 0, 0, 2, 0x1b, 0x59],
        "the seeder, 127.0.0.2:7001"
    );

    // A peer announced over HTTP shows up for UDP clients and back.
    let http = announce(to, h, 3, 7003, "&left=10");
    let mut ports = compact_ports_any(&http);
    ports.sort();
    assert_eq!(ports, [7001, 7002]);

    let mut scrape = Vec::new();
    scrape.extend_from_slice(&c1.to_be_bytes()); // connection id
    scrape.extend_from_slice(&2u32.to_be_bytes()); // action: scrape
    scrape.extend_from_slice(&9u32.to_be_bytes()); // transaction id
    scrape.extend_from_slice(&h); // known torrent
    scrape.extend_from_slice(&[0x52; 20]); // unknown torrent
    let s = roundtrip(&seeder, to, &scrape);
    assert_eq!((be32(&s, 0), be32(&s, 4)), (2, 9));
    assert_eq!(
        (be32(&s, 8), be32(&s, 12), be32(&s, 16)),
        (1, 0, 2),
        "seeders, completed, leechers"
    );
    assert_eq!((be32(&s, 20), be32(&s, 24), be32(&s, 28)), (0, 0, 0));
    assert_eq!(s.len(), 32);

    // Stopped removes the seeder.
    roundtrip(&seeder, to, &udp_announce_packet(c1, h, 1, 0, 3, 7001));
    let a3 = roundtrip(&leecher, to, &udp_announce_packet(c2, h, 2, 10, 0, 7002));
    assert_eq!(be32(&a3, 16), 0, "no seeders left");
}

/// Ports in a compact `peers` string, any IPv4 address.
fn compact_ports_any(answer: &Value) -> Vec<u16> {
    answer
        .get("peers")
        .bytes()
        .chunks(6)
        .map(|c| u16::from_be_bytes([c[4], c[5]]))
        .collect()
}

#[test]
fn udp_wrong_connection_id_is_an_error() {
    let t = start();
    let to = t.local_addr();
    let s = udp_client("127.0.0.1:0");
    let good = udp_connect(&s, to);
    let answer = roundtrip(
        &s,
        to,
        &udp_announce_packet(good ^ 0xff, [0x61; 20], 1, 0, 0, 7001),
    );
    assert_eq!(be32(&answer, 0), 3, "action: error");
    assert_eq!(be32(&answer, 4), 0x5678, "transaction id");
    assert_eq!(&answer[8..], b"unknown or expired connection id");
    // Ids are not bound to an address (see connection_id.rs): a second
    // client may use the first one's id, as libtorrent does in one process.
    let other = udp_client("127.0.0.9:0");
    let answer = roundtrip(
        &other,
        to,
        &udp_announce_packet(good, [0x61; 20], 2, 0, 0, 7002),
    );
    assert_eq!(be32(&answer, 0), 1, "action: announce");
    // Unknown actions and short packets with a transaction id get errors.
    let mut p = good.to_be_bytes().to_vec();
    p.extend_from_slice(&7u32.to_be_bytes()); // action: none such
    p.extend_from_slice(&42u32.to_be_bytes()); // transaction id
    let answer = roundtrip(&s, to, &p);
    assert_eq!((be32(&answer, 0), be32(&answer, 4)), (3, 42));
    assert_eq!(&answer[8..], b"unknown action");
    // The good id still works.
    let ok = roundtrip(
        &s,
        to,
        &udp_announce_packet(good, [0x61; 20], 1, 0, 0, 7001),
    );
    assert_eq!(be32(&ok, 0), 1);
}

// ------------------------------------------------------------- bencode ----

/// A decoded bencode value, owned, with panicking accessors for tests.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Dict(BTreeMap<Vec<u8>, Value>),
}

impl Value {
    fn get(&self, key: &str) -> &Value {
        self.get_bytes(key.as_bytes())
    }
    fn get_bytes(&self, key: &[u8]) -> &Value {
        match self {
            Value::Dict(d) => d
                .get(key)
                .unwrap_or_else(|| panic!("no key {key:?} in {self:?}")),
            _ => panic!("not a dict: {self:?}"),
        }
    }
    fn int(&self) -> i64 {
        match self {
            Value::Int(n) => *n,
            _ => panic!("not an int: {self:?}"),
        }
    }
    fn bytes(&self) -> &[u8] {
        match self {
            Value::Bytes(b) => b,
            _ => panic!("not a string: {self:?}"),
        }
    }
}

/// Decodes with the crate's decoder, checks that every dictionary has
/// sorted keys (BEP 3; the decoder accepts any order), and copies the
/// result into the owned [`Value`] the assertions above use.
fn decode(input: &[u8]) -> Value {
    let v = bencode::decode(input, bencode::Limits::TRACKER).expect("valid bencode");
    owned(&v)
}

fn owned(v: &bencode::Value<'_>) -> Value {
    match v {
        bencode::Value::Int(n) => Value::Int(*n),
        bencode::Value::Bytes(b) => Value::Bytes(b.to_vec()),
        bencode::Value::List(items) => Value::List(items.iter().map(owned).collect()),
        bencode::Value::Dict(entries) => {
            let keys: Vec<&[u8]> = entries.iter().map(|(k, _)| *k).collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "keys sorted: {keys:?}"
            );
            Value::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_vec(), owned(v)))
                    .collect(),
            )
        }
    }
}
