//! Pictures to chunks the technician's viewer decodes: H.264 (OpenH264 in its
//! screen-content mode, colours converted by yuvutils-rs) or whole JPEG pictures, the
//! fallback and the deterministic codec of tests.

use lifeline_protocol::VideoCodec;
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, RateControlMode, UsageType,
};
use openh264::formats::YUVSource;
use openh264::OpenH264API;
use yuvutils_rs::{
    rgba_to_yuv420, YuvConversionMode, YuvPlanarImageMut, YuvRange, YuvStandardMatrix,
};

use crate::screen::capture::Picture;
use crate::screen::ScreenError;

/// The default ceiling of the stream's bit rate (the 3 Mbit/s).
pub const MAX_BITRATE: u32 = 3_000_000;
/// JPEG quality: text stays readable, a full 1080p picture stays near 200 KiB.
const JPEG_QUALITY: u8 = 75;

/// One encoded picture; empty `data` when the encoder skipped it to hold the bit rate.
pub struct Encoded {
    pub key: bool,
    pub data: Vec<u8>,
}

/// A codec's encoder for pictures of one size.
pub enum ScreenEncoder {
    H264(Box<H264>),
    Jpeg,
}

impl ScreenEncoder {
    /// The encoder for `codec` at `width` × `height` (H.264 takes even sizes: the odd
    /// last row or column is left out).
    pub fn new(codec: VideoCodec, width: u32, height: u32, fps: f32) -> Result<Self, ScreenError> {
        match codec {
            VideoCodec::H264 => Ok(Self::H264(Box::new(H264::new(width, height, fps)?))),
            VideoCodec::Jpeg => Ok(Self::Jpeg),
            VideoCodec::Vp8 => Err(ScreenError::Encode("this agent does not encode VP8".into())),
        }
    }

    /// The size the viewer sees.
    pub fn size(&self, picture: &Picture) -> (u32, u32) {
        match self {
            Self::H264(h264) => (h264.yuv.width, h264.yuv.height),
            Self::Jpeg => (picture.width, picture.height),
        }
    }

    /// The codec string viewers configure their decoder with.
    pub fn codec_string(&self) -> &'static str {
        match self {
            // Constrained baseline, level 4.0: what OpenH264 writes, up to 1080p30.
            Self::H264(_) => "avc1.42c028",
            Self::Jpeg => "jpeg",
        }
    }

    pub fn encode(&mut self, picture: &Picture, key: bool) -> Result<Encoded, ScreenError> {
        match self {
            Self::H264(h264) => h264.encode(picture, key),
            Self::Jpeg => jpeg(picture),
        }
    }
}

/// A whole picture as JPEG; every one is a keyframe.
fn jpeg(picture: &Picture) -> Result<Encoded, ScreenError> {
    let (width, height) = (
        u16::try_from(picture.width)
            .map_err(|_| ScreenError::Encode("too wide for JPEG".into()))?,
        u16::try_from(picture.height)
            .map_err(|_| ScreenError::Encode("too tall for JPEG".into()))?,
    );
    let mut data = Vec::new();
    jpeg_encoder::Encoder::new(&mut data, JPEG_QUALITY)
        .encode(&picture.rgba, width, height, jpeg_encoder::ColorType::Rgba)
        .map_err(|err| ScreenError::Encode(err.to_string()))?;
    Ok(Encoded { key: true, data })
}

/// OpenH264 with its I420 input buffer, reused picture after picture.
pub struct H264 {
    encoder: Encoder,
    yuv: I420,
}

impl H264 {
    fn new(width: u32, height: u32, fps: f32) -> Result<Self, ScreenError> {
        let (width, height) = (width & !1, height & !1);
        if width == 0 || height == 0 {
            return Err(ScreenError::Encode("the display has no pixels".into()));
        }
        let config = EncoderConfig::new()
            .usage_type(UsageType::ScreenContentRealTime)
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(MAX_BITRATE))
            .max_frame_rate(FrameRate::from_hz(fps))
            // Keyframes when a viewer asks: a periodic one would cost 85–200 KiB for nothing.
            .intra_frame_period(IntraFramePeriod::from_num_frames(0))
            // The bit rate holds only if the encoder may skip a picture (it then
            // returns no data, and nothing is sent).
            .skip_frames(true);
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|err| ScreenError::Encode(err.to_string()))?;
        Ok(Self {
            encoder,
            yuv: I420::new(width, height),
        })
    }

    fn encode(&mut self, picture: &Picture, key: bool) -> Result<Encoded, ScreenError> {
        self.yuv.fill(picture)?;
        if key {
            self.encoder.force_intra_frame();
        }
        let stream = self
            .encoder
            .encode(&self.yuv)
            .map_err(|err| ScreenError::Encode(err.to_string()))?;
        let key = matches!(
            stream.frame_type(),
            openh264::encoder::FrameType::IDR | openh264::encoder::FrameType::I
        );
        Ok(Encoded {
            key,
            data: stream.to_vec(),
        })
    }
}

/// An I420 picture (full-size luma, quarter-size chroma planes).
struct I420 {
    width: u32,
    height: u32,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl I420 {
    fn new(width: u32, height: u32) -> Self {
        let chroma = (width / 2 * (height / 2)) as usize;
        Self {
            width,
            height,
            y: vec![0; (width * height) as usize],
            u: vec![0; chroma],
            v: vec![0; chroma],
        }
    }

    /// Converts the top-left `width` × `height` of `picture` (BT.601, limited range, as
    /// H.264 decoders assume without colour information).
    fn fill(&mut self, picture: &Picture) -> Result<(), ScreenError> {
        if picture.width < self.width || picture.height < self.height {
            return Err(ScreenError::Encode(
                "the picture is smaller than the stream".into(),
            ));
        }
        let mut planes = YuvPlanarImageMut {
            y_plane: yuvutils_rs::BufferStoreMut::Borrowed(&mut self.y),
            y_stride: self.width,
            u_plane: yuvutils_rs::BufferStoreMut::Borrowed(&mut self.u),
            u_stride: self.width / 2,
            v_plane: yuvutils_rs::BufferStoreMut::Borrowed(&mut self.v),
            v_stride: self.width / 2,
            width: self.width,
            height: self.height,
        };
        rgba_to_yuv420(
            &mut planes,
            &picture.rgba,
            picture.width * 4,
            YuvRange::Limited,
            YuvStandardMatrix::Bt601,
            YuvConversionMode::Balanced,
        )
        .map_err(|err| ScreenError::Encode(err.to_string()))?;
        Ok(())
    }
}

impl YUVSource for I420 {
    fn dimensions(&self) -> (usize, usize) {
        (self.width as usize, self.height as usize)
    }

    fn strides(&self) -> (usize, usize, usize) {
        let chroma = self.width as usize / 2;
        (self.width as usize, chroma, chroma)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32, rgb: [u8; 3]) -> Picture {
        let rgba = (0..width * height)
            .flat_map(|_| [rgb[0], rgb[1], rgb[2], 255])
            .collect();
        Picture {
            width,
            height,
            rgba,
        }
    }

    #[test]
    fn h264_pictures_decode_back_to_their_colours() -> Result<(), Box<dyn std::error::Error>> {
        let mut encoder = ScreenEncoder::new(VideoCodec::H264, 321, 240, 30.0)?;
        let red = picture(321, 240, [220, 30, 30]);
        assert_eq!(encoder.size(&red), (320, 240), "odd sizes are cut to even");
        let first = encoder.encode(&red, false)?;
        assert!(first.key, "the first picture is a keyframe");
        // A small change: a blue square in the corner.
        let mut marked = red.clone();
        for row in 0..16 {
            for column in 0..16 {
                let at = (row * 321 + column) * 4;
                marked.rgba[at..at + 3].copy_from_slice(&[30, 30, 220]);
            }
        }
        let second = encoder.encode(&marked, false)?;
        assert!(!second.key, "a small change is a delta");
        assert!(second.data.len() < first.data.len());
        let forced = encoder.encode(&red, true)?;
        assert!(forced.key, "a keyframe when asked");

        let mut decoder = openh264::decoder::Decoder::new()?;
        let mut rgb = vec![0u8; 320 * 240 * 3];
        let mut last = None;
        for chunk in [&first.data, &second.data] {
            for unit in openh264::nal_units(chunk) {
                if let Some(yuv) = decoder.decode(unit)? {
                    yuv.write_rgb8(&mut rgb);
                    last = Some([rgb[0], rgb[1], rgb[2]]);
                }
            }
        }
        let [r, g, b] = last.ok_or("nothing decoded")?;
        assert!(
            b > 180 && r < 80 && g < 80,
            "the blue corner came back as {r},{g},{b}"
        );
        Ok(())
    }

    #[test]
    fn jpeg_pictures_are_whole_keyframes() -> Result<(), Box<dyn std::error::Error>> {
        let mut encoder = ScreenEncoder::new(VideoCodec::Jpeg, 64, 48, 30.0)?;
        let encoded = encoder.encode(&picture(64, 48, [10, 200, 10]), false)?;
        assert!(encoded.key);
        assert_eq!(&encoded.data[..2], &[0xFF, 0xD8], "a JPEG starts with SOI");
        Ok(())
    }
}
