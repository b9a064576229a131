//! Tests of one range request: the `Content-Range` parser by table, and
//! `fetch` against a one-connection fake server on loopback.

use super::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;

/// `(first, last, total)` as `parse_content_range` gives them.
type Parsed = Option<(u64, u64, Option<u64>)>;

#[test]
fn content_range_vectors() {
    let cases: &[(&str, Parsed)] = &[
        ("bytes 0-99/1000", Some((0, 99, Some(1000)))),
        ("bytes 5-5/*", Some((5, 5, None))),
        (" bytes 1-2/3 ", Some((1, 2, Some(3)))),
        ("bytes 9-1/10", None), // backwards
        ("bytes -1/10", None),
        ("bytes 0-1", None), // no total
        ("bytes +1-2/3", None),
        ("items 0-1/2", None),
        ("bytes 0-18446744073709551616/1", None), // overflows u64
        ("", None),
    ];
    for (text, want) in cases {
        assert_eq!(parse_content_range(text), *want, "{text:?}");
    }
}

/// Serves one connection with `respond(request head)`, returns the URL.
fn serve_once(respond: impl FnOnce(&str) -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        for _ in 0..64 {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let _ = reader.get_mut().write_all(&respond(&head));
    });
    format!("http://{addr}/f")
}

fn response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Fetches bytes 10..20 of a 100-byte file from a server answering `raw`.
fn run(raw: Vec<u8>) -> (Result<(), FetchError>, Vec<u8>) {
    let url = serve_once(move |_| raw);
    let mut got = Vec::new();
    let r = Range {
        url: &url,
        offset: 10,
        len: 10,
        file_len: 100,
    };
    let result = fetch(&agent(), r, &mut |b| {
        got.extend_from_slice(b);
        true
    });
    (result, got)
}

#[test]
fn a_good_answer_is_handed_on_whole() {
    let url = serve_once(|head| {
        // The request asked for exactly the bytes wanted (inclusive end).
        let ok = head.to_ascii_lowercase().contains("range: bytes=10-19\r\n");
        let status = if ok { "206 Partial Content" } else { "400 Bad" };
        response(status, "Content-Range: bytes 10-19/100\r\n", b"0123456789")
    });
    let mut got = Vec::new();
    let r = Range {
        url: &url,
        offset: 10,
        len: 10,
        file_len: 100,
    };
    let result = fetch(&agent(), r, &mut |b| {
        got.extend_from_slice(b);
        true
    });
    assert_eq!(result, Ok(()));
    assert_eq!(got, b"0123456789");
}

#[test]
fn every_fault_is_named() {
    let cr = "Content-Range: bytes 10-19/100\r\n";
    let cases: Vec<(&str, Vec<u8>, FetchError)> = vec![
        (
            "404",
            response("404 Not Found", "", b"no"),
            FetchError::Gone { status: 404 },
        ),
        (
            "410",
            response("410 Gone", "", b""),
            FetchError::Gone { status: 410 },
        ),
        (
            "503",
            response("503 Busy", "", b""),
            FetchError::Busy { status: 503 },
        ),
        (
            "429",
            response("429 Slow down", "", b""),
            FetchError::Busy { status: 429 },
        ),
        (
            "403",
            response("403 No", "", b""),
            FetchError::Status { status: 403 },
        ),
        (
            "200",
            response("200 OK", "", &[0; 100]),
            FetchError::NoRange,
        ),
        (
            "other range",
            response("206 P", "Content-Range: bytes 0-9/100\r\n", b"0123456789"),
            FetchError::WrongRange {
                got: "bytes 0-9/100".into(),
            },
        ),
        (
            "other file length",
            response("206 P", "Content-Range: bytes 10-19/99\r\n", b"0123456789"),
            FetchError::WrongRange {
                got: "bytes 10-19/99".into(),
            },
        ),
        (
            "no content-range",
            response("206 P", "", b"0123456789"),
            FetchError::WrongRange { got: String::new() },
        ),
        (
            "short, honest length",
            response("206 P", cr, b"01234"),
            FetchError::Short { got: 5, want: 10 },
        ),
        (
            "long",
            response("206 P", cr, b"0123456789AB"),
            FetchError::Long { want: 10 },
        ),
    ];
    for (name, raw, want) in cases {
        let (result, got) = run(raw);
        assert_eq!(result, Err(want), "{name}");
        assert!(got.len() <= 10, "{name}: never more than asked");
    }
}

#[test]
fn a_body_cut_short_of_its_length_is_short() {
    // Content-Length promises 10, the connection closes after 4.
    let mut raw = response("206 P", "Content-Range: bytes 10-19/100\r\n", b"0123456789");
    raw.truncate(raw.len() - 6);
    let (result, got) = run(raw);
    assert!(
        matches!(result, Err(FetchError::Short { want: 10, .. })),
        "{result:?}"
    );
    assert!(got.len() <= 4);
}

#[test]
fn a_redirect_loop_is_bounded() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let url = format!("http://{addr}/f");
    let target = url.clone();
    let server = thread::spawn(move || {
        let mut served = 0;
        // Answers at most a few more than we follow, then ends.
        while served < MAX_REDIRECTS + 2 {
            let Ok((stream, _)) = listener.accept() else {
                return served;
            };
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let raw = response("302 Found", &format!("Location: {target}\r\n"), b"");
            let _ = reader.get_mut().write_all(&raw);
            served += 1;
            if served == MAX_REDIRECTS + 1 {
                return served;
            }
        }
        served
    });
    let r = Range {
        url: &url,
        offset: 0,
        len: 1,
        file_len: 1,
    };
    assert_eq!(
        fetch(&agent(), r, &mut |_| true),
        Err(FetchError::Redirects)
    );
    assert_eq!(server.join().ok(), Some(MAX_REDIRECTS + 1));
}

#[test]
fn a_sink_that_stops_stops_the_fetch() {
    let raw = response("206 P", "Content-Range: bytes 10-19/100\r\n", b"0123456789");
    let url = serve_once(move |_| raw);
    let r = Range {
        url: &url,
        offset: 10,
        len: 10,
        file_len: 100,
    };
    assert_eq!(fetch(&agent(), r, &mut |_| false), Err(FetchError::Stopped));
}

#[test]
fn messages_are_plain_words() {
    let cases = [
        (
            FetchError::Gone { status: 404 },
            "the file is not there (HTTP 404)",
        ),
        (
            FetchError::NoRange,
            "the server ignores range requests (HTTP 200)",
        ),
        (
            FetchError::Short { got: 1, want: 2 },
            "the body ended after 1 of 2 bytes",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
}
