use super::words::{count, list_pieces};
use super::*;

fn peer(n: u8, useful: bool, choking_secs: Option<u64>, snubbed: bool) -> PeerState {
    PeerState {
        addr: SocketAddr::from(([127, 0, 0, n], 6881)),
        useful,
        choking_for: choking_secs.map(Duration::from_secs),
        snubbed,
    }
}

/// A download with one working peer: nothing to diagnose.
fn healthy() -> Symptoms {
    Symptoms {
        trackers: Trackers {
            any: true,
            ..Trackers::default()
        },
        peers: vec![peer(1, true, None, false)],
        ..Symptoms::default()
    }
}

fn unavailable(count: u32, first: &[u32]) -> Unavailable {
    Unavailable {
        count,
        first: first.to_vec(),
    }
}

/// Every cause, from symptoms to its code and the words it must say
/// (each case names one cause; several hold together in some, to check
/// the order of the module docs).
#[test]
fn every_cause_from_its_symptoms() {
    let failing = Trackers {
        any: true,
        failures: 3,
        last_error: Some(
            "udp://t1:80: timed out; http://t2/announce: HTTP 404 (not a bencoded dict)".into(),
        ),
    };
    #[rustfmt::skip]
    let cases: Vec<(&str, Symptoms, &str, &[&str])> = vec![
        ("disk error beats everything",
         Symptoms {
             disk_error: Some("cannot write piece 3: /x/f: No space left on device".into()),
             trackers: failing.clone(),
             ..healthy()
         },
         "disk_error",
         &["disk error: cannot write piece 3", "No space left", "run the same command again"]),
        ("alone, every tracker failing, no DHT",
         Symptoms { trackers: failing.clone(), peers: vec![], ..healthy() },
         "trackers_failing",
         &["every tracker failed (3 announces in a row): udp://t1:80: timed out; \
            http://t2/announce: HTTP 404", "try another tracker or --dht-bootstrap"]),
        ("alone, tracker failing, DHT found nobody",
         Symptoms { trackers: failing.clone(), peers: vec![], dht_found: Some(0), ..healthy() },
         "trackers_failing",
         &["every tracker failed", "the DHT found no peer either"]),
        ("alone, tracker failing once, private: no DHT advice",
         Symptoms {
             trackers: Trackers { failures: 1, ..failing.clone() },
             peers: vec![],
             private: true,
             ..healthy()
         },
         "trackers_failing",
         &["every tracker failed: udp://t1:80"]),
        ("alone, the tracker answered with nobody",
         Symptoms { peers: vec![], ..healthy() },
         "no_peers",
         &["no peer connected: the tracker lists no other peer", "Wait for peers to join"]),
        ("alone, known addresses do not answer",
         Symptoms { peers: vec![], candidates: 2, connecting: 1, ..healthy() },
         "no_peers",
         &["no peer connected (connecting to 1); 2 addresses known, none answers",
           "firewall"]),
        ("alone, no tracker and no DHT",
         Symptoms { peers: vec![], trackers: Trackers::default(), ..healthy() },
         "no_peers",
         &["no tracker and no DHT to find peers", "without --no-dht"]),
        ("alone, trackerless, the DHT found 4",
         Symptoms {
             peers: vec![],
             trackers: Trackers::default(),
             dht_found: Some(4),
             candidates: 4,
             ..healthy()
         },
         "no_peers",
         &["the DHT found 4 peers; 4 addresses known, none answers"]),
        ("peers, none has what we lack",
         Symptoms {
             peers: vec![peer(1, false, None, false), peer(2, false, Some(5), false),
                         peer(3, false, None, false)],
             unavailable: unavailable(15, &[17, 18, 40]),
             ..healthy()
         },
         "pieces_unavailable",
         &["3 peers connected, none has pieces 17, 18, 40 (and 12 more): wait for a seeder"]),
        ("one peer, one piece missing",
         Symptoms {
             peers: vec![peer(1, false, None, false)],
             unavailable: unavailable(1, &[7]),
             ..healthy()
         },
         "pieces_unavailable",
         &["1 peer connected, none has piece 7: wait for a seeder (or a peer that has it)"]),
        ("every useful peer chokes",
         Symptoms {
             peers: vec![peer(1, true, Some(95), false), peer(2, true, Some(40), false),
                         peer(3, false, None, false)],
             ..healthy()
         },
         "all_choking",
         &["2 peers with pieces we want: all choke us (for at least 40s)", "wait"]),
        ("choking and snubbed: the larger group names it",
         Symptoms {
             peers: vec![peer(1, true, Some(30), false), peer(2, true, None, true)],
             ..healthy()
         },
         "all_choking",
         &["1 peer with pieces we want: it chokes us (for at least 30s), \
            and 1 more sent nothing (snubbed)"]),
        ("every useful unchoking peer is snubbed",
         Symptoms {
             peers: vec![peer(1, true, None, true), peer(2, true, None, true),
                         peer(3, true, Some(3), false)],
             ..healthy()
         },
         "all_snubbed",
         &["2 peers with pieces we want unchoke us but sent nothing", "and 1 more choke us"]),
        ("the download limit is spent every tick",
         Symptoms { rate_limit: Some(16 * 1024), ..healthy() },
         "rate_limited",
         &["limited by --max-download-rate 16.0 KiB/s", "raise it"]),
        ("stalled with a working peer: waiting",
         Symptoms { idle: Duration::from_secs(45), ..healthy() },
         "waiting",
         &["nothing arrived for 45s, though 1 peer with pieces we want unchokes us"]),
    ];
    for (name, symptoms, cause, words) in cases {
        let d = diagnose(&symptoms).unwrap_or_else(|| panic!("{name}: no diagnosis"));
        assert_eq!(d.cause(), cause, "{name}: {d}");
        let text = d.to_string();
        for w in words {
            assert!(text.contains(w), "{name}: {w:?} not in {text:?}");
        }
    }
}

/// Nothing to name: a working peer and no stall, a web seed at work, or
/// a stall shorter than `STALL_AFTER`.
#[test]
fn healthy_downloads_have_no_diagnosis() {
    let just_under = STALL_AFTER - Duration::from_secs(1);
    #[rustfmt::skip]
    let cases: Vec<(&str, Symptoms)> = vec![
        ("a working peer", healthy()),
        ("a working peer, idle under the threshold", Symptoms { idle: just_under, ..healthy() }),
        ("a web seed and no peer", Symptoms { peers: vec![], web_seeds: 1, ..healthy() }),
        ("a web seed while peers choke",
         Symptoms { peers: vec![peer(1, true, Some(60), false)], web_seeds: 1, ..healthy() }),
        ("useless peers, but nothing is missing from all of them (pieces in flight)",
         Symptoms { peers: vec![peer(1, false, None, false)], ..healthy() }),
        ("one of two useful peers works",
         Symptoms {
             peers: vec![peer(1, true, Some(60), false), peer(2, true, None, false)],
             ..healthy()
         }),
    ];
    for (name, s) in cases {
        assert_eq!(diagnose(&s), None, "{name}");
    }
}

#[test]
fn codes_are_stable_snake_case() {
    let all = [
        Diagnosis::DiskError { error: "e".into() },
        Diagnosis::TrackersFailing {
            failures: 1,
            error: "e".into(),
            dht_found: None,
            private: false,
        },
        Diagnosis::NoPeers {
            trackers: true,
            dht_found: None,
            private: false,
            candidates: 0,
            connecting: 0,
        },
        Diagnosis::PiecesUnavailable {
            peers: 1,
            missing: unavailable(1, &[0]),
        },
        Diagnosis::AllChoking {
            choking: 1,
            for_at_least: Duration::ZERO,
            snubbed: 0,
        },
        Diagnosis::AllSnubbed {
            snubbed: 1,
            choking: 0,
        },
        Diagnosis::RateLimited { limit: 1 },
        Diagnosis::Waiting {
            idle: STALL_AFTER,
            working: 1,
        },
    ];
    let codes: Vec<&str> = all.iter().map(Diagnosis::cause).collect();
    assert_eq!(
        codes,
        [
            "disk_error",
            "trackers_failing",
            "no_peers",
            "pieces_unavailable",
            "all_choking",
            "all_snubbed",
            "rate_limited",
            "waiting"
        ]
    );
}

#[test]
fn piece_lists_and_quotes_are_bounded() {
    // (count, first) -> words
    let table: &[(u32, &[u32], &str)] = &[
        (1, &[7], "piece 7"),
        (3, &[1, 2, 3], "pieces 1, 2, 3"),
        (5, &[1, 2, 3], "pieces 1, 2, 3 (and 2 more)"),
        (9, &[], "9 pieces"),
    ];
    for &(count, first, want) in table {
        assert_eq!(list_pieces(&unavailable(count, first)), want);
    }
    let long = "é".repeat(MAX_QUOTE_CHARS + 5);
    let quoted = quote(&long);
    assert_eq!(quoted.chars().count(), MAX_QUOTE_CHARS + 3, "cut, then ...");
    assert_eq!(quote("short"), "short");
    assert_eq!(count(1, "address"), "1 address");
    assert_eq!(count(2, "address"), "2 addresses");
    assert_eq!(count(0, "peer"), "0 peers");
}
