//! Text from the store is untrusted: control characters and escape sequences are made
//! visible, never sent to the terminal; widths are measured in terminal cells.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Makes every control character visible: C0 controls become control pictures (ESC → ␛),
/// DEL becomes ␡, C1 controls and bidirectional overrides become �. Characters that take no
/// cell but move or join what a terminal draws (zero-width spaces and joiners, direction
/// marks, line and paragraph separators, the byte-order mark, soft hyphens, emoji variation
/// selectors) are dropped, so what is measured is what is drawn and columns stay aligned: a
/// family emoji shows its members side by side.
pub fn safe(text: &str) -> String {
    text.chars()
        .filter(|c| !invisible(*c))
        .map(visible)
        .collect()
}

fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{061c}'
            | '\u{feff}'
            | '\u{00ad}'
            | '\u{fe0e}'
            | '\u{fe0f}'
            | '\u{2060}'..='\u{2064}'
    )
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
    fn zero_width_and_direction_marks_never_reach_the_terminal() {
        let name = "So\u{200b}nder\u{200e}gaard\u{2028}\u{feff}Foo\u{ad}ds \u{61c}\u{2060}👨\u{200d}👩\u{200d}👧 ❤\u{fe0f}";
        let shown = safe(name);
        for c in [
            '\u{200b}', '\u{200d}', '\u{200e}', '\u{2028}', '\u{feff}', '\u{ad}', '\u{61c}',
            '\u{fe0f}',
        ] {
            assert!(!shown.contains(c), "{c:?} in {shown:?}");
        }
        assert_eq!(shown, "SondergaardFoods 👨👩👧 ❤");
        // Measured as drawn: each member two cells, the heart one.
        assert_eq!(cell(name, 30).width(), 30);
        assert_eq!(shown.width(), "SondergaardFoods ".len() + 6 + 1 + 1);
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
