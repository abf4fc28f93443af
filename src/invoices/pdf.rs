//! An invoice as a PDF: A4 pages of at most [`LINES_PER_PAGE`] lines, the standard
//! Helvetica fonts (nothing embedded, so the file stays a few KiB), text in the fonts'
//! WinAnsi encoding (a character outside it prints as `?`), amounts right-aligned with
//! Helvetica's digit widths.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use rust_decimal::Decimal;

use super::model::{Document, Line};

/// Table rows on one page.
pub const LINES_PER_PAGE: usize = 30;
/// Longest product title printed (longer ones end in `…`).
const TITLE_CHARS: usize = 52;

const PAGE: (f32, f32) = (595.0, 842.0);
const LEFT: f32 = 50.0;
const RIGHT: f32 = 545.0;
const ROW: f32 = 16.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Right edges of the quantity, unit price and amount columns.
const COLUMNS: [f32; 3] = [370.0, 455.0, RIGHT];

/// The PDF bytes of `doc`.
pub fn render(doc: &Document) -> Vec<u8> {
    let chunks: Vec<&[Line]> =
        if doc.lines.is_empty() { vec![&[]] } else { doc.lines.chunks(LINES_PER_PAGE).collect() };
    let mut next = Ref::new(1);
    let [catalog, tree, regular, bold, info] = std::array::from_fn(|_| next.bump());
    let pages: Vec<(Ref, Ref)> = chunks.iter().map(|_| (next.bump(), next.bump())).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(pages.iter().map(|(page, _)| *page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("Invoice {}", doc.number);
    pdf.document_info(info).title(TextStr(&title)).creator(TextStr("Storefront"));
    let total = doc.lines.iter().map(Line::amount).sum::<Decimal>();
    for (index, ((page_id, content_id), lines)) in pages.iter().zip(&chunks).enumerate() {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1)).parent(tree).contents(*content_id);
        page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        page.finish();
        let last = index + 1 == chunks.len();
        let mut content = Content::new();
        let mut y = heading(&mut content, doc, index == 0);
        y = table(&mut content, lines, y);
        if last {
            rule(&mut content, y + ROW - 4.0);
            right(&mut content, BOLD, 11.0, COLUMNS[1], y - 6.0, "Total");
            right(&mut content, BOLD, 11.0, COLUMNS[2], y - 6.0, &money(total));
        }
        let footer = format!("{}  ·  page {} of {}", doc.number, index + 1, chunks.len());
        text(&mut content, REGULAR, 8.0, LEFT, 40.0, &footer);
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}

/// The invoice's title, number, dates and parties (the parties on the first page only);
/// returns where the table starts.
fn heading(content: &mut Content, doc: &Document, first: bool) -> f32 {
    text(content, BOLD, 22.0, LEFT, 780.0, "INVOICE");
    let facts = [
        format!("Invoice no. {}", doc.number),
        format!("Date: {}", doc.issued_at.format("%Y-%m-%d")),
        format!("Order #{}", doc.order_id),
    ];
    for (i, fact) in facts.iter().enumerate() {
        right(content, REGULAR, 10.0, RIGHT, 790.0 - 14.0 * i as f32, fact);
    }
    if !first {
        return 720.0;
    }
    let parties = [
        (LEFT, "From", [&doc.seller_name, &doc.seller_email]),
        (310.0, "Bill to", [&doc.buyer_name, &doc.buyer_email]),
    ];
    for (x, label, lines) in parties {
        text(content, BOLD, 10.0, x, 720.0, label);
        for (i, line) in lines.iter().enumerate() {
            text(content, REGULAR, 10.0, x, 705.0 - 14.0 * i as f32, line);
        }
    }
    630.0
}

/// The table's header and `lines`; returns the y below the last row.
fn table(content: &mut Content, lines: &[Line], top: f32) -> f32 {
    text(content, BOLD, 10.0, LEFT, top, "Product");
    for (edge, label) in COLUMNS.iter().zip(["Qty", "Unit price", "Amount"]) {
        right(content, BOLD, 10.0, *edge, top, label);
    }
    rule(content, top - 6.0);
    let mut y = top - ROW - 6.0;
    for line in lines {
        text(content, REGULAR, 10.0, LEFT, y, &shorten(&line.title));
        let cells = [line.quantity.to_string(), money(line.unit_price), money(line.amount())];
        for (edge, cell) in COLUMNS.iter().zip(&cells) {
            right(content, REGULAR, 10.0, *edge, y, cell);
        }
        y -= ROW;
    }
    y
}

fn rule(content: &mut Content, y: f32) {
    content.set_line_width(0.5).move_to(LEFT, y).line_to(RIGHT, y).stroke();
}

fn text(content: &mut Content, font: Name, size: f32, x: f32, y: f32, value: &str) {
    content.begin_text().set_font(font, size).next_line(x, y).show(Str(&winansi(value))).end_text();
}

/// `value` ending at `edge`.
fn right(content: &mut Content, font: Name, size: f32, edge: f32, y: f32, value: &str) {
    let x = edge - width(value, font == BOLD) * size / 1000.0;
    text(content, font, size, x, y, value);
}

/// Two decimal places, half up.
fn money(value: Decimal) -> String {
    format!(
        "{:.2}",
        value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    )
}

fn shorten(title: &str) -> String {
    if title.chars().count() <= TITLE_CHARS {
        return title.to_owned();
    }
    let mut short: String = title.chars().take(TITLE_CHARS - 1).collect();
    short.push('…');
    short
}

/// The width of `value` in thousandths of the font size, from Helvetica's metrics for what
/// right-aligned cells hold (digits, `.`, `#`, space, `-`) and an average letter width for
/// the labels. Bold letters are about a tenth wider; bold digits are not.
fn width(value: &str, bold: bool) -> f32 {
    value
        .chars()
        .map(|c| match c {
            '0'..='9' | '#' | '$' => 556.0,
            '.' | ',' | ' ' | ':' => 278.0,
            '-' => 333.0,
            c => {
                let letter = match c {
                    'i' | 'l' | 'j' => 222.0,
                    't' | 'f' | 'r' | 'I' => 300.0,
                    'm' | 'w' | 'M' | 'W' => 833.0,
                    c if c.is_ascii_uppercase() => 667.0,
                    _ => 556.0,
                };
                if bold { letter * 1.1 } else { letter }
            }
        })
        .sum()
}

/// `value` in WinAnsiEncoding (Windows-1252): Latin-1 and the few characters of 0x80–0x9F
/// map to their byte, control characters to a space, anything else to `?`.
pub fn winansi(value: &str) -> Vec<u8> {
    const HIGH: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    value
        .chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7E | 0xA0..=0xFF => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            _ if c.is_control() => b' ',
            _ => HIGH.iter().find(|(high, _)| *high == c).map_or(b'?', |(_, byte)| *byte),
        })
        .collect()
}
