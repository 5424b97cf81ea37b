//! The languages the service's own texts come in (pages, invitations), parsed once
//! from a locale tag or a browser's Accept-Language header. Anything else gets English.

use axum::http::{header, HeaderMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    German,
}

impl Language {
    /// The language of a tag such as `de-AT` or `en_US`, if it is one of ours.
    fn of_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("de") {
            Some(Language::German)
        } else if tag.starts_with("en") {
            Some(Language::English)
        } else {
            None
        }
    }

    /// The language a request's `locale` asks for; English when none or another.
    pub fn from_locale(locale: Option<&str>) -> Self {
        locale.and_then(Self::of_tag).unwrap_or_default()
    }

    /// The best of ours in the browser's Accept-Language preference order.
    pub fn preferred(headers: &HeaderMap) -> Self {
        let Some(accept) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Self::default();
        };
        let mut best: Option<(Self, f32)> = None;
        for part in accept.split(',') {
            let mut pieces = part.trim().split(';');
            let Some(language) = Self::of_tag(pieces.next().unwrap_or("")) else {
                continue;
            };
            let quality = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if best.is_none_or(|(_, q)| quality > q) {
                best = Some((language, quality));
            }
        }
        best.map_or_else(Self::default, |(language, _)| language)
    }

    /// The tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn german_wins_only_when_preferred() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE,de;q=0.9,en;q=0.8"),
        );
        assert_eq!(Language::preferred(&headers), Language::German);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9,de;q=0.8"),
        );
        assert_eq!(Language::preferred(&headers), Language::English);
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-FR,de;q=0.5"),
        );
        assert_eq!(
            Language::preferred(&headers),
            Language::German,
            "German is the best we have"
        );
        assert_eq!(Language::preferred(&HeaderMap::new()), Language::English);
    }

    #[test]
    fn a_locale_names_its_language_and_anything_else_is_english() {
        assert_eq!(Language::from_locale(Some("de-AT")), Language::German);
        assert_eq!(Language::from_locale(Some("DE")), Language::German);
        assert_eq!(Language::from_locale(Some("en_GB")), Language::English);
        assert_eq!(Language::from_locale(Some("fr")), Language::English);
        assert_eq!(Language::from_locale(None), Language::English);
        assert_eq!(Language::German.tag(), "de");
    }
}
