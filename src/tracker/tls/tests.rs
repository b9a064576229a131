//! Loading roots from PEM files made at test time by the `openssl`
//! command (there is no openssl crate). A missing `openssl` fails the
//! tests: `.ci/run` installs it.

use super::*;
use crate::storage::testutil::TempDir;
use std::process::Command;

/// Writes a fresh self-signed CA certificate (and its key, in a separate
/// file) as `dir/name.pem`; returns the certificate's path.
fn make_cert(dir: &Path, name: &str) -> PathBuf {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command is needed by these tests (apt-get install openssl)");
    assert!(status.status.success(), "openssl: {status:?}");
    cert
}

fn count(roots: &RootCerts) -> usize {
    match roots {
        RootCerts::Specific(certs) => certs.len(),
        other => panic!("expected specific roots, got {other:?}"),
    }
}

#[test]
fn no_variable_means_the_bundled_roots() {
    let roots = load_roots(&RootSource::default()).unwrap();
    assert!(matches!(roots, RootCerts::WebPki), "{roots:?}");
}

#[test]
fn file_dir_or_both_replace_the_bundled_roots() {
    let tmp = TempDir::new("tls-roots");
    let dir = tmp.path().join("certs");
    fs::create_dir(&dir).unwrap();
    let a = make_cert(&dir, "a");
    make_cert(&dir, "b");
    fs::write(dir.join("README"), "not a certificate\n").unwrap();
    fs::create_dir(dir.join("sub")).unwrap();
    // A bundle: two certificates and a key, in one file.
    let bundle = tmp.path().join("bundle.pem");
    let mut text = fs::read(&a).unwrap();
    text.extend(fs::read(make_cert(tmp.path(), "c")).unwrap());
    text.extend(fs::read(tmp.path().join("c.key")).unwrap());
    fs::write(&bundle, text).unwrap();

    let table: &[(Option<&Path>, Option<&Path>, usize)] = &[
        (Some(&a), None, 1),
        (Some(&bundle), None, 2),
        (None, Some(&dir), 2), // a.pem, b.pem; keys, README, sub skipped
        (Some(&bundle), Some(&dir), 4),
    ];
    for (file, d, want) in table {
        let source = RootSource {
            file: file.map(Path::to_path_buf),
            dir: d.map(Path::to_path_buf),
        };
        let roots = load_roots(&source).unwrap_or_else(|e| panic!("{source:?}: {e}"));
        assert_eq!(count(&roots), *want, "{source:?}");
    }
}

#[test]
fn errors_name_the_variable_and_the_file() {
    let tmp = TempDir::new("tls-errors");
    let t = tmp.path();
    fs::write(t.join("text.pem"), "hello\n").unwrap();
    fs::write(t.join("cut.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n").unwrap();
    let big = fs::File::create(t.join("big.pem")).unwrap();
    big.set_len(MAX_PEM_FILE_LEN + 1).unwrap();
    fs::create_dir(t.join("empty")).unwrap();

    let file = |name: &str| RootSource {
        file: Some(t.join(name)),
        dir: None,
    };
    let table: &[(RootSource, &str, &str)] = &[
        (
            file("missing.pem"),
            "SSL_CERT_FILE",
            "missing.pem: No such file",
        ),
        (
            file("text.pem"),
            "SSL_CERT_FILE",
            "text.pem: no PEM certificate",
        ),
        (file("cut.pem"), "SSL_CERT_FILE", "cut.pem: not valid PEM"),
        (
            file("big.pem"),
            "SSL_CERT_FILE",
            "big.pem: larger than the limit",
        ),
        (
            RootSource {
                file: None,
                dir: Some(t.join("empty")),
            },
            "SSL_CERT_DIR",
            "empty: no file with a PEM certificate",
        ),
        (
            RootSource {
                file: None,
                dir: Some(t.join("nowhere")),
            },
            "SSL_CERT_DIR",
            "nowhere: No such file",
        ),
    ];
    for (source, var, words) in table {
        let err = load_roots(source).unwrap_err();
        assert!(err.starts_with(var), "{source:?}: {err}");
        assert!(err.contains(words), "{source:?}: {err}");
    }
}
