//! Small cryptographic helpers over aws-lc-rs (already in the build for TLS
//! and JWT): random tokens, HMAC signatures, secret encryption at rest.

use aws_lc_rs::{aead, digest, hmac, rand};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut buf = [0u8; N];
    rand::fill(&mut buf).map_err(|_| anyhow::anyhow!("system random generator failed"))?;
    Ok(buf)
}

pub fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf).map_err(|_| anyhow::anyhow!("system random generator failed"))?;
    Ok(hex::encode(buf))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

/// A key derived from `SECRET_KEY` for one purpose, so the URL-signing key
/// and the encryption key are never the same bytes.
fn derive(secret: &str, purpose: &str) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, purpose.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// HMAC-SHA256 signer/verifier (constant-time verification).
#[derive(Clone)]
pub struct Signer {
    key: hmac::Key,
}

impl Signer {
    pub fn new(secret: &str, purpose: &str) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &derive(secret, purpose)),
        }
    }

    /// A signer that uses `secret` as the raw HMAC key (webhook secrets).
    pub fn raw(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    pub fn sign_hex(&self, data: &[u8]) -> String {
        hex::encode(hmac::sign(&self.key, data))
    }

    pub fn sign_b64(&self, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, data))
    }

    /// Constant-time check of a hex signature.
    pub fn verify_hex(&self, data: &[u8], signature_hex: &str) -> bool {
        match hex::decode(signature_hex) {
            Ok(sig) => hmac::verify(&self.key, data, &sig).is_ok(),
            Err(_) => false,
        }
    }

    /// Constant-time check of a base64url signature.
    pub fn verify_b64(&self, data: &[u8], signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature) {
            Ok(sig) => hmac::verify(&self.key, data, &sig).is_ok(),
            Err(_) => false,
        }
    }
}

/// AES-256-GCM encryption of small secrets at rest, key derived from `SECRET_KEY`.
#[derive(Clone)]
pub struct SecretBox {
    key: [u8; 32],
}

impl SecretBox {
    pub fn new(secret: &str) -> Self {
        Self {
            key: derive(secret, "secret-box-v1"),
        }
    }

    fn key(&self) -> anyhow::Result<aead::LessSafeKey> {
        let unbound =
            aead::UnboundKey::new(&aead::AES_256_GCM, &self.key).map_err(|_| anyhow::anyhow!("bad encryption key"))?;
        Ok(aead::LessSafeKey::new(unbound))
    }

    /// base64url(nonce || ciphertext || tag)
    pub fn seal(&self, plaintext: &[u8]) -> anyhow::Result<String> {
        let nonce_bytes = random_bytes::<12>()?;
        let mut buf = plaintext.to_vec();
        self.key()?
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce_bytes),
                aead::Aad::empty(),
                &mut buf,
            )
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(sealed)?;
        anyhow::ensure!(raw.len() > 12, "sealed value too short");
        let (nonce, ct) = raw.split_at(12);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let mut buf = ct.to_vec();
        let plain = self
            .key()?
            .open_in_place(nonce, aead::Aad::empty(), &mut buf)
            .map_err(|_| anyhow::anyhow!("decryption failed"))?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_round_trip_and_do_not_contain_the_plaintext() {
        let b = SecretBox::new("0123456789abcdef0123");
        let sealed = b.seal(b"whsec_topsecret").unwrap();
        assert!(!sealed.contains("topsecret"));
        assert_eq!(b.open(&sealed).unwrap(), b"whsec_topsecret");
        assert!(SecretBox::new("another-key-0123456").open(&sealed).is_err());
    }

    #[test]
    fn signatures_verify_only_for_the_same_data() {
        let s = Signer::new("0123456789abcdef0123", "test");
        let sig = s.sign_hex(b"hello");
        assert!(s.verify_hex(b"hello", &sig));
        assert!(!s.verify_hex(b"hellp", &sig));
        assert!(!s.verify_hex(b"hello", "zz"));
    }
}
