//! The station's secrets, made and checked: random tokens and codes, their digests, and password
//! hashes.
//!
//! Secrets are never stored. Passwords are kept as Argon2id hashes (checked outside the store lock,
//! since hashing is deliberately slow: see [`super::sessions::sign_in`]); session tokens,
//! enrolment codes and device credentials are long random strings kept as SHA-256 digests, which is
//! enough for values nobody chose and which are looked up on every request.

use super::{Result, StationError};
use sha2::{Digest, Sha256};

pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh random token (hex of `bytes` random bytes from the operating system).
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StationError::Internal(format!("no randomness: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A password for an account nobody chose yet (the first administrator): 16 letters and digits.
pub fn random_password() -> Result<String> {
    Ok(normalize_code(&new_code()?)
        .chars()
        .take(16)
        .collect::<String>()
        .to_lowercase())
}

/// Argon2id with OWASP's 7 MiB setting (m = 7168 KiB, t = 5, p = 1), which its cheat sheet lists as
/// as strong as the crate's default of 19 MiB and 2 passes: the memory of a hash is touched at every
/// sign-in and password set, and at 19 MiB it was the largest part of the station's peak memory
/// (half of the new pages the station touched during the sync benchmark, profiled by page faults).
/// Hashes made with other parameters carry them and are checked with them.
fn argon2() -> Result<argon2::Argon2<'static>> {
    let params = argon2::Params::new(7 * 1024, 5, 1, None)
        .map_err(|e| StationError::Internal(e.to_string()))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

/// Hashes a password with Argon2id (see [`argon2`]) and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StationError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StationError::Internal(e.to_string()))?;
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StationError::Internal(e.to_string()))?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The code's letters without the characters people misread (Crockford's base 32).
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn new_code() -> Result<String> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| StationError::Internal(format!("no randomness: {e}")))?;
    let chars: Vec<char> = buf
        .iter()
        .map(|b| CODE_ALPHABET[(*b as usize) % 32] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// A typed code as the station compares it: case, spaces, dashes and look-alike letters forgiven.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_use_the_7_mib_setting_and_older_hashes_still_verify() {
        let hash = hash_password("新的密码12345").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        // A hash made before, with the crate's default of 19 MiB, is checked with its own setting.
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let older = argon2::Argon2::default()
            .hash_password("旧的密码12345".as_bytes(), &salt)
            .unwrap()
            .to_string();
        assert!(older.contains("m=19456,t=2,p=1"), "{older}");
        assert!(verify_password("旧的密码12345", &older));
        assert!(!verify_password("旧的密码12346", &older));
    }

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let hash = hash_password("正确的密码1234").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("正确的密码1234", &hash));
        assert!(!verify_password("正确的密码1235", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn codes_forgive_case_dashes_and_look_alike_letters() {
        assert_eq!(normalize_code("ab0o-1il z"), "AB00111Z");
        let code = new_code().unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(normalize_code(&code), code.replace('-', ""));
    }
}
