//! Text widths without a font engine: the advance widths of DejaVu Sans and DejaVu Sans Bold
//! (what Debian's Chromium draws `sans-serif` with; Verdana's are close) for printable ASCII,
//! read from the fonts' `hmtx` tables, in thousandths of an em. Other characters are estimated
//! wide, so an estimate errs on the side of more room.

/// The font the SVG names (the first family is the one the table measures).
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Geneva, sans-serif";

/// Advance widths of U+0020..=U+007E, regular.
const REGULAR: [u16; 95] = [
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636,
    636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863,
    748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635,
    615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636,
    337, 636, 838,
];

/// Advance widths of U+0020..=U+007E, bold.
const BOLD: [u16; 95] = [
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696,
    696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995,
    837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716,
    678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712,
    365, 712, 838,
];

/// The advance of `c` in thousandths of an em.
fn advance(c: char, bold: bool) -> u32 {
    let table = if bold { &BOLD } else { &REGULAR };
    match u32::from(c) {
        code @ 0x20..=0x7e => u32::from(table[(code - 0x20) as usize]),
        // East Asian wide characters and emoji take a full em; the rest about one capital letter.
        0x1100..=0x115f
        | 0x2e80..=0xa4cf
        | 0xac00..=0xd7a3
        | 0xf900..=0xfaff
        | 0xfe30..=0xfe4f
        | 0xff00..=0xff60
        | 0x1f300..=0x1faff
        | 0x20000..=0x3fffd => 1000,
        _ => 850,
    }
}

/// The width of `text` at `size` px, rounded up, with 5 % to spare (hinting, another font).
#[must_use]
pub fn width(text: &str, size: u32, bold: bool) -> i32 {
    let thousandths: u32 = text.chars().map(|c| advance(c, bold)).sum();
    let px = u64::from(thousandths) * u64::from(size) * 105 / 100_000 + 1;
    i32::try_from(px).unwrap_or(i32::MAX)
}

/// `text` broken into lines no wider than `max` px: at spaces where possible, inside a word
/// only when the word alone is wider.
#[must_use]
pub fn wrap(text: &str, size: u32, bold: bool, max: i32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if width(&candidate, size, bold) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if width(&line, size, bold) > max && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_table() {
        // "ab" = 613 + 635 thousandths at 10 px = 12.48 px, +5 % = 13.1, rounded up.
        assert_eq!(width("ab", 10, false), 14);
        assert!(width("W", 13, true) > width("W", 13, false));
        assert!(width("漢字", 13, false) >= 26);
    }

    #[test]
    fn wrapping_keeps_every_character_and_each_line_fits() {
        let text = "when amount > 9000 AND averyveryveryveryverylongfieldnamewithoutspaces = 'x'";
        let lines = wrap(text, 13, false, 120);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(l, 13, false) <= 120 || l.chars().count() == 1));
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }
}
