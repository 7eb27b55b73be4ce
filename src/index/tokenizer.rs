//! The one tokenizer of casebook search, used by tantivy at build time and reproduced exactly by
//! the browser client (`themes/default/static/search/search.js`); `tests/fixtures/tokenizer.json`
//! holds the cases both implementations are tested against.
//!
//! Text is normalised (NFKC, so full-width letters and digits fold, then lower-cased, then
//! traditional characters folded to simplified ones, see [`super::fold`]). Runs of CJK
//! characters become overlapping bigrams, so a query of n characters is a phrase of n-1
//! consecutive bigrams, and the run's last character alone at its own position (a run of one is
//! that character). A character inside a run is not a token of its own: it is the start of
//! the bigram at its position, so a query of one character stands for the character alone and
//! every bigram it starts (see [`super::chars`]: the browser export writes that list as the
//! character's entry, `casebook search` reads it the same way). A token per character was half
//! the tokens of a Chinese text, and its positions the largest lists of the index.
//! White space between two CJK characters does not end a run (a heading's visual space, a line
//! broken mid-phrase), unless it holds a paragraph break (a blank line): Chinese is written
//! without spaces, so a space there is layout, not a word boundary. Other letters and digits
//! form words. Everything else separates tokens and takes no position.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

use super::fold::fold;

/// Name under which the tokenizer is registered in tantivy.
pub const NAME: &str = "casebook";

/// Kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The last character of a CJK run.
    Uni,
    /// Two consecutive CJK characters.
    Bi,
    /// A run of other letters and digits.
    Word,
}

/// A token: text and position (the last character of a CJK run and the bigram ending there
/// are one position apart; a bigram's position is its first character's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    /// Normalised text.
    pub text: String,
    /// Position in the field.
    pub position: usize,
    /// What it is.
    pub kind: Kind,
}

/// Whether `c` is written without spaces between words (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F) // CJK Extensions B.. and Compatibility Supplement
}

/// NFKC, then lower case, then folded to simplified characters.
pub fn normalize(text: &str) -> String {
    let mut chars = Vec::new();
    normalize_into(text, &mut chars);
    chars.into_iter().collect()
}

/// Whether `c` ends a line (a paragraph break is two of them, or U+2029).
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}')
}

/// The characters to tokenize: `chars` without the white space that sits between two CJK
/// characters and holds no paragraph break.
fn bridge(chars: Vec<char>) -> Vec<char> {
    if !chars.iter().any(|c| c.is_whitespace()) {
        return chars;
    }
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !c.is_whitespace() || !out.last().copied().is_some_and(is_cjk) {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        let mut breaks = 0;
        while i < chars.len() && chars[i].is_whitespace() {
            breaks += match chars[i] {
                '\u{2029}' => 2,
                c if is_line_break(c) => 1,
                _ => 0,
            };
            i += 1;
        }
        let joins = breaks < 2 && chars.get(i).copied().is_some_and(is_cjk);
        if !joins {
            out.extend_from_slice(&chars[start..i]);
        }
    }
    out
}

/// The normalised form of `c` when `c` normalises alone, whatever surrounds it: ASCII, CJK
/// ideographs and full-width ASCII. Each is a starter that no character before it composes
/// with, and its NFKC form is one such character; the text before it and from it on therefore
/// normalise apart (NFKC is closed under that cut), and when the character after it is one too,
/// it is its own piece. Nine in ten characters of a Chinese report are, and take this path
/// instead of the decomposing pass the full-width punctuation would send the whole text to.
fn alone(c: char) -> Option<char> {
    match c as u32 {
        0..=0x7F => Some(c.to_ascii_lowercase()),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF => Some(fold(c)),
        // Full-width forms of `!`..`~`: their compatibility decomposition is the ASCII character.
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).map(|a| a.to_ascii_lowercase()),
        _ => None,
    }
}

/// Pushes `text` normalised (see [`normalize`]) onto `out`: cut before every character that
/// normalises [`alone`], each piece of one such character mapped directly, the other pieces
/// (such a character followed by what may combine with it, or text that starts otherwise)
/// through NFKC, lower case and folding.
fn normalize_into(text: &str, out: &mut Vec<char>) {
    out.reserve(text.len() / 3);
    // The open piece: where it starts, and its character when it is one that stands alone.
    let mut start = 0;
    let mut single: Option<char> = None;
    for (i, c) in text.char_indices() {
        match alone(c) {
            Some(m) => {
                match single {
                    Some(prev) => out.push(prev),
                    None => normalize_piece(&text[start..i], out),
                }
                start = i;
                single = Some(m);
            }
            None => single = None,
        }
    }
    match single {
        Some(prev) => out.push(prev),
        None => normalize_piece(&text[start..], out),
    }
}

/// NFKC, lower case and folding of a piece of text, character by character.
fn normalize_piece(piece: &str, out: &mut Vec<char>) {
    use unicode_normalization::{is_nfkc_quick, IsNormalized};
    if piece.is_empty() {
        return;
    }
    // Most text is NFKC already; the quick check skips the decomposing pass.
    if is_nfkc_quick(piece.chars()) == IsNormalized::Yes {
        out.extend(piece.chars().flat_map(char::to_lowercase).map(fold));
    } else {
        out.extend(piece.nfkc().flat_map(char::to_lowercase).map(fold));
    }
}

/// The tokens of a text, one after another, written into a caller's buffer: the build indexes
/// some fifty million tokens at 100x the digest, and a `String` each was a tenth of its time
/// in the allocator.
pub(super) struct Tokens {
    chars: Vec<char>,
    /// Next character to look at.
    i: usize,
    /// End of the CJK run `i` is in (`i` when not in one).
    run_end: usize,
    /// Position of the next token.
    pos: usize,
}

impl Tokens {
    pub(super) fn new(text: &str) -> Self {
        Tokens {
            chars: bridge({
                let mut chars = Vec::new();
                normalize_into(text, &mut chars);
                chars
            }),
            i: 0,
            run_end: 0,
            pos: 0,
        }
    }

    /// Writes the next token's text into `buf` and returns its position and kind.
    pub(super) fn next_into(&mut self, buf: &mut String) -> Option<(usize, Kind)> {
        loop {
            if self.i < self.run_end {
                // Inside the run the bigram stands for its first character; the last is alone.
                let k = self.i;
                buf.clear();
                buf.push(self.chars[k]);
                self.i += 1;
                self.pos += 1;
                if k + 1 < self.run_end {
                    buf.push(self.chars[k + 1]);
                    return Some((self.pos - 1, Kind::Bi));
                }
                return Some((self.pos - 1, Kind::Uni));
            }
            let c = *self.chars.get(self.i)?;
            if is_cjk(c) {
                self.run_end = self.i;
                while self.run_end < self.chars.len() && is_cjk(self.chars[self.run_end]) {
                    self.run_end += 1;
                }
            } else if c.is_alphanumeric() {
                let start = self.i;
                while self.i < self.chars.len()
                    && self.chars[self.i].is_alphanumeric()
                    && !is_cjk(self.chars[self.i])
                {
                    self.i += 1;
                }
                buf.clear();
                buf.extend(&self.chars[start..self.i]);
                self.pos += 1;
                return Some((self.pos - 1, Kind::Word));
            } else {
                self.i += 1;
            }
        }
    }
}

/// All tokens of `text`, for indexing.
pub fn tokenize(text: &str) -> Vec<Tok> {
    let mut tokens = Tokens::new(text);
    let mut out = Vec::new();
    let mut buf = String::new();
    while let Some((position, kind)) = tokens.next_into(&mut buf) {
        out.push(Tok {
            text: buf.clone(),
            position,
            kind,
        });
    }
    out
}

/// The tokens a query word must match, with their offsets: the bigrams of each CJK run (or its
/// single character when the run has one), and words. Unigrams inside longer runs add nothing:
/// the bigrams already pin every character.
pub fn query_terms(word: &str) -> Vec<(usize, String)> {
    query_word(word).terms
}

/// A query word: the terms it must match (see [`query_terms`]), and whether its last term is a
/// Latin or digit word, which is matched as a prefix when the word is the last one typed (the
/// reader may be in the middle of it: `率达9` while typing `率达93%`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// Offset and text of each term.
    pub terms: Vec<(usize, String)>,
    /// Whether the last term is a word of letters or digits (not CJK).
    pub open: bool,
}

/// The [`QueryWord`] of `word`.
pub fn query_word(word: &str) -> QueryWord {
    let toks = tokenize(word);
    let open = toks.last().is_some_and(|t| t.kind == Kind::Word);
    // A bigram at p covers the characters at p and p + 1.
    let covered: std::collections::HashSet<usize> = toks
        .iter()
        .filter(|t| t.kind == Kind::Bi)
        .flat_map(|t| [t.position, t.position + 1])
        .collect();
    let out: Vec<(usize, String)> = toks
        .into_iter()
        .filter(|t| t.kind != Kind::Uni || !covered.contains(&t.position))
        .map(|t| (t.position, t.text))
        .collect();
    let base = out.first().map_or(0, |(p, _)| *p);
    QueryWord {
        terms: out.into_iter().map(|(p, t)| (p - base, t)).collect(),
        open,
    }
}

/// The tokenizer as tantivy sees it.
#[derive(Debug, Clone, Default)]
pub struct CasebookTokenizer;

/// Token stream: one [`Token`] rewritten in place as the stream advances.
pub struct CasebookTokenStream {
    tokens: Tokens,
    token: Token,
}

impl std::fmt::Debug for CasebookTokenStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CasebookTokenStream")
            .field("token", &self.token)
            .finish()
    }
}

impl Tokenizer for CasebookTokenizer {
    type TokenStream<'a> = CasebookTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CasebookTokenStream {
        CasebookTokenStream {
            tokens: Tokens::new(text),
            token: Token::default(),
        }
    }
}

impl TokenStream for CasebookTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next_into(&mut self.token.text) {
            Some((position, _)) => {
                self.token.position = position;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
#[path = "tokenizer_tests.rs"]
mod tests;
