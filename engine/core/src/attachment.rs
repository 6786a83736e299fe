//! Attachments (附件): the kinds of file the engine recognises, read from a file's first bytes
//! (never from its name), the limits an `attachment` field may set, and the form of the
//! references an `attachment` field holds.
//!
//! The bytes themselves live in the store; a case's field holds only the references
//! (`att_` and 32 hexadecimal digits), one per file.

/// The largest file a field takes when it sets no `max_size`.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The largest `max_size` a field may set.
pub const CEILING_BYTES: u64 = 50 * 1024 * 1024;
/// How many files a field holds when it sets no `max_files`.
pub const DEFAULT_MAX_FILES: usize = 9;
/// The largest `max_files` a field may set.
pub const CEILING_FILES: u32 = 50;

/// A kind of file the engine recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// Its media type.
    pub media_type: &'static str,
    /// The file name endings that declare it.
    pub extensions: &'static [&'static str],
    /// Whether thumbnails can be drawn from it.
    pub image: bool,
}

/// Every kind the engine recognises.
pub const KINDS: &[Kind] = &[
    Kind {
        media_type: "image/jpeg",
        extensions: &["jpg", "jpeg"],
        image: true,
    },
    Kind {
        media_type: "image/png",
        extensions: &["png"],
        image: true,
    },
    Kind {
        media_type: "image/gif",
        extensions: &["gif"],
        image: true,
    },
    Kind {
        media_type: "image/webp",
        extensions: &["webp"],
        image: true,
    },
    Kind {
        media_type: "image/heic",
        extensions: &["heic", "heif"],
        image: false,
    },
    Kind {
        media_type: "application/pdf",
        extensions: &["pdf"],
        image: false,
    },
    Kind {
        media_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        extensions: &["docx"],
        image: false,
    },
    Kind {
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        extensions: &["xlsx"],
        image: false,
    },
    Kind {
        media_type: "text/plain",
        extensions: &["txt"],
        image: false,
    },
];

/// The kind with this media type.
pub fn kind(media_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.media_type == media_type)
}

/// Whether an `accept` entry (a media type or a family such as `image/*`) names a kind the
/// engine recognises.
pub fn is_known_pattern(pattern: &str) -> bool {
    KINDS.iter().any(|k| matches(pattern, k.media_type))
}

/// Whether an `accept` entry covers `media_type`.
pub fn matches(pattern: &str, media_type: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(family) => media_type.split('/').next() == Some(family),
        None => pattern == media_type,
    }
}

/// The kind a file name declares by its ending (`.jpg`, `.PDF`).
pub fn declared_by_name(name: &str) -> Option<&'static Kind> {
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    KINDS.iter().find(|k| k.extensions.contains(&ext.as_str()))
}

/// What a file's content is, from its first bytes: `None` for anything the engine does not
/// recognise. A ZIP container counts as a Word or Excel file only if it holds that format's
/// main part; text counts only if it is UTF-8 with no control characters but line breaks and tabs.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| bytes.starts_with(p);
    let found = if starts(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && [&b"heic"[..], b"heix", b"mif1", b"msf1", b"heif"].contains(&&bytes[8..12])
    {
        "image/heic"
    } else if starts(b"%PDF-") {
        "application/pdf"
    } else if starts(b"PK\x03\x04") {
        if contains(bytes, b"word/document.xml") {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        } else if contains(bytes, b"xl/workbook.xml") {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        } else {
            return None;
        }
    } else if is_plain_text(bytes) {
        "text/plain"
    } else {
        return None;
    };
    Some(found)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn is_plain_text(bytes: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(bytes) else {
        return false;
    };
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{feff}'))
}

/// Parses a size such as `10 MB` or `500 KB` (binary units: 1 KB is 1,024 bytes).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let unit = match unit.trim() {
        "KB" => 1024,
        "MB" => 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(unit).filter(|b| *b > 0)
}

/// A size in the units people read: `512 KB`, `3.4 MB`.
pub fn format_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Whether `s` has the form of an attachment reference: `att_` and 32 lowercase hex digits.
pub fn is_reference(s: &str) -> bool {
    s.strip_prefix("att_")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_kind() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff("工资 三个月未发\r\n".as_bytes()), Some("text/plain"));
        // A ZIP that is neither Word nor Excel, an executable, and text with a NUL are nothing.
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0mimetypeapplication/epub+zip"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(sniff(b"plain\0text"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            sniff(b"PK\x03\x04\x14\0\x06\0word/document.xml"),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
    }

    #[test]
    fn names_declare_and_patterns_match() {
        assert_eq!(declared_by_name("现场.JPG").map(|k| k.media_type), Some("image/jpeg"));
        assert_eq!(
            declared_by_name("合同.pdf").map(|k| k.media_type),
            Some("application/pdf")
        );
        assert_eq!(declared_by_name("noext"), None);
        assert!(matches("image/*", "image/png"));
        assert!(!matches("image/*", "application/pdf"));
        assert!(matches("application/pdf", "application/pdf"));
        assert!(is_known_pattern("image/*"));
        assert!(!is_known_pattern("video/*"));
    }

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("10 MB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("500KB"), Some(500 * 1024));
        assert_eq!(parse_size("0 MB"), None);
        assert_eq!(parse_size("10 GB"), None);
        assert_eq!(parse_size("MB"), None);
        assert_eq!(parse_size("99999999999999999999 MB"), None);
        assert_eq!(format_size(2048), "2 KB");
        assert_eq!(format_size(3 * 1024 * 1024 + 400 * 1024), "3.4 MB");
    }

    #[test]
    fn references_have_one_form() {
        assert!(is_reference("att_0123456789abcdef0123456789abcdef"));
        assert!(!is_reference("att_0123456789ABCDEF0123456789abcdef"));
        assert!(!is_reference("att_123"));
        assert!(!is_reference("../etc/passwd"));
    }
}
