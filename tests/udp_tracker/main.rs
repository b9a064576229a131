//! bitsy's UDP tracker client (BEP 15): against a scripted hostile fake
//! (`hostile`), against `bitsy tracker`, the real binary, which serves UDP
//! on its HTTP port, and end to end: a download whose only tracker is
//! `udp://` (`real`). Loopback only; every wait is bounded.

#[path = "../common/mod.rs"]
mod common;
mod hostile;
mod real;

use bitsy::tracker::{AnnounceEvent, AnnounceOutcome, AnnounceRequest, AnnounceResponse, Trackers};
use std::net::TcpListener;
use std::time::Duration;

pub const INFO_HASH: [u8; 20] = [0x5a; 20];

pub fn request(event: AnnounceEvent) -> AnnounceRequest {
    AnnounceRequest {
        event,
        uploaded: 1,
        downloaded: 2,
        left: 3,
        numwant: 50,
    }
}

/// Trackers for `tiers`, announcing port `port`, each URL bounded to 3 s.
pub fn trackers(tiers: &[&[&str]], peer: u8, port: u16) -> Trackers {
    let tiers = tiers
        .iter()
        .map(|t| t.iter().map(|u| u.to_string()).collect())
        .collect();
    Trackers::new(tiers, INFO_HASH, [peer; 20], port)
        .with_timeouts(Duration::from_secs(1), Duration::from_secs(3))
}

pub fn expect_ok(outcome: AnnounceOutcome) -> AnnounceResponse {
    match outcome {
        AnnounceOutcome::Ok { response, .. } => response,
        AnnounceOutcome::Failed { message } => panic!("announce failed: {message}"),
    }
}

pub fn expect_failed(outcome: AnnounceOutcome) -> String {
    match outcome {
        AnnounceOutcome::Failed { message } => message,
        AnnounceOutcome::Ok { url, .. } => panic!("expected a failure, {url} answered"),
    }
}

/// A TCP port free a moment ago (`bitsy tracker` takes UDP on it too).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}
