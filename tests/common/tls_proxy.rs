//! A TLS front for a plain HTTP server on loopback: what nginx does for
//! an HTTPS tracker, in a few lines of rustls (a dev-dependency).
//!
//! Each connection: TLS handshake with the [`TestCa`] server certificate,
//! read the request head, pass it to `backend` over plain TCP, pass the
//! whole answer back (the backend closes after one answer), close. The
//! accept loop polls a stop flag every 10 ms, ends on drop or after
//! [`LIFETIME`]; a failed handshake (a client that does not trust the CA)
//! just ends that connection, and is counted.

use super::test_ca::TestCa;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest a proxy lives, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(120);

/// Largest request head passed on.
const MAX_HEAD: usize = 16 * 1024;

/// A running TLS front; stopped (thread joined) on drop.
pub struct TlsProxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    failed_handshakes: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
}

impl TlsProxy {
    /// Listens on 127.0.0.1 and passes requests to `backend`.
    pub fn start(ca: &TestCa, backend: SocketAddr) -> TlsProxy {
        let certs = vec![CertificateDer::from_pem_file(&ca.server_cert).expect("server cert")];
        let key = PrivateKeyDer::from_pem_file(&ca.server_key).expect("server key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let failed_handshakes = Arc::new(AtomicU32::new(0));
        let thread = {
            let (stop, failed) = (stop.clone(), failed_handshakes.clone());
            thread::spawn(move || {
                let end = Instant::now() + LIFETIME;
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if serve(stream, config.clone(), backend).is_err() {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        TlsProxy {
            addr,
            stop,
            failed_handshakes,
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:PORT/announce`.
    pub fn announce_url(&self) -> String {
        format!("https://{}/announce", self.addr)
    }

    /// Connections that ended in an error (a refused handshake, mostly).
    pub fn failed(&self) -> u32 {
        self.failed_handshakes.load(Ordering::Relaxed)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    backend: SocketAddr,
) -> std::io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(5)))?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // The request head, byte by byte up to the empty line (a GET has no body).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < MAX_HEAD {
        if tls.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let mut plain = TcpStream::connect_timeout(&backend, Duration::from_secs(5))?;
    plain.set_read_timeout(Some(Duration::from_secs(5)))?;
    plain.write_all(&head)?;
    let mut answer = Vec::new();
    plain.take(1024 * 1024).read_to_end(&mut answer)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()
}
