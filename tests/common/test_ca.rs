//! A certificate authority and a server certificate for 127.0.0.1, made
//! at test time by the `openssl` command (no openssl crate). `.ci/run`
//! installs openssl; if it is missing the test fails, it is not skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files written by [`TestCa::make`].
pub struct TestCa {
    /// The CA's certificate: what `SSL_CERT_FILE` points at.
    pub ca_cert: PathBuf,
    /// The server's certificate (signed by the CA, SAN IP:127.0.0.1).
    pub server_cert: PathBuf,
    /// The server's private key (PKCS#8 PEM).
    pub server_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command is needed by this test (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestCa {
    /// A fresh CA and server certificate in `dir`, valid for two days.
    pub fn make(dir: &Path) -> TestCa {
        const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
        let mut ca = vec!["req", "-x509", "-nodes", "-days", "2"];
        ca.extend(EC);
        ca.extend([
            "-subj",
            "/CN=bitsy test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(dir, &ca);
        let mut csr = vec!["req", "-new", "-nodes"];
        csr.extend(EC);
        csr.extend([
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        openssl(dir, &csr);
        // webpki wants a v3 leaf with the address in subjectAltName.
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write server.ext");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.pem",
            ],
        );
        TestCa {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        }
    }
}
