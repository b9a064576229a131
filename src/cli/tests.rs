//! Unit tests for `cli`.

use super::*;

fn p(args: &[&str]) -> Result<Command> {
    parse(args.iter().map(OsString::from).collect())
}

#[test]
fn download_and_shortcut() {
    let full = p(&["download", "a.torrent", "-o", "out", "--port", "7000", "-q"]).unwrap();
    let short = p(&["a.torrent", "-o", "out", "--port", "7000", "-q"]).unwrap();
    assert_eq!(format!("{full:?}"), format!("{short:?}"));
    let Command::Download { out, config, .. } = full else {
        panic!("not a download")
    };
    assert_eq!(out, PathBuf::from("out"));
    assert_eq!(config.port, 7000);
    assert!(config.quiet);
    assert_eq!(config.seed, SeedPolicy::Exit);
}

#[test]
fn seed_options() {
    let table: &[(&[&str], Option<SeedPolicy>)] = &[
        (&["--seed"], Some(SeedPolicy::Forever)),
        (&["--seed-ratio", "1.5"], Some(SeedPolicy::Ratio(1.5))),
        (
            &["--seed-time", "2"],
            Some(SeedPolicy::Time(Duration::from_secs(120))),
        ),
        (&["--seed", "--seed-time", "2"], None),
        (&["--seed-ratio", "-1"], None),
    ];
    for (extra, want) in table {
        let mut args = vec!["download", "a.torrent"];
        args.extend_from_slice(extra);
        match (p(&args), want) {
            (Ok(Command::Download { config, .. }), Some(w)) => assert_eq!(config.seed, *w),
            (Err(Error::Usage(_)), None) => {}
            (got, _) => panic!("{extra:?}: {got:?}"),
        }
    }
}

#[test]
fn errors_are_usage() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["download"],
        &["download", "a.torrent", "--port", "x"],
        &["download", "a.torrent", "--max-peers", "0"],
        &["download", "a.torrent", "extra"],
        &["create", "dir", "-o", "x.torrent"],
        &["seed", "a.torrent"],
    ] {
        assert!(matches!(p(args), Err(Error::Usage(_))), "{args:?}");
    }
}

#[test]
fn other_commands() {
    assert!(matches!(p(&["--help"]).unwrap(), Command::Help));
    assert!(matches!(
        p(&["info", "x.torrent"]).unwrap(),
        Command::Info(_)
    ));
    assert!(matches!(
        p(&["verify", "x.torrent", "data"]).unwrap(),
        Command::Verify { .. }
    ));
    let Command::Tracker(cfg) = p(&["tracker", "--port", "7070", "--bind", "127.0.0.1"]).unwrap()
    else {
        panic!("not a tracker")
    };
    assert_eq!(cfg.port, 7070);
    let Command::Create(opts, out) = p(&[
        "create",
        "data",
        "--tracker",
        "http://a/announce",
        "--tracker",
        "http://b/announce",
        "--private",
        "-o",
        "x.torrent",
    ])
    .unwrap() else {
        panic!("not create")
    };
    assert_eq!(opts.trackers.len(), 2);
    assert!(opts.private);
    assert_eq!(out, PathBuf::from("x.torrent"));
}
