//! A certificate authority made at test time, and certificates it signs, for HTTPS
//! tests: the service gets a leaf, the clients (the technician's, the browser, nginx)
//! are told to trust the CA, as a company with its own CA would do.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub pem: String,
    /// The same, in a file.
    pub file: PathBuf,
    dir: PathBuf,
}

/// A leaf certificate and its key, in files.
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    /// A new CA, its certificate written into `dir`.
    pub fn new(dir: &Path) -> anyhow::Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Lifeline Test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate()?;
        let certificate = params.self_signed(&key)?;
        let pem = certificate.pem();
        let file = dir.join("test-ca.pem");
        std::fs::write(&file, &pem).context("writing the CA certificate")?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            pem,
            file,
            dir: dir.to_owned(),
        })
    }

    /// A server certificate for `names` (host names or IP addresses), as `<stem>.crt`
    /// and `<stem>.key` beside the CA's.
    pub fn issue(&self, stem: &str, names: &[&str]) -> anyhow::Result<Leaf> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("server"),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let key = KeyPair::generate()?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        let leaf = Leaf {
            cert: self.dir.join(format!("{stem}.crt")),
            key: self.dir.join(format!("{stem}.key")),
        };
        // The chain as a server sends it: the leaf, then the CA.
        std::fs::write(&leaf.cert, format!("{}{}", certificate.pem(), self.pem))?;
        std::fs::write(&leaf.key, key.serialize_pem())?;
        Ok(leaf)
    }
}
