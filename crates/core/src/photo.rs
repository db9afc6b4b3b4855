//! Turning a photo the officer chose into what the laptop keeps: checked at once (format, size,
//! readable), turned upright, made no larger than a screen needs, re-encoded as JPEG — which also
//! drops its EXIF block, and with it the place it was taken, unless the officer keeps that — and a
//! thumbnail for lists. Nothing here touches the database (see `store::photos`).
//!
//! Peers show why all of it happens when the photo is attached: a format the station cannot show
//! blocked whole syncs (Survey Solutions), and photos sent at full size were dropped past a limit
//! (CommCare at 15 MB, Enketo at ~5 MB). A photo that passes here is a few hundred KB of JPEG.

use crate::error::PhotoError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// The largest file accepted before it is made smaller.
pub const MAX_INPUT_BYTES: usize = 60 * 1024 * 1024;
/// The long edge photos are made no larger than: sharp on a laptop screen, and a 12-megapixel
/// phone photo becomes ~400 KB.
pub const LONG_EDGE: u32 = 2048;
/// The long edge of a photo kept at full size (Settings: keep photos at full size): a 48-megapixel
/// phone photo fits, a scanned poster is still made smaller.
pub const FULL_SIZE_EDGE: u32 = 8192;
/// A photo kept at full size that still takes more than this as JPEG is kept at the usual size
/// instead: the station takes blobs up to 64 MB, and a photo must never be unsendable.
pub const MAX_FULL_SIZE_BYTES: usize = 48 * 1024 * 1024;
const FULL_SIZE_QUALITY: u8 = 92;
/// The long edge of a thumbnail.
pub const THUMB_EDGE: u32 = 320;
const QUALITY: u8 = 85;
const THUMB_QUALITY: u8 = 75;
/// Decompression bombs: a tiny file that claims to be 100,000 pixels square is refused before
/// anything is allocated for it.
const MAX_PIXELS_EDGE: u32 = 16_384;
const MAX_DECODE_BYTES: u64 = 768 * 1024 * 1024;

/// How a photo is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhotoOptions {
    /// Keep where the photo was taken (read from its EXIF GPS tags into the record's `location`).
    /// Off unless the officer asks: a photo of a resident's door says where the resident lives.
    pub keep_location: bool,
    /// Keep the photo at its own size (up to [`FULL_SIZE_EDGE`]) and at a higher JPEG quality
    /// instead of shrinking it to [`LONG_EDGE`]: for a notice whose small print matters. The file
    /// the officer chose is still not kept as it is: its EXIF (the place, the phone's serial
    /// number) goes all the same.
    pub full_size: bool,
}

/// A photo ready to store: the JPEG to keep, its thumbnail, and what the record says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// `lat,lon` with six decimals, or empty.
    pub location: String,
}

/// The content address of some bytes: SHA-256, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` is a content address as [`sha256_hex`] writes it.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The MIME type every kept photo and thumbnail has.
pub const MIME: &str = "image/jpeg";

/// Checks, turns upright, downscales and re-encodes a photo; see the module's documentation.
pub fn prepare(bytes: &[u8], options: PhotoOptions) -> Result<Prepared, PhotoError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PhotoError::TooLarge {
            limit_mb: (MAX_INPUT_BYTES / (1024 * 1024)) as u32,
        });
    }
    let format = format_of(bytes)?;
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(PhotoError::Unreadable {
            detail: "the file ends before the photo does (it was not copied whole)".into(),
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PIXELS_EDGE);
    limits.max_image_height = Some(MAX_PIXELS_EDGE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    let (image, full) = if options.full_size {
        let large = fit(image, FULL_SIZE_EDGE);
        let full = jpeg(&large, FULL_SIZE_QUALITY)?;
        if full.len() <= MAX_FULL_SIZE_BYTES {
            (large, full)
        } else {
            let image = fit(large, LONG_EDGE);
            let full = jpeg(&image, QUALITY)?;
            (image, full)
        }
    } else {
        let image = fit(image, LONG_EDGE);
        let full = jpeg(&image, QUALITY)?;
        (image, full)
    };
    let thumb = jpeg(&fit(image.clone(), THUMB_EDGE), THUMB_QUALITY)?;
    let location = if options.keep_location {
        gps_location(bytes).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Prepared {
        full,
        thumb,
        width: image.width(),
        height: image.height(),
        location,
    })
}

/// The format of a photo, from its first bytes (never from its file name), if it is one we read.
fn format_of(bytes: &[u8]) -> Result<ImageFormat, PhotoError> {
    // HEIF/HEIC (iPhones' default) is an ISO box file: `ftyp` at offset 4 with a HEIF brand. No
    // decoder for it builds here without a C library, so it is named and refused at once.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|b| brand == *b)
        {
            return Err(PhotoError::Unsupported {
                format: "HEIC".into(),
            });
        }
        if brand == b"avif" {
            return Err(PhotoError::Unsupported {
                format: "AVIF".into(),
            });
        }
    }
    match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Ok(f),
        Ok(other) => Err(PhotoError::Unsupported {
            format: other
                .extensions_str()
                .first()
                .map(|e| e.to_uppercase())
                .unwrap_or_else(|| format!("{other:?}")),
        }),
        Err(_) => Err(PhotoError::Unreadable {
            detail: "not a JPEG, PNG or WebP image".into(),
        }),
    }
}

/// A JPEG decoder fills a truncated photo with grey and says nothing; a whole JPEG has its end
/// marker after its last scan. (Inside a scan a 0xFF byte is always followed by 0x00, so neither
/// marker can appear there by chance; an EXIF thumbnail's markers come before the main scan.)
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w == [0xFF, marker]);
    matches!((last(0xDA), last(0xD9)), (Some(scan), Some(end)) if end > scan)
}

fn unreadable(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::Unreadable {
            detail: format!("the image is larger than {MAX_PIXELS_EDGE} pixels on a side"),
        },
        other => PhotoError::Unreadable {
            detail: other.to_string(),
        },
    }
}

/// The image made no larger than `edge` on its long side (never larger than it was).
fn fit(image: DynamicImage, edge: u32) -> DynamicImage {
    if image.width().max(image.height()) <= edge {
        return image;
    }
    // Triangle (bilinear) is sharp enough at these ratios and several times faster than Lanczos
    // on a 12-megapixel photo.
    image.resize(edge, edge, image::imageops::FilterType::Triangle)
}

fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    // JPEG has no alpha: a transparent PNG's pixels keep their colour.
    let rgb = image.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(unreadable)?;
    Ok(out)
}

/// Where the photo was taken, from its EXIF GPS tags, as `lat,lon`.
fn gps_location(bytes: &[u8]) -> Option<String> {
    use exif::{In, Tag, Value};
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let degrees = |tag: Tag, negative_ref: &[u8]| -> Option<f64> {
        let field = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(parts) = &field.value else {
            return None;
        };
        let [d, m, s] = parts.get(..3)? else {
            return None;
        };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let reference_tag = if tag == Tag::GPSLatitude {
            Tag::GPSLatitudeRef
        } else {
            Tag::GPSLongitudeRef
        };
        let negative = exif
            .get_field(reference_tag, In::PRIMARY)
            .and_then(|f| match &f.value {
                Value::Ascii(v) => v.first().map(|r| r.as_slice() == negative_ref),
                _ => None,
            })
            .unwrap_or(false);
        Some(if negative { -value } else { value })
    };
    let lat = degrees(Tag::GPSLatitude, b"S")?;
    let lon = degrees(Tag::GPSLongitude, b"W")?;
    Some(format!("{lat:.6},{lon:.6}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A photo as a camera writes it: `w`×`h` pixels of a gradient, as JPEG.
    pub(crate) fn camera_jpeg(w: u32, h: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&image)
            .unwrap();
        out
    }

    /// The JPEG with an APP1 EXIF segment inserted after its SOI marker, holding GPS tags for
    /// 39°54'27.6"N 116°23'49.2"E (Tiananmen) and, if `rotate`, orientation 6 (turn 90° clockwise).
    pub(crate) fn with_exif_gps(jpeg: &[u8], rotate: bool) -> Vec<u8> {
        // A little-endian TIFF: IFD0 (orientation, GPS pointer) and a GPS IFD with four tags.
        let mut tiff: Vec<u8> = b"II*\0".to_vec();
        tiff.extend(8u32.to_le_bytes());
        let entry = |tag: u16, kind: u16, count: u32, value: u32| {
            let mut e = Vec::new();
            e.extend(tag.to_le_bytes());
            e.extend(kind.to_le_bytes());
            e.extend(count.to_le_bytes());
            e.extend(value.to_le_bytes());
            e
        };
        // IFD0 at 8: 2 entries (2 + 24 + 4 bytes) → GPS IFD at 38.
        tiff.extend(2u16.to_le_bytes());
        tiff.extend(entry(0x0112, 3, 1, if rotate { 6 } else { 1 }));
        tiff.extend(entry(0x8825, 4, 1, 38));
        tiff.extend(0u32.to_le_bytes());
        // GPS IFD at 38: 4 entries (2 + 48 + 4 bytes) → rationals at 92.
        let rationals = 92u32;
        tiff.extend(4u16.to_le_bytes());
        tiff.extend(entry(0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0")));
        tiff.extend(entry(0x0002, 5, 3, rationals));
        tiff.extend(entry(0x0003, 2, 2, u32::from_le_bytes(*b"E\0\0\0")));
        tiff.extend(entry(0x0004, 5, 3, rationals + 24));
        tiff.extend(0u32.to_le_bytes());
        for (n, d) in [(39, 1), (54, 1), (276, 10), (116, 1), (23, 1), (492, 10)] {
            tiff.extend((n as u32).to_le_bytes());
            tiff.extend((d as u32).to_le_bytes());
        }
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend(&jpeg[2..]);
        out
    }

    fn has_exif(jpeg: &[u8]) -> bool {
        jpeg.windows(6).any(|w| w == b"Exif\0\0")
    }

    #[test]
    fn a_large_photo_is_made_smaller_with_a_thumbnail_and_loses_its_exif() {
        let original = with_exif_gps(&camera_jpeg(4000, 3000), false);
        assert!(has_exif(&original));
        let photo = prepare(&original, PhotoOptions::default()).unwrap();
        assert_eq!((photo.width, photo.height), (2048, 1536));
        assert!(
            !has_exif(&photo.full),
            "EXIF (and the location) stays behind"
        );
        assert_eq!(photo.location, "");
        let thumb = image::load_from_memory(&photo.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
        assert!(photo.full.len() < original.len());
    }

    #[test]
    fn a_photo_kept_at_full_size_keeps_its_pixels_and_still_loses_its_exif() {
        let original = with_exif_gps(&camera_jpeg(4000, 3000), false);
        let options = PhotoOptions {
            full_size: true,
            ..PhotoOptions::default()
        };
        let photo = prepare(&original, options).unwrap();
        assert_eq!((photo.width, photo.height), (4000, 3000));
        let kept = image::load_from_memory(&photo.full).unwrap();
        assert_eq!((kept.width(), kept.height()), (4000, 3000));
        assert!(
            !has_exif(&photo.full),
            "the place stays behind all the same"
        );
        assert_eq!(photo.location, "");
        let thumb = image::load_from_memory(&photo.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
        // Beyond the full-size edge it is still made smaller.
        let poster = prepare(&camera_jpeg(9000, 1000), options).unwrap();
        assert_eq!((poster.width, poster.height), (FULL_SIZE_EDGE, 910));
    }

    #[test]
    fn the_officer_may_keep_where_a_photo_was_taken() {
        let original = with_exif_gps(&camera_jpeg(64, 48), false);
        let photo = prepare(
            &original,
            PhotoOptions {
                keep_location: true,
                ..PhotoOptions::default()
            },
        )
        .unwrap();
        assert_eq!(photo.location, "39.907667,116.397000");
        assert!(
            !has_exif(&photo.full),
            "kept in the record, not in the file"
        );
    }

    #[test]
    fn a_photo_taken_sideways_is_turned_upright() {
        let photo = prepare(
            &with_exif_gps(&camera_jpeg(80, 40), true),
            PhotoOptions::default(),
        )
        .unwrap();
        assert_eq!((photo.width, photo.height), (40, 80));
    }

    #[test]
    fn png_and_webp_are_taken_and_small_photos_keep_their_size() {
        let image = image::RgbaImage::from_pixel(300, 200, image::Rgba([200, 10, 10, 128]));
        for format in [ImageFormat::Png, ImageFormat::WebP] {
            let mut bytes = Cursor::new(Vec::new());
            image.write_to(&mut bytes, format).unwrap();
            let photo = prepare(bytes.get_ref(), PhotoOptions::default()).unwrap();
            assert_eq!((photo.width, photo.height), (300, 200), "{format:?}");
            assert_eq!(image::guess_format(&photo.full).unwrap(), ImageFormat::Jpeg);
        }
    }

    #[test]
    fn heic_and_other_formats_are_named_and_refused_at_once() {
        let mut heic = vec![0, 0, 0, 24];
        heic.extend(b"ftypheic\0\0\0\0mif1heic");
        assert_eq!(
            prepare(&heic, PhotoOptions::default()),
            Err(PhotoError::Unsupported {
                format: "HEIC".into()
            })
        );
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        assert_eq!(
            prepare(&gif, PhotoOptions::default()),
            Err(PhotoError::Unsupported {
                format: "GIF".into()
            })
        );
        assert!(matches!(
            prepare(b"%PDF-1.4 not a photo", PhotoOptions::default()),
            Err(PhotoError::Unreadable { .. })
        ));
    }

    #[test]
    fn a_truncated_photo_and_a_decompression_bomb_are_unreadable_not_a_panic() {
        let jpeg = camera_jpeg(200, 200);
        assert!(matches!(
            prepare(&jpeg[..jpeg.len() / 3], PhotoOptions::default()),
            Err(PhotoError::Unreadable { .. })
        ));
        // A PNG header claiming 100,000 × 100,000 pixels.
        let mut bomb = Cursor::new(Vec::new());
        image::RgbImage::new(1, 1)
            .write_to(&mut bomb, ImageFormat::Png)
            .unwrap();
        let mut bomb = bomb.into_inner();
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(
            prepare(&bomb, PhotoOptions::default()),
            Err(PhotoError::Unreadable { .. })
        ));
    }

    #[test]
    fn content_addresses_are_sha256_hex() {
        let address = sha256_hex(b"abc");
        assert_eq!(
            address,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&address));
        assert!(!is_sha256_hex(&address.to_uppercase()));
        assert!(!is_sha256_hex("../etc/passwd"));
    }
}
