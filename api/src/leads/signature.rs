//! Webhook signatures: `X-Signature: sha256=<hex HMAC-SHA256 of
//! "timestamp.body">` and `X-Timestamp: <unix seconds>`, accepted within a
//! 5-minute window either side of now (so a captured delivery cannot be
//! replayed later, and a clock a little off still works).

use crate::crypto::Signer;

/// How far `X-Timestamp` may be from now, in seconds, either way.
pub const TOLERANCE_SECONDS: i64 = 300;

const PREFIX: &str = "sha256=";

/// What is signed: the timestamp as sent, a dot, the raw body.
pub fn signed_content(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(timestamp.len() + 1 + body.len());
    content.extend_from_slice(timestamp.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

/// The `X-Signature` value for `body` sent at `timestamp` (for senders and tests).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let content = signed_content(&timestamp.to_string(), body);
    format!("{PREFIX}{}", Signer::raw(secret).sign_hex(&content))
}

/// Whether `timestamp` (the header, unix seconds) is inside the window around `now`.
pub fn fresh(timestamp: &str, now: i64) -> bool {
    let t = timestamp.trim();
    !t.is_empty()
        && t.len() <= 12
        && t.bytes().all(|b| b.is_ascii_digit())
        && t.parse::<i64>().is_ok_and(|t| (now - t).abs() <= TOLERANCE_SECONDS)
}

/// Constant-time check of `signature` (the header) over `timestamp.body`.
pub fn verify(signer: &Signer, timestamp: &str, signature: &str, body: &[u8]) -> bool {
    let Some(hex) = signature.trim().strip_prefix(PREFIX) else {
        // Still do the work, so a malformed header costs what a wrong one does.
        let _ = signer.verify_hex(&signed_content(timestamp, body), "");
        return false;
    };
    signer.verify_hex(&signed_content(timestamp.trim(), body), hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_the_same_secret_timestamp_and_body() {
        let secret = b"whsec_test";
        let sig = sign(secret, 1_700_000_000, b"{\"a\":1}");
        let signer = Signer::raw(secret);
        assert!(verify(&signer, "1700000000", &sig, b"{\"a\":1}"));
        assert!(!verify(&signer, "1700000001", &sig, b"{\"a\":1}"));
        assert!(!verify(&signer, "1700000000", &sig, b"{\"a\":2}"));
        assert!(!verify(&Signer::raw(b"other"), "1700000000", &sig, b"{\"a\":1}"));
        assert!(!verify(
            &signer,
            "1700000000",
            sig.trim_start_matches("sha256="),
            b"{\"a\":1}"
        ));
        assert!(!verify(&signer, "1700000000", "sha256=zz", b"{\"a\":1}"));
    }

    #[test]
    fn timestamps_must_be_within_five_minutes() {
        let now = 1_700_000_000;
        assert!(fresh("1700000000", now));
        assert!(fresh("1699999700", now));
        assert!(fresh("1700000300", now));
        assert!(!fresh("1699999699", now));
        assert!(!fresh("1700000301", now));
        for bad in ["", "abc", "-1", "1.5", "17000000000000000000"] {
            assert!(!fresh(bad, now), "{bad:?}");
        }
    }
}
