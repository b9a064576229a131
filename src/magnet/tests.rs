use super::*;

const HEX: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
/// The same 20 bytes in RFC 4648 base32.
const B32: &str = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";

fn hash() -> InfoHash {
    let mut h = [0u8; 20];
    for (i, b) in h.iter_mut().enumerate() {
        *b = u8::from_str_radix(&HEX[2 * i..2 * i + 2], 16).unwrap();
    }
    h
}

fn peer(host: &str, port: u16) -> PeerAddr {
    PeerAddr {
        host: host.into(),
        port,
    }
}

#[test]
fn good_links() {
    let h = hash();
    let table: &[(String, Magnet)] = &[
        (
            format!("magnet:?xt=urn:btih:{HEX}"),
            Magnet {
                info_hash: h,
                name: None,
                trackers: vec![],
                peers: vec![],
                web_seeds: vec![],
            },
        ),
        // Upper-case hex, base32 in either case, a numbered `xt.1`.
        (
            format!("MAGNET:?xt=urn:BTIH:{}", HEX.to_uppercase()),
            bare(h),
        ),
        (format!("magnet:?xt=urn:btih:{B32}"), bare(h)),
        (
            format!("magnet:?xt.1=urn:btih:{}", B32.to_lowercase()),
            bare(h),
        ),
        // Hybrid v1+v2 link: the btih is used.
        (
            format!(
                "magnet:?xt=urn:btmh:1220{}&xt=urn:btih:{HEX}",
                "ab".repeat(32)
            ),
            bare(h),
        ),
        // Every key, escapes, `+` in dn, the same tracker twice, unknown keys.
        (
            format!(
                "magnet:?xt=urn:btih:{HEX}&dn=Debian+12%20net%2Finst&xl=123\
                 &tr=udp%3A%2F%2F127.0.0.1%3A6969%2Fannounce&tr=http://t/a?x=1+2\
                 &tr.1=udp%3A%2F%2F127.0.0.1%3A6969%2Fannounce\
                 &x.pe=127.0.0.2:6881&x.pe=%5B%3A%3A1%5D%3A51413&x.pe=peer.lan:80\
                 &ws=http%3A%2F%2Fh%2Ff&so=0-3&&"
            ),
            Magnet {
                info_hash: h,
                name: Some("Debian 12 net/inst".into()),
                trackers: vec![
                    "udp://127.0.0.1:6969/announce".into(),
                    "http://t/a?x=1+2".into(),
                ],
                peers: vec![
                    peer("127.0.0.2", 6881),
                    peer("::1", 51413),
                    peer("peer.lan", 80),
                ],
                web_seeds: vec!["http://h/f".into()],
            },
        ),
    ];
    for (link, want) in table {
        assert_eq!(Magnet::parse(link).as_ref(), Ok(want), "{link}");
    }
}

fn bare(info_hash: InfoHash) -> Magnet {
    Magnet {
        info_hash,
        name: None,
        trackers: vec![],
        peers: vec![],
        web_seeds: vec![],
    }
}

#[test]
fn bad_links() {
    use MagnetError::*;
    let long = format!("magnet:?xt=urn:btih:{HEX}&dn={}", "a".repeat(MAX_LINK_LEN));
    let many_tr: String = (0..=MAX_VALUES)
        .map(|i| format!("&tr=http://t/{i}"))
        .collect();
    let table: &[(String, MagnetError)] = &[
        ("http://x/y.torrent".into(), NotMagnet),
        ("magnet:xt=urn:btih:{HEX}".into(), NotMagnet),
        ("magnet:?".into(), NoTopic),
        ("magnet:?dn=x&tr=http://t/a".into(), NoTopic),
        (format!("magnet:?xt=urn:sha1:{HEX}"), NoTopic),
        (
            format!("magnet:?xt=urn:btmh:1220{}", "ab".repeat(32)),
            V2Only,
        ),
        ("magnet:?xt=urn:btih:abc".into(), BadHash("abc".into())),
        (
            format!("magnet:?xt=urn:btih:{}zz", &HEX[..38]),
            BadHash(format!("{}zz", &HEX[..38])),
        ),
        (
            format!("magnet:?xt=urn:btih:{}1", &B32[..31]),
            BadHash(format!("{}1", &B32[..31])),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&xt=urn:btih:{}", "0".repeat(40)),
            TwoTopics,
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&dn=%zz"),
            BadEscape("%zz".into()),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&dn=ab%4"),
            BadEscape("ab%4".into()),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&x.pe=1.2.3.4"),
            BadPeer("1.2.3.4".into()),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&x.pe=1.2.3.4:0"),
            BadPeer("1.2.3.4:0".into()),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&x.pe=1.2.3.4:65536"),
            BadPeer("1.2.3.4:65536".into()),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&x.pe=[zz]:1"),
            BadPeer("[zz]:1".into()),
        ),
        (
            format!("magnet:?xt=urn:btih:{HEX}&x.pe=a/b:1"),
            BadPeer("a/b:1".into()),
        ),
        (format!("magnet:?xt=urn:btih:{HEX}{many_tr}"), TooMany("tr")),
        (long, TooLong),
    ];
    for (link, want) in table {
        assert_eq!(Magnet::parse(link).as_ref(), Err(want), "{link:.80}");
    }
}

#[test]
fn every_error_reads_as_a_sentence() {
    let errors = [
        MagnetError::NotMagnet,
        MagnetError::V2Only,
        MagnetError::BadPeer("x".into()),
        MagnetError::TooMany("ws"),
    ];
    for e in errors {
        let text = e.to_string();
        assert!(text.len() > 20 && !text.contains('\n'), "{text}");
    }
    assert!(MagnetError::V2Only.to_string().contains("btmh"));
}

#[test]
fn tiers_keep_link_order_one_tracker_each() {
    let m = Magnet::parse(&format!(
        "magnet:?xt=urn:btih:{HEX}&tr=udp://a:1&tr=http://b/"
    ))
    .unwrap();
    assert_eq!(
        m.tiers(),
        vec![vec!["udp://a:1".to_string()], vec!["http://b/".to_string()]]
    );
}

#[test]
fn report_shows_the_link_and_escapes_control_characters() {
    let m = Magnet::parse(&format!(
        "magnet:?xt=urn:btih:{B32}&dn=evil%1B%5B2J&tr=http://t/a&x.pe=[::1]:7"
    ))
    .unwrap();
    let text = m.report();
    assert!(text.contains(&format!("infohash:   {HEX}\n")), "{text}");
    assert!(text.contains("name:       evil\\u{1b}[2J\n"), "{text}");
    assert!(text.contains("trackers:\n  http://t/a\n"), "{text}");
    assert!(text.contains("peers:\n  [::1]:7\n"), "{text}");
    assert!(text.contains("web seeds:  none\n"), "{text}");
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn round_trip_with_metainfo_magnet_link() {
    // The link `bitsy info` prints for a .torrent reads back to the same torrent.
    let bytes = std::fs::read("data/mktorrent-multi.torrent").unwrap();
    let meta = crate::metainfo::Metainfo::from_bytes(&bytes).unwrap();
    let m = Magnet::parse(&meta.magnet_link()).unwrap();
    assert_eq!(m.info_hash, meta.info_hash);
    assert_eq!(m.name.as_deref(), Some(meta.name.as_str()));
    assert_eq!(m.tiers().concat(), meta.trackers.concat());
}
