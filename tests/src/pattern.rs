//! The test pattern the end user's page paints before it shares its own tab (see the
//! puppet's `paint_pattern`), and how a test recognises it in a decoded picture: four
//! coloured quarters over the top 60% of the page and a white marker moving across.

/// A decoded picture, 8-bit RGB, row by row.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

/// The pattern's colours, and what is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Red,
    Green,
    Blue,
    Yellow,
    White,
    Other,
}

impl Picture {
    /// Decodes one JPEG chunk of the fallback path.
    pub fn from_jpeg(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        let rgb = decoder.decode()?;
        let info = decoder
            .info()
            .ok_or_else(|| anyhow::anyhow!("the JPEG has no header"))?;
        anyhow::ensure!(
            info.pixel_format == jpeg_decoder::PixelFormat::RGB24,
            "the JPEG is not RGB: {:?}",
            info.pixel_format
        );
        Ok(Self {
            width: usize::from(info.width),
            height: usize::from(info.height),
            rgb,
        })
    }

    /// The colour at a point given as fractions of the width and height.
    pub fn colour_at(&self, fx: f64, fy: f64) -> Colour {
        let x = ((self.width as f64 * fx) as usize).min(self.width.saturating_sub(1));
        let y = ((self.height as f64 * fy) as usize).min(self.height.saturating_sub(1));
        let i = (y * self.width + x) * 3;
        classify(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// The quarters' colours, sampled well inside each quarter and away from the
    /// marker's row: top-left, top-right, bottom-left, bottom-right.
    pub fn quarters(&self) -> [Colour; 4] {
        [
            self.colour_at(0.25, 0.08),
            self.colour_at(0.75, 0.08),
            self.colour_at(0.25, 0.52),
            self.colour_at(0.75, 0.52),
        ]
    }

    /// Where the marker is, as a fraction of the width: the middle of the white run on
    /// its row. `None` when no white is there.
    pub fn marker_x(&self) -> Option<f64> {
        let y = ((self.height as f64 * 0.30) as usize).min(self.height.saturating_sub(1));
        let white: Vec<usize> = (0..self.width)
            .filter(|&x| {
                let i = (y * self.width + x) * 3;
                classify(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]) == Colour::White
            })
            .collect();
        let (first, last) = (white.first()?, white.last()?);
        Some((first + last) as f64 / 2.0 / self.width as f64)
    }
}

/// Lossy codecs shift colours a little; these bounds leave room for that.
pub fn classify(r: u8, g: u8, b: u8) -> Colour {
    let high = |v: u8| v > 180;
    let low = |v: u8| v < 80;
    match (high(r), high(g), high(b)) {
        (true, true, true) => Colour::White,
        (true, true, false) if low(b) => Colour::Yellow,
        (true, false, false) if low(g) && low(b) => Colour::Red,
        (false, true, false) if low(r) && low(b) => Colour::Green,
        (false, false, true) if low(r) && low(g) => Colour::Blue,
        _ => Colour::Other,
    }
}
