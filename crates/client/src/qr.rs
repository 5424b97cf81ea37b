//! The invite as a QR code, for an end user who joins on the phone in their hand: the
//! join link drawn as an SVG the UI shows as an image. No other tool of this kind offers
//! it; it costs nothing on the wire.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::ClientError;

/// Longest text drawn as a QR code; a join link is far shorter.
pub const MAX_QR_TEXT_BYTES: usize = 1024;

/// `link` as a QR code (error correction M, with its quiet zone), an SVG document.
pub fn invite_qr_svg(link: &str) -> Result<String, ClientError> {
    if link.is_empty() || link.len() > MAX_QR_TEXT_BYTES {
        return Err(ClientError::InvalidInput(format!(
            "a QR code holds 1 to {MAX_QR_TEXT_BYTES} bytes here"
        )));
    }
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)
        .map_err(|e| ClientError::InvalidInput(format!("the link cannot be drawn: {e}")))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_becomes_an_svg_and_nonsense_sizes_are_typed_errors() {
        let svg = invite_qr_svg("https://support.example/join/482913605").expect("drawn");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
        assert!(matches!(
            invite_qr_svg(""),
            Err(ClientError::InvalidInput(_))
        ));
        assert!(matches!(
            invite_qr_svg(&"x".repeat(MAX_QR_TEXT_BYTES + 1)),
            Err(ClientError::InvalidInput(_))
        ));
    }
}
