//! Personal data at rest: AES-256-GCM with a key id stored beside each value (so keys rotate),
//! an HMAC-SHA256 blind index to look values up without decrypting, and masking for display.
//!
//! Configuration (services that hold personal data):
//! - `PII_KEYS`: `keyid:base64-of-32-bytes[,keyid:…]` — every key that may have sealed a value;
//! - `PII_CURRENT_KEY_ID`: the key that seals new values (default: the first listed);
//! - `PII_INDEX_KEY`: base64 HMAC key of the blind index. It cannot rotate without
//!   re-indexing every row, so it is separate from the encryption keys.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::{ConfigError, Env};

const NONCE_LEN: usize = 12;

/// A sealed value: the id of the key that sealed it and `nonce || ciphertext || tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub blob: Vec<u8>,
}

impl Sealed {
    /// One column instead of two: `len(key_id) || key_id || blob`. Free text sealed in place
    /// (a description, a note) is stored this way.
    pub fn to_bytes(&self) -> Vec<u8> {
        let id = self.key_id.as_bytes();
        let mut out = Vec::with_capacity(1 + id.len() + self.blob.len());
        out.push(u8::try_from(id.len()).expect("key ids are short"));
        out.extend_from_slice(id);
        out.extend_from_slice(&self.blob);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PiiError> {
        let (&len, rest) = bytes.split_first().ok_or(PiiError::Corrupt)?;
        let len = usize::from(len);
        if rest.len() < len {
            return Err(PiiError::Corrupt);
        }
        let (id, blob) = rest.split_at(len);
        Ok(Self {
            key_id: String::from_utf8(id.to_vec()).map_err(|_| PiiError::Corrupt)?,
            blob: blob.to_vec(),
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PiiError {
    #[error("no key with id {0:?} is configured")]
    UnknownKey(String),
    #[error("sealed value does not open (wrong key, context or tampered bytes)")]
    Corrupt,
}

pub struct PiiVault {
    current: String,
    ciphers: HashMap<String, Aes256Gcm>,
    index_key: Vec<u8>,
}

impl std::fmt::Debug for PiiVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("PiiVault")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl PiiVault {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let invalid = |var: &str, reason: String| ConfigError::Invalid {
            var: var.into(),
            reason,
        };
        let mut keys = Vec::new();
        for entry in env.list("PII_KEYS") {
            let (id, b64) = entry
                .split_once(':')
                .ok_or_else(|| invalid("PII_KEYS", "entries are keyid:base64key".into()))?;
            let bytes = STANDARD
                .decode(b64.trim())
                .map_err(|e| invalid("PII_KEYS", format!("key {id}: {e}")))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| invalid("PII_KEYS", format!("key {id} must be 32 bytes")))?;
            keys.push((id.trim().to_string(), key));
        }
        if keys.is_empty() {
            return Err(ConfigError::Missing {
                var: "PII_KEYS".into(),
            });
        }
        let current = env
            .optional("PII_CURRENT_KEY_ID")
            .unwrap_or_else(|| keys[0].0.clone());
        let index_key = STANDARD
            .decode(env.required("PII_INDEX_KEY")?.trim())
            .map_err(|e| invalid("PII_INDEX_KEY", e.to_string()))?;
        if index_key.len() < 32 {
            return Err(invalid("PII_INDEX_KEY", "must be at least 32 bytes".into()));
        }
        Self::new(keys, &current, index_key)
            .map_err(|e| invalid("PII_CURRENT_KEY_ID", e.to_string()))
    }

    pub fn new(
        keys: Vec<(String, [u8; 32])>,
        current: &str,
        index_key: Vec<u8>,
    ) -> Result<Self, PiiError> {
        let ciphers: HashMap<String, Aes256Gcm> = keys
            .into_iter()
            .map(|(id, key)| (id, Aes256Gcm::new(&key.into())))
            .collect();
        if !ciphers.contains_key(current) {
            return Err(PiiError::UnknownKey(current.to_string()));
        }
        Ok(Self {
            current: current.to_string(),
            ciphers,
            index_key,
        })
    }

    /// A vault with fresh random keys, for tests and throwaway local runs.
    pub fn ephemeral() -> Self {
        let key: [u8; 32] = Aes256Gcm::generate_key(&mut OsRng).into();
        let index: [u8; 32] = Aes256Gcm::generate_key(&mut OsRng).into();
        Self::new(vec![("ephemeral".into(), key)], "ephemeral", index.to_vec())
            .expect("current key exists")
    }

    /// Seals `plaintext` with the current key. `context` (e.g. `b"person.resident_id"`) is
    /// authenticated, so a value copied into another column does not open.
    pub fn seal(&self, plaintext: &str, context: &[u8]) -> Sealed {
        self.seal_bytes(plaintext.as_bytes(), context)
    }

    /// Seals bytes (an encoded message, say) as [`seal`](Self::seal) seals text.
    pub fn seal_bytes(&self, plaintext: &[u8], context: &[u8]) -> Sealed {
        let cipher = &self.ciphers[&self.current];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut blob = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.current.clone(),
            blob,
        }
    }

    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<String, PiiError> {
        String::from_utf8(self.open_bytes(sealed, context)?).map_err(|_| PiiError::Corrupt)
    }

    pub fn open_bytes(&self, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, PiiError> {
        let cipher = self
            .ciphers
            .get(&sealed.key_id)
            .ok_or_else(|| PiiError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.blob.len() < NONCE_LEN {
            return Err(PiiError::Corrupt);
        }
        let (nonce, ciphertext) = sealed.blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| PiiError::Corrupt)?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| PiiError::Corrupt)?;
        Ok(plain)
    }

    /// Seals free text that may hold health facts (a description, a note) into one column;
    /// empty text stays `None`.
    pub fn seal_text(&self, text: &str, context: &[u8]) -> Option<Vec<u8>> {
        (!text.is_empty()).then(|| self.seal(text, context).to_bytes())
    }

    /// Opens what [`seal_text`](Self::seal_text) sealed; `None` is empty text.
    pub fn open_text(&self, column: Option<&[u8]>, context: &[u8]) -> Result<String, PiiError> {
        match column {
            None => Ok(String::new()),
            Some(bytes) => self.open(&Sealed::from_bytes(bytes)?, context),
        }
    }

    /// Keyed hash for equality lookups (a unique index over it finds the same person).
    pub fn blind_index(&self, plaintext: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC takes any key length");
        mac.update(plaintext.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

pub use gigshield_scheme::identifiers::mask;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_packs_into_one_column() {
        let vault = PiiVault::ephemeral();
        let column = vault.seal_text("fell off the bike, broke a wrist", b"incident.description");
        let bytes = column.as_deref().unwrap();
        assert!(!bytes.windows(5).any(|w| w == b"wrist"));
        assert_eq!(
            vault
                .open_text(Some(bytes), b"incident.description")
                .unwrap(),
            "fell off the bike, broke a wrist"
        );
        assert_eq!(
            vault.open_text(Some(bytes), b"claim.note"),
            Err(PiiError::Corrupt)
        );
        assert_eq!(vault.seal_text("", b"x"), None);
        assert_eq!(vault.open_text(None, b"x").unwrap(), "");
        assert_eq!(Sealed::from_bytes(&[9, 1]), Err(PiiError::Corrupt));
    }

    #[test]
    fn seal_open_round_trip_and_context_binding() {
        let vault = PiiVault::ephemeral();
        let sealed = vault.seal("11010519491231002X", b"person.resident_id");
        assert!(
            !sealed.blob.windows(6).any(|w| w == b"110105"),
            "ciphertext hides the value"
        );
        assert_eq!(
            vault.open(&sealed, b"person.resident_id").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(vault.open(&sealed, b"other.column"), Err(PiiError::Corrupt));
        let mut tampered = sealed.clone();
        *tampered.blob.last_mut().unwrap() ^= 1;
        assert_eq!(
            vault.open(&tampered, b"person.resident_id"),
            Err(PiiError::Corrupt)
        );
        // Two seals of one value differ (fresh nonce), the blind index does not.
        assert_ne!(vault.seal("x", b"c").blob, vault.seal("x", b"c").blob);
        assert_eq!(vault.blind_index("x"), vault.blind_index("x"));
        assert_ne!(vault.blind_index("x"), vault.blind_index("y"));
    }

    #[test]
    fn old_keys_still_open_after_rotation() {
        let old = [1u8; 32];
        let new = [2u8; 32];
        let before = PiiVault::new(vec![("k1".into(), old)], "k1", vec![9; 32]).unwrap();
        let sealed = before.seal("secret", b"c");
        let after = PiiVault::new(
            vec![("k1".into(), old), ("k2".into(), new)],
            "k2",
            vec![9; 32],
        )
        .unwrap();
        assert_eq!(after.open(&sealed, b"c").unwrap(), "secret");
        assert_eq!(after.seal("secret", b"c").key_id, "k2");
        let forgotten = PiiVault::new(vec![("k2".into(), new)], "k2", vec![9; 32]).unwrap();
        assert_eq!(
            forgotten.open(&sealed, b"c"),
            Err(PiiError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn configuration_from_environment() {
        let key = STANDARD.encode([7u8; 32]);
        let index = STANDARD.encode([8u8; 32]);
        let keys = format!("a:{key},b:{key}");
        let env = Env::from_pairs(&[
            ("PII_KEYS", &keys),
            ("PII_CURRENT_KEY_ID", "b"),
            ("PII_INDEX_KEY", &index),
        ]);
        assert_eq!(PiiVault::from_env(&env).unwrap().seal("x", b"").key_id, "b");
        let short = format!("a:{}", STANDARD.encode([7u8; 16]));
        let env = Env::from_pairs(&[("PII_KEYS", &short), ("PII_INDEX_KEY", &index)]);
        assert!(
            matches!(PiiVault::from_env(&env), Err(ConfigError::Invalid { var, .. }) if var == "PII_KEYS")
        );
        let env = Env::from_pairs(&[
            ("PII_KEYS", &keys),
            ("PII_CURRENT_KEY_ID", "zz"),
            ("PII_INDEX_KEY", &index),
        ]);
        assert!(PiiVault::from_env(&env).is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask("11010519491231002X", 6, 4), "110105********002X");
        assert_eq!(mask("13812345678", 3, 4), "138****5678");
        assert_eq!(mask("张三", 1, 0), "张*");
        assert_eq!(mask("abc", 2, 2), "***");
    }
}
