//! Which `url-list` entries a session uses.

use super::*;

#[test]
fn usable_urls_are_http_once_each_in_order() {
    let urls: Vec<String> = [
        "http://a/f",
        "ftp://b/f",
        "https://c/",
        "http://a/f", // twice: one seed
        "file:///etc/passwd",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (ok, refused) = usable(&urls);
    assert_eq!(ok, ["http://a/f", "https://c/"]);
    assert_eq!(refused.len(), 2);
    assert!(refused[0].contains("ftp://"), "{refused:?}");
    assert!(refused[1].contains("file://"), "{refused:?}");
}
