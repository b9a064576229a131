//! Unit tests of `cli::parse`: every way people type a command line.

use super::*;
use crate::error::Error;
use crate::session::SeedPolicy;
use std::ffi::OsString;
use std::net::IpAddr;
use std::time::Duration;

fn p(args: &[&str]) -> crate::error::Result<Command> {
    parse(args.iter().map(OsString::from).collect())
}

fn usage_message(args: &[&str]) -> String {
    match p(args) {
        Err(Error::Usage(m)) => m,
        other => panic!("{args:?}: not a usage error: {other:?}"),
    }
}

fn download_config(args: &[&str]) -> (TorrentSource, PathBuf, Config) {
    match p(args) {
        Ok(Command::Download {
            torrent,
            out,
            config,
        }) => (torrent, out, config),
        other => panic!("{args:?}: not a download: {other:?}"),
    }
}

#[test]
fn options_go_anywhere() {
    let want = format!(
        "{:?}",
        p(&["download", "a.torrent", "-o", "out", "--port", "7000", "-q"]).unwrap()
    );
    let same: &[&[&str]] = &[
        &["download", "-o", "out", "--port", "7000", "-q", "a.torrent"],
        &["download", "-q", "a.torrent", "--port=7000", "--output=out"],
        &["-q", "download", "--port", "7000", "a.torrent", "-o", "out"],
        &["-o", "out", "--port", "7000", "-q", "download", "a.torrent"],
        &["a.torrent", "-o", "out", "--port", "7000", "-q"],
        &["-q", "a.torrent", "-o=out", "--port", "7000"],
        &["--port", "7000", "-q", "-o", "out", "a.torrent"],
        &["-q", "-q", "a.torrent", "-o", "out", "--port", "7000"],
    ];
    for args in same {
        assert_eq!(format!("{:?}", p(args).unwrap()), want, "{args:?}");
    }
    let (torrent, out, config) = download_config(&["-q", "a.torrent", "-o", "out"]);
    assert_eq!(torrent, TorrentSource::File("a.torrent".into()));
    assert_eq!(out, PathBuf::from("out"));
    assert!(config.quiet);
    assert_eq!(config.seed, SeedPolicy::Exit);
    assert!(!config.recheck);
    let (_, _, config) = download_config(&["a.torrent", "--recheck"]);
    assert!(config.recheck);
    assert!(usage_message(&["seed", "a.torrent", "d", "--recheck"]).contains("--recheck"));
    let (torrent, _, _) = download_config(&["Album.TORRENT", "-v"]);
    assert_eq!(torrent, TorrentSource::File("Album.TORRENT".into()));
    let (torrent, _, _) = download_config(&["http://h/a.torrent"]);
    assert_eq!(torrent, TorrentSource::Url("http://h/a.torrent".into()));
    let (torrent, _, _) = download_config(&["download", "HTTPS://h/get?id=1"]);
    assert_eq!(torrent, TorrentSource::Url("HTTPS://h/get?id=1".into()));
    let Command::Seed {
        torrent,
        data,
        config,
    } = p(&[
        "seed",
        "-v",
        "--port",
        "1",
        "a.torrent",
        "--max-peers",
        "3",
        "data",
    ])
    .unwrap()
    else {
        panic!("not a seed")
    };
    assert_eq!((torrent, data), ("a.torrent".into(), "data".into()));
    assert_eq!(
        (config.port, config.max_peers, config.verbose),
        (1, 3, true)
    );
    assert_eq!(config.seed, SeedPolicy::Forever);
}

#[test]
fn help_for_each_command() {
    let table: &[(&[&str], Option<Topic>)] = &[
        (&["--help"], None),
        (&["-h"], None),
        (&["help"], None),
        (&["help", "download"], Some(Topic::Download)),
        (&["help", "seed"], Some(Topic::Seed)),
        (&["help", "tracker"], Some(Topic::Tracker)),
        (&["download", "--help"], Some(Topic::Download)),
        (&["-h", "create"], Some(Topic::Create)),
        (&["verify", "x.torrent", "-h"], Some(Topic::Verify)),
        (&["x.torrent", "--help"], Some(Topic::Download)),
        // Help wins over a mistake in the rest of the line.
        (
            &["download", "--port", "abc", "--help"],
            Some(Topic::Download),
        ),
    ];
    for (args, want) in table {
        match p(args) {
            Ok(Command::Help(got)) => assert_eq!(got, *want, "{args:?}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
    for topic in Topic::ALL {
        let text = usage::of(topic);
        assert!(text.contains(&format!("bitsy {}", topic.name())), "{text}");
    }
    assert!(matches!(p(&["tracker", "-V"]), Ok(Command::Version)));
    assert!(usage_message(&["help", "frob"]).contains("no command `frob`"));
}

#[test]
fn errors_name_the_option_and_what_it_expected() {
    let table: &[(&[&str], &str)] = &[
        (
            &["download", "a.torrent", "--port", "abc"],
            "--port: expected a port number 0-65535, got \"abc\"",
        ),
        (
            &["a.torrent", "--port", "70000"],
            "--port: expected a port number",
        ),
        (
            &["a.torrent", "--max-peers", "0"],
            "--max-peers: expected a number of peers",
        ),
        (&["a.torrent", "--max-peers", "many"], "got \"many\""),
        (
            &["a.torrent", "--seed-ratio", "-1"],
            "--seed-ratio: expected a ratio",
        ),
        (
            &["a.torrent", "--seed-time", "soon"],
            "--seed-time: expected a duration",
        ),
        (
            &["a.torrent", "--stall-timeout", "x"],
            "--stall-timeout: expected a duration",
        ),
        (
            &["a.torrent", "--bind", "localhost"],
            "--bind: expected an IP address",
        ),
        (
            &["tracker", "--bind", "1.2.3"],
            "--bind: expected an IP address",
        ),
        (
            &["tracker", "--port", "-1"],
            "--port: expected a port number",
        ),
        (
            &[
                "create",
                "d",
                "--tracker",
                "http://t/a",
                "-o",
                "x",
                "--piece-length",
                "1000",
            ],
            "--piece-length: expected a power of two",
        ),
        (&["download", "a.torrent", "-o"], "-o: missing its value"),
        (
            &["download", "-o", "--port", "1", "a.torrent"],
            "-o: missing its value",
        ),
        (&["a.torrent", "--port="], "--port: missing its value"),
        (
            &["a.torrent", "--port", "1", "--port", "2"],
            "--port given more than once",
        ),
        (
            &["download", "--frobnicate", "a.torrent"],
            "unknown option --frobnicate",
        ),
        (&["-x", "a.torrent"], "unknown option -x"),
        (
            &["verify", "a.torrent", "d", "-o", "x"],
            "`bitsy verify` does not take -o",
        ),
        (
            &["info", "a.torrent", "-q"],
            "`bitsy info` does not take -q",
        ),
        (
            &["tracker", "--seed"],
            "`bitsy tracker` does not take --seed",
        ),
        (&["a.torrent", "--quiet=yes"], "--quiet takes no value"),
        (
            &["verify", "a.torrent", "d", "--json"],
            "`bitsy verify` does not take --json",
        ),
        (&["a.torrent", "extra"], "unexpected argument `extra`"),
        (&["download"], "download needs a .torrent file"),
        (&["seed", "a.torrent"], "seed needs the data's PATH"),
        (
            &["create", "dir", "-o", "x.torrent", "--private"],
            "a --private torrent needs at least one --tracker",
        ),
        (
            &["create", "dir", "-o", "x.torrent", "--webseed", "ftp://h/f"],
            "--webseed: web seed \"ftp://h/f\": ftp:// is not supported",
        ),
        (
            &["create", "dir", "--tracker", "http://t/a"],
            "create needs -o",
        ),
        (
            &["a.torrent", "--seed", "--seed-time", "2"],
            "at most one of --seed",
        ),
        (&[], "no command given"),
        (&["frobnicate"], "unknown command `frobnicate`"),
    ];
    for (args, says) in table {
        let msg = usage_message(args);
        assert!(msg.contains(says), "{args:?}: {says:?} not in {msg:?}");
        assert!(msg.contains("(run `bitsy "), "{args:?}: no hint in {msg:?}");
    }
    // The hint names the command's own help when the command is known.
    assert!(usage_message(&["seed", "a.torrent", "--port", "x"]).contains("bitsy help seed"));
}

#[test]
fn seed_policies_and_units() {
    let min = |m: u64| Some(SeedPolicy::Time(Duration::from_secs(m * 60)));
    let secs = |s: u64| Some(SeedPolicy::Time(Duration::from_secs(s)));
    let table: &[(&[&str], Option<SeedPolicy>)] = &[
        (&[], Some(SeedPolicy::Exit)),
        (&["--seed"], Some(SeedPolicy::Forever)),
        (&["--seed-ratio", "1.5"], Some(SeedPolicy::Ratio(1.5))),
        (&["--seed-ratio=0"], Some(SeedPolicy::Ratio(0.0))),
        (&["--seed-time", "2"], min(2)),
        (&["--seed-time", "1.5"], secs(90)),
        (&["--seed-time", "90s"], secs(90)),
        (&["--seed-time", "30m"], min(30)),
        (&["--seed-time", "1.5h"], min(90)),
        (&["--seed-time=2d"], min(2 * 24 * 60)),
        (&["--seed", "--seed-time", "2"], None),
        (&["--seed-ratio", "1", "--seed-time", "2"], None),
        (&["--seed-ratio", "-1"], None),
        (&["--seed-time", "-5m"], None),
    ];
    for (extra, want) in table {
        let mut args = vec!["download", "a.torrent"];
        args.extend_from_slice(extra);
        match (p(&args), want) {
            (Ok(Command::Download { config, .. }), Some(w)) => {
                assert_eq!(config.seed, *w, "{extra:?}")
            }
            (Err(Error::Usage(_)), None) => {}
            (got, _) => panic!("{extra:?}: {got:?}"),
        }
    }
}

#[test]
fn stall_timeout_zero_is_never_and_bind_is_kept() {
    let table: &[(&[&str], Option<Duration>)] = &[
        (&[], Some(Duration::from_secs(120))),
        (&["--stall-timeout", "30"], Some(Duration::from_secs(30))),
        (&["--stall-timeout", "2m"], Some(Duration::from_secs(120))),
        (&["--stall-timeout", "0"], None),
    ];
    for (extra, want) in table {
        let mut args = vec!["a.torrent"];
        args.extend_from_slice(extra);
        assert_eq!(download_config(&args).2.stall_timeout, *want, "{extra:?}");
    }
    let default = download_config(&["a.torrent"]).2;
    assert_eq!(default.bind, "0.0.0.0".parse::<IpAddr>().unwrap());
    let bound = download_config(&["a.torrent", "--bind", "127.0.0.1"]).2;
    assert_eq!(bound.bind, "127.0.0.1".parse::<IpAddr>().unwrap());
    let Command::Seed { config, .. } = p(&["seed", "--bind", "::1", "t.torrent", "d"]).unwrap()
    else {
        panic!("not a seed")
    };
    assert_eq!(config.bind, "::1".parse::<IpAddr>().unwrap());
}

#[test]
fn create_takes_only_trackers_bitsy_can_announce_to() {
    let Command::Create { opts, out, quiet } = p(&[
        "create",
        "data",
        "--tracker",
        "http://a/announce",
        "--tracker=http://b/announce",
        "--tracker=udp://c:6969/announce",
        "--private",
        "-o",
        "x.torrent",
        "-q",
    ])
    .unwrap() else {
        panic!("not create")
    };
    assert_eq!(
        opts.trackers,
        [
            "http://a/announce",
            "http://b/announce",
            "udp://c:6969/announce"
        ]
    );
    assert!(opts.private && quiet);
    assert_eq!(opts.path, PathBuf::from("data"));
    assert_eq!(out, PathBuf::from("x.torrent"));
    for url in ["wss://t", "t/announce"] {
        let msg = usage_message(&["create", "d", "--tracker", url, "-o", "x"]);
        assert!(msg.contains(url), "{msg}");
        assert!(msg.contains("bitsy can announce to http://"), "{msg}");
    }
    // One refused URL among good ones is still refused.
    let msg = usage_message(&[
        "create",
        "d",
        "--tracker",
        "http://a/",
        "--tracker",
        "wss://b:1",
        "-o",
        "x",
    ]);
    assert!(msg.contains("\"wss\""), "{msg}");
}

#[test]
fn other_commands() {
    assert!(matches!(p(&["--version"]).unwrap(), Command::Version));
    assert!(matches!(
        p(&["info", "x.torrent"]).unwrap(),
        Command::Info(TorrentSource::File(_))
    ));
    assert!(matches!(
        p(&["info", "https://h/x.torrent"]).unwrap(),
        Command::Info(TorrentSource::Url(u)) if u == "https://h/x.torrent"
    ));
    let Command::Verify { quiet, data, .. } = p(&["verify", "-q", "x.torrent", "data"]).unwrap()
    else {
        panic!("not verify")
    };
    assert!(quiet);
    assert_eq!(data, PathBuf::from("data"));
    let Command::Tracker(cfg) =
        p(&["tracker", "--port", "7070", "-v", "--bind", "127.0.0.1"]).unwrap()
    else {
        panic!("not a tracker")
    };
    assert_eq!(cfg.port, 7070);
    assert!(cfg.verbose);
    assert_eq!(cfg.bind, "127.0.0.1".parse::<IpAddr>().unwrap());
    // A path that is not UTF-8 is still a path.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(b"caf\xe9.torrent".to_vec());
        let got = parse(vec!["info".into(), odd.clone()]).unwrap();
        assert!(matches!(got, Command::Info(TorrentSource::File(p)) if p.as_os_str() == odd));
    }
}

#[test]
fn magnet_links_are_read_on_the_command_line() {
    let link = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&tr=udp://t:1";
    let Command::Info(TorrentSource::Magnet(m)) = p(&["info", link]).unwrap() else {
        panic!("not a magnet info")
    };
    assert_eq!(m.trackers, vec!["udp://t:1".to_string()]);
    let (torrent, _, _) = download_config(&["download", link, "-o", "d"]);
    assert!(matches!(torrent, TorrentSource::Magnet(_)));
    // The shorthand `bitsy LINK` too.
    let (torrent, _, _) = download_config(&[link]);
    assert!(matches!(torrent, TorrentSource::Magnet(_)));
    // A malformed link is refused before anything starts: a bad-torrent error.
    for bad in [
        "magnet:?xt=urn:btih:123",
        "magnet:?dn=no-topic",
        "magnet:?xt=urn:btmh:1220abcd",
    ] {
        for args in [vec!["info", bad], vec!["download", bad]] {
            match p(&args) {
                Err(e @ Error::Torrent(_)) => {
                    assert!(e.to_string().contains("magnet link"), "{e}")
                }
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }
}

/// `--json` is a flag of `download` and `seed`, off by default.
#[test]
fn json_is_a_flag_of_download_and_seed() {
    let (_, _, config) = download_config(&["a.torrent"]);
    assert!(!config.json);
    let (_, _, config) = download_config(&["a.torrent", "--json"]);
    assert!(config.json);
    let Command::Seed { config, .. } = p(&["seed", "--json", "a.torrent", "d"]).unwrap() else {
        panic!("not a seed")
    };
    assert!(config.json);
}

#[test]
fn why_is_a_download_flag() {
    // (arguments, --why set)
    let table: &[(&[&str], bool)] = &[
        (&["a.torrent"], false),
        (&["a.torrent", "--why"], true),
        (&["--why", "a.torrent", "-q"], true),
    ];
    for (args, want) in table {
        assert_eq!(download_config(args).2.why, *want, "{args:?}");
    }
    assert!(
        usage_message(&["seed", "--why", "t.torrent", "d"]).contains("--why"),
        "seed has nothing to diagnose"
    );
}

/// `-o -` and `--json` both want stdout: refused, as a usage error.
#[test]
fn streaming_and_json_are_refused_together() {
    let msg = usage_message(&["download", "a.torrent", "-o", "-", "--json"]);
    assert!(msg.contains("--json"), "{msg}");
    assert!(msg.contains("-o -"), "{msg}");
    assert!(p(&["download", "a.torrent", "-o", "-"]).is_ok());
    assert!(p(&["download", "a.torrent", "-o", "out", "--json"]).is_ok());
}

#[test]
fn trace_is_on_for_transfers_and_dht_lookups_only() {
    let (_, _, off) = download_config(&["x.torrent"]);
    assert!(!off.trace.is_on());
    let (_, _, on) = download_config(&["x.torrent", "--trace"]);
    assert!(on.trace.is_on());
    // The DHT node of the transfer traces too.
    assert!(on.dht.as_ref().is_some_and(|d| d.trace.is_on()));
    let Ok(Command::Seed { config, .. }) = p(&["seed", "--trace", "x.torrent", "data"]) else {
        panic!("not a seed")
    };
    assert!(config.trace.is_on());
    let hash = "ab".repeat(20);
    let Ok(Command::DhtGetPeers { trace, .. }) = p(&["dht", "get-peers", &hash, "--trace"]) else {
        panic!("not a dht lookup")
    };
    assert!(trace.is_on());
    let others: [&[&str]; 4] = [
        &["create", "dir", "-o", "x.torrent", "--trace"],
        &["verify", "x.torrent", "data", "--trace"],
        &["info", "x.torrent", "--trace"],
        &["tracker", "--trace"],
    ];
    for args in others {
        let m = usage_message(args);
        assert!(m.contains("does not take --trace"), "{args:?}: {m}");
    }
}
