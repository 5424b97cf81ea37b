use lifeline_protocol::SupportKey;

use crate::auth::tokens::fill_random;

/// Nine uniformly random decimal digits from the OS CSPRNG.
pub fn generate_support_key() -> SupportKey {
    // 4e9 is the largest multiple of 1e9 below 2^32; rejecting above it keeps every
    // key equally likely.
    const LIMIT: u32 = 4_000_000_000;
    loop {
        let mut bytes = [0u8; 4];
        fill_random(&mut bytes);
        let value = u32::from_le_bytes(bytes);
        if value < LIMIT {
            let digits = format!("{:09}", value % 1_000_000_000);
            if let Ok(key) = SupportKey::parse(&digits) {
                return key;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_nine_digits_and_vary() {
        let keys: std::collections::HashSet<String> = (0..50)
            .map(|_| generate_support_key().as_str().to_owned())
            .collect();
        assert!(keys
            .iter()
            .all(|k| k.len() == 9 && k.bytes().all(|b| b.is_ascii_digit())));
        assert!(
            keys.len() > 45,
            "50 draws from 10^9 should almost never collide"
        );
    }
}
