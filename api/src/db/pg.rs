//! Opening connections to Postgres for requests and jobs.
//!
//! The driver is tokio-postgres: it pipelines (statements sent one after
//! another before the first answer is back), which is how a transaction's
//! `BEGIN`, the tenant and its first statement share one round trip
//! (`tx.rs`). The URL is libpq's, and TLS follows its `sslmode` with libpq's
//! meanings, on rustls:
//!
//! | `sslmode` | TLS | the server's certificate |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (default) | if the server offers it | not checked |
//! | `require` | always | not checked (checked against `sslrootcert` if given, as libpq does) |
//! | `verify-ca` | always | chains to `sslrootcert` (else the Mozilla roots) |
//! | `verify-full` | always | and names the host |
//!
//! `sslcert`/`sslkey` present a client certificate.

use anyhow::{Context as _, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::str::FromStr as _;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use tokio_postgres::{Client, Config, Connection, Socket};

/// Session settings every connection starts with: neither a runaway
/// statement nor a stuck transaction can hold a connection (or its locks)
/// for long.
const SESSION_OPTIONS: &str = "-c statement_timeout=30s -c idle_in_transaction_session_timeout=60s";

/// Where and how to connect.
#[derive(Clone)]
pub(crate) struct Options {
    config: Config,
    tls: MakeRustls,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config holds the password: only say where.
        f.debug_struct("Options")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .finish()
    }
}

/// The URL parameters read here rather than by tokio-postgres (it knows
/// only `disable`, `prefer` and `require`, and has no certificate files).
const OURS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "statement-cache-capacity",
];

impl Options {
    pub(crate) fn parse(url: &str) -> anyhow::Result<Self> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut ours = std::collections::HashMap::new();
        let mut rest = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let key = part.split('=').next().unwrap_or_default();
            if OURS.contains(&key) {
                if let Some((k, v)) = url::form_urlencoded::parse(part.as_bytes()).next() {
                    ours.insert(k.into_owned(), v.into_owned());
                }
            } else {
                rest.push(part);
            }
        }
        let rebuilt = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config = Config::from_str(&rebuilt).map_err(|e| anyhow::anyhow!("{e}"))?;
        let options = match config.get_options() {
            Some(given) if !given.trim().is_empty() => format!("{SESSION_OPTIONS} {given}"),
            _ => SESSION_OPTIONS.to_string(),
        };
        config.options(options);
        if config.get_application_name().is_none() {
            config.application_name("campaign-studio");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let root = ours.get("sslrootcert").map(String::as_str);
        let (mode, verify) = match ours.get("sslmode").map(String::as_str).unwrap_or("prefer") {
            "disable" => (SslMode::Disable, Verify::Nothing),
            "allow" | "prefer" => (SslMode::Prefer, Verify::Nothing),
            "require" if root.is_some() => (SslMode::Require, Verify::Chain),
            "require" => (SslMode::Require, Verify::Nothing),
            "verify-ca" => (SslMode::Require, Verify::Chain),
            "verify-full" => (SslMode::Require, Verify::Full),
            other => bail!("unknown sslmode {other:?} (disable, allow, prefer, require, verify-ca or verify-full)"),
        };
        config.ssl_mode(mode);
        let client_cert = match (ours.get("sslcert"), ours.get("sslkey")) {
            (Some(cert), Some(key)) => Some((cert.as_str(), key.as_str())),
            (None, None) => None,
            _ => bail!("sslcert and sslkey go together"),
        };
        let tls = MakeRustls::new(verify, root, client_cert)?;
        Ok(Self { config, tls })
    }

    /// Opens a connection: the client, and the task that drives its socket.
    pub(crate) async fn connect(&self) -> Result<(Client, Connection<Socket, RustlsStream>), tokio_postgres::Error> {
        self.config.connect(self.tls.clone()).await
    }
}

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug)]
enum Verify {
    /// Encrypt only (libpq's `prefer` and `require`).
    Nothing,
    /// It chains to a trusted root (`verify-ca`).
    Chain,
    /// And it names the host (`verify-full`).
    Full,
}

/// rustls for tokio-postgres.
#[derive(Clone)]
pub(crate) struct MakeRustls(Arc<rustls::ClientConfig>);

impl MakeRustls {
    fn new(verify: Verify, root: Option<&str>, client_cert: Option<(&str, &str)>) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS setup")?;
        let verifier: Arc<dyn ServerCertVerifier> = match verify {
            Verify::Nothing => Arc::new(Unchecked(provider)),
            Verify::Chain | Verify::Full => {
                let mut roots = RootCertStore::empty();
                match root {
                    Some(path) => {
                        for cert in CertificateDer::pem_file_iter(path)
                            .with_context(|| format!("cannot read sslrootcert {path}"))?
                        {
                            roots
                                .add(cert.with_context(|| format!("bad certificate in sslrootcert {path}"))?)
                                .with_context(|| format!("bad certificate in sslrootcert {path}"))?;
                        }
                    }
                    None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
                }
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .context("TLS setup")?;
                match verify {
                    Verify::Chain => Arc::new(AnyName(webpki)),
                    _ => webpki,
                }
            }
        };
        let builder = builder.dangerous().with_custom_certificate_verifier(verifier);
        let config = match client_cert {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let certs = CertificateDer::pem_file_iter(cert)
                    .with_context(|| format!("cannot read sslcert {cert}"))?
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| format!("bad certificate in sslcert {cert}"))?;
                let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("cannot read sslkey {key}"))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .context("sslcert and sslkey do not match")?
            }
        };
        Ok(Self(Arc::new(config)))
    }
}

impl MakeTlsConnect<Socket> for MakeRustls {
    type Stream = RustlsStream;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    /// tokio-postgres asks for a connector before it knows whether TLS
    /// will be used, with an empty name for a Unix socket (where Postgres
    /// never offers TLS): a name that is not one fails only if a handshake
    /// is actually attempted.
    fn make_tls_connect(&mut self, domain: &str) -> io::Result<RustlsConnect> {
        let name = ServerName::try_from(domain.to_string()).map_err(|e| format!("cannot use TLS to {domain:?}: {e}"));
        Ok(RustlsConnect {
            config: self.0.clone(),
            name,
        })
    }
}

pub(crate) struct RustlsConnect {
    config: Arc<rustls::ClientConfig>,
    name: Result<ServerName<'static>, String>,
}

impl TlsConnect<Socket> for RustlsConnect {
    type Stream = RustlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        Box::pin(async move {
            let name = self.name.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(name, stream)
                .await?;
            Ok(RustlsStream(Box::new(tls)))
        })
    }
}

/// A TLS connection to Postgres (boxed: the TLS state is large, and a
/// plain connection should not carry its size).
pub(crate) struct RustlsStream(Box<tokio_rustls::client::TlsStream<Socket>>);

impl AsyncRead for RustlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for RustlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl TlsStream for RustlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM without channel binding, as libpq's default `prefer` does
        // when it cannot bind.
        ChannelBinding::none()
    }
}

/// `prefer`/`require`: the connection is encrypted, the certificate taken
/// as it comes (libpq's meaning of these modes). The handshake's
/// signatures are still checked, with the certificate's own key.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_parameters_are_taken_out_and_the_rest_passed_on() {
        let o = Options::parse(
            "postgres://app:p%40ss@db.example:6543/cs?sslmode=disable&application_name=x&options=-c%20search_path%3Dpublic",
        )
        .unwrap();
        assert_eq!(o.config.get_user(), Some("app"));
        assert_eq!(o.config.get_password(), Some(&b"p@ss"[..]));
        assert_eq!(o.config.get_dbname(), Some("cs"));
        assert_eq!(o.config.get_ports(), &[6543]);
        assert_eq!(o.config.get_application_name(), Some("x"));
        assert!(matches!(o.config.get_ssl_mode(), SslMode::Disable));
        assert_eq!(
            o.config.get_options(),
            Some(format!("{SESSION_OPTIONS} -c search_path=public").as_str())
        );
    }

    #[test]
    fn sslmode_follows_libpq() {
        let mode = |m: &str| Options::parse(&format!("postgres://a@h/d?sslmode={m}")).map(|o| o.config.get_ssl_mode());
        assert!(matches!(mode("prefer").unwrap(), SslMode::Prefer));
        assert!(matches!(mode("allow").unwrap(), SslMode::Prefer));
        assert!(matches!(mode("require").unwrap(), SslMode::Require));
        assert!(matches!(mode("verify-ca").unwrap(), SslMode::Require));
        assert!(matches!(mode("verify-full").unwrap(), SslMode::Require));
        assert!(mode("sometimes").is_err());
        let default = Options::parse("postgres://a@h/d").unwrap();
        assert!(matches!(default.config.get_ssl_mode(), SslMode::Prefer));
        assert_eq!(default.config.get_application_name(), Some("campaign-studio"));
        assert!(Options::parse("postgres://a@h/d?sslmode=verify-full&sslrootcert=/nonexistent.pem").is_err());
        assert!(Options::parse("postgres://a@h/d?sslcert=/c.pem").is_err());
    }

    #[test]
    fn a_unix_socket_gets_a_connector_that_refuses_only_a_handshake() {
        let mut tls = Options::parse("postgres://a@%2Frun%2Fpostgresql/d").unwrap().tls;
        let connect = tls.make_tls_connect("").expect("a connector for a Unix socket");
        assert!(connect.name.is_err());
        assert!(tls.make_tls_connect("db.example").unwrap().name.is_ok());
    }
}
