//! Text from the store is untrusted: control characters and escape sequences are made
//! visible, never sent to the terminal; widths are measured in terminal cells.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Makes every control character visible: C0 controls become control pictures (ESC → ␛),
/// DEL becomes ␡, C1 controls and bidirectional overrides become �.
pub fn safe(text: &str) -> String {
    text.chars().map(visible).collect()
}

fn visible(c: char) -> char {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
        c => c,
    }
}

/// Cuts `text` (already safe) to at most `width` cells, marking a cut with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `safe` then `fit`, padded with spaces to exactly `width` cells (left-aligned).
pub fn cell(text: &str, width: usize) -> String {
    let fitted = fit(&safe(text), width);
    let pad = width.saturating_sub(fitted.width());
    format!("{fitted}{}", " ".repeat(pad))
}

/// Right-aligned to exactly `width` cells.
pub fn cell_right(text: &str, width: usize) -> String {
    let fitted = fit(&safe(text), width);
    let pad = width.saturating_sub(fitted.width());
    format!("{}{fitted}", " ".repeat(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_never_survive() {
        let hostile = "Acme\x1b[2J\x1b]52;c;ZXZpbA==\x07\r\n\u{9b}31m\u{202e}gnp.exe";
        let shown = safe(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.starts_with("Acme␛[2J"));
        assert!(!shown.contains('\u{202e}'));
    }

    #[test]
    fn wide_and_combining_text_keeps_its_cell_width() {
        assert_eq!(cell("桜桜桜", 5).width(), 5);
        assert_eq!(cell("桜桜桜", 5), "桜桜…");
        assert_eq!(cell("Cafe\u{301} Noir", 12).width(), 12);
        assert_eq!(cell_right("12", 5), "   12");
        assert_eq!(fit("anything", 0), "");
        assert_eq!(fit("abcdef", 4), "abc…");
    }
}
