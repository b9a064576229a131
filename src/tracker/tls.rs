//! Which certificate authorities an HTTPS request trusts (a tracker, or a
//! .torrent fetched from a URL): the one place that decides.
//!
//! - By default: the Mozilla roots bundled into the binary (ureq's
//!   `rustls` feature brings them, from the `webpki-roots` crate). Routers
//!   and minimal containers often have no CA store at all, so a static
//!   binary that trusts only the system's store would trust nothing there.
//! - If `SSL_CERT_FILE` or `SSL_CERT_DIR` is set (and not empty), the
//!   certificates they name *replace* the bundled roots, as they replace
//!   the default store for curl and OpenSSL: `SSL_CERT_FILE` is one PEM
//!   file (a bundle of any number of certificates), `SSL_CERT_DIR` a
//!   folder whose every regular file with a certificate in it is read
//!   (others, such as a README, are skipped). With both set, both are
//!   used. This is how a site CA, or a test's own CA, is trusted.
//!
//! Invariants: every file is read with a size cap ([`MAX_PEM_FILE_LEN`]),
//! a folder at most [`MAX_DIR_FILES`] entries; each error names the file
//! and the variable. A variable that is set but yields no certificate is
//! an error, never a silent fall back to the bundled roots: the user asked
//! for those CAs, and trusting others instead would be a surprise.
//!
//! Not here: the roots are read once per process ([`tls_config`]); a
//! change to the variables after the first HTTPS request is not seen. No
//! client certificates, no CRLs, no system store lookup.
//!
//! Only in a build with the `https` feature (the default); see `scheme`.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

/// The variable naming one PEM file of CA certificates (curl, OpenSSL).
pub const CERT_FILE_VAR: &str = "SSL_CERT_FILE";

/// The variable naming a folder of PEM files (curl, OpenSSL).
pub const CERT_DIR_VAR: &str = "SSL_CERT_DIR";

/// Largest PEM file read. Debian's whole bundle (about 150 roots) is
/// about 220 KB; 4 MiB is far more than any real bundle and still bounds
/// memory.
pub const MAX_PEM_FILE_LEN: u64 = 4 * 1024 * 1024;

/// Most directory entries looked at in `SSL_CERT_DIR`. Debian's
/// /etc/ssl/certs has about 300 files and as many hash links.
pub const MAX_DIR_FILES: usize = 4096;

/// Where the roots come from, as read from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootSource {
    /// `SSL_CERT_FILE`, if set and not empty.
    pub file: Option<PathBuf>,
    /// `SSL_CERT_DIR`, if set and not empty.
    pub dir: Option<PathBuf>,
}

impl RootSource {
    /// Reads the two variables.
    pub fn from_env() -> RootSource {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        RootSource {
            file: var(CERT_FILE_VAR).map(PathBuf::from),
            dir: var(CERT_DIR_VAR).map(PathBuf::from),
        }
    }
}

/// The roots for `source`: the bundled ones if neither variable is set,
/// else exactly the certificates found in the file and the folder.
pub fn load_roots(source: &RootSource) -> Result<RootCerts, String> {
    if source.file.is_none() && source.dir.is_none() {
        return Ok(RootCerts::WebPki);
    }
    let mut certs = Vec::new();
    if let Some(file) = &source.file {
        let found = read_pem_certs(file).map_err(|e| format!("{CERT_FILE_VAR}: {e}"))?;
        if found.is_empty() {
            return Err(format!(
                "{CERT_FILE_VAR}: {}: no PEM certificate in it",
                file.display()
            ));
        }
        certs.extend(found);
    }
    if let Some(dir) = &source.dir {
        let found = read_pem_dir(dir).map_err(|e| format!("{CERT_DIR_VAR}: {e}"))?;
        if found.is_empty() {
            return Err(format!(
                "{CERT_DIR_VAR}: {}: no file with a PEM certificate in it",
                dir.display()
            ));
        }
        certs.extend(found);
    }
    Ok(RootCerts::from(certs))
}

/// Every certificate in one PEM file (private keys and other sections
/// are skipped). The error names the file.
pub fn read_pem_certs(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = fs::File::open(path).map_err(|e| named(&e))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| named(&e))?;
    if bytes.len() as u64 > MAX_PEM_FILE_LEN {
        return Err(named(&format!(
            "larger than the limit of {MAX_PEM_FILE_LEN} bytes for a PEM file"
        )));
    }
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        // A key in a combined file is not a root: skipped.
        if let PemItem::Certificate(c) = item.map_err(|e| named(&format!("not valid PEM: {e}")))? {
            certs.push(c);
        }
    }
    Ok(certs)
}

/// Every certificate in the regular files of `dir` (symbolic links
/// followed, subfolders skipped), in file-name order.
fn read_pem_dir(dir: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", dir.display());
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| named(&e))? {
        if paths.len() == MAX_DIR_FILES {
            return Err(named(&format!("more than {MAX_DIR_FILES} entries")));
        }
        paths.push(entry.map_err(|e| named(&e))?.path());
    }
    paths.sort();
    let mut certs = Vec::new();
    for path in paths.iter().filter(|p| p.is_file()) {
        certs.extend(read_pem_certs(path)?);
    }
    Ok(certs)
}

/// The TLS settings every HTTPS request uses, read from the environment
/// once per process. `Err` says why HTTPS cannot be used (a bad
/// `SSL_CERT_FILE`, say); plain HTTP is unaffected by it.
pub fn tls_config() -> Result<TlsConfig, String> {
    static ROOTS: OnceLock<Result<RootCerts, String>> = OnceLock::new();
    let roots = ROOTS.get_or_init(|| load_roots(&RootSource::from_env()));
    roots
        .clone()
        .map(|roots| TlsConfig::builder().root_certs(roots).build())
}

/// TLS settings that trust no CA: for an agent whose roots could not be
/// loaded, so that nothing falls back to the bundled roots.
pub fn trust_nothing() -> TlsConfig {
    TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&[]))
        .build()
}

/// Words to add to a failed TLS handshake's message, so the user knows
/// which CAs were trusted.
pub fn trust_hint() -> String {
    let source = RootSource::from_env();
    if source.file.is_none() && source.dir.is_none() {
        format!(
            "bitsy trusts its bundled Mozilla roots; set {CERT_FILE_VAR} or \
             {CERT_DIR_VAR} to trust another CA"
        )
    } else {
        format!("bitsy trusts only the CAs in {CERT_FILE_VAR} / {CERT_DIR_VAR}")
    }
}

#[cfg(test)]
mod tests;
