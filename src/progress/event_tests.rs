//! `Progress` with `--json`: the pace of `progress` events and the
//! de-duplication of `stall` events.

use super::*;
use crate::event_stream::tests::Shared;

/// A quiet `Progress` with `--json` into a buffer the test reads.
fn with_events() -> (Progress, Shared) {
    let buf = Shared::default();
    let p = Progress::new(true).with_events(EventStream::to(Box::new(buf.clone())));
    (p, buf)
}

#[test]
fn progress_events_once_a_second_and_the_last_at_finish() {
    let (mut p, buf) = with_events();
    let at = |have| Status {
        have,
        total: 10,
        size: 10,
        ..Status::default()
    };
    p.update(&at(1)); // the first is written at once
    p.update(&at(2)); // within the second: held back
    p.update(&at(3)); // replaces it
    p.update_text("checking: 1/2 pieces"); // no status text with --json
    assert_eq!(buf.lines().len(), 1);
    p.finish();
    p.finish(); // nothing left to write
    let lines = buf.lines();
    let have: Vec<u64> = lines.iter().map(|l| l["have"].as_u64().unwrap()).collect();
    assert_eq!(have, [1, 3]);
    assert!(lines.iter().all(|l| l["event"] == "progress"));
}

#[test]
fn a_stall_is_written_when_the_diagnosis_changes() {
    let (mut p, buf) = with_events();
    let steps: &[(&str, Option<(&'static str, &str)>)] = &[
        ("first", Some(("no_peers", "no peer has piece 3"))),
        (
            "same again: dropped",
            Some(("no_peers", "no peer has piece 3")),
        ),
        ("new words", Some(("no_peers", "no peer has pieces 3-4"))),
        ("new cause", Some(("all_choking", "every peer chokes us"))),
        ("moving again", None),
        (
            "the same cause after it",
            Some(("all_choking", "every peer chokes us")),
        ),
    ];
    for (_, step) in steps {
        match step {
            Some((cause, text)) => p.stall(cause, text),
            None => p.unstalled(),
        }
    }
    let got: Vec<(String, String)> = buf
        .lines()
        .iter()
        .map(|l| {
            assert_eq!(l["event"], "stall");
            let s = |k: &str| l[k].as_str().unwrap().to_string();
            (s("cause"), s("text"))
        })
        .collect();
    let want = [
        ("no_peers", "no peer has piece 3"),
        ("no_peers", "no peer has pieces 3-4"),
        ("all_choking", "every peer chokes us"),
        ("all_choking", "every peer chokes us"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(c, t)| (c.to_string(), t.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn without_json_events_are_dropped() {
    let mut p = Progress::new(true);
    assert!(!p.has_events());
    p.stall("no_peers", "nobody");
    p.emit(&Event::Stall {
        cause: "no_peers",
        text: "nobody".into(),
    });
    p.finish();
}
