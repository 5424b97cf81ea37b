use crate::error::AppError;

/// Ad-hoc passwords guard a computer for 24 hours, so they must not be guessable: at
/// least 10 characters with three kinds of character, or at least 16 of any kind.
pub fn validate_adhoc_password(password: &str, confirmation: &str) -> Result<(), AppError> {
    if password != confirmation {
        return Err(AppError::invalid("the two passwords are not the same"));
    }
    let length = password.chars().count();
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_numeric()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|&&present| present)
    .count();
    if length > 1024 {
        return Err(AppError::invalid(
            "the password is longer than 1024 characters",
        ));
    }
    if length >= 16 || (length >= 10 && kinds >= 3) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "the password is too weak: use at least 10 characters mixing three of lower case, \
             upper case, digits and symbols, or at least 16 characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_passwords_pass_and_weak_or_mismatched_ones_do_not() {
        assert!(validate_adhoc_password("Tr0ub4dor&3", "Tr0ub4dor&3").is_ok());
        assert!(validate_adhoc_password(
            "correct horse battery staple",
            "correct horse battery staple"
        )
        .is_ok());
        assert!(
            validate_adhoc_password("password12", "password12").is_err(),
            "two kinds only"
        );
        assert!(
            validate_adhoc_password("Sh0rt!", "Sh0rt!").is_err(),
            "too short"
        );
        assert!(
            validate_adhoc_password("Tr0ub4dor&3", "Tr0ub4dor&4").is_err(),
            "mismatch"
        );
    }
}
