//! The one tokenizer of casebook search, used by tantivy at build time and reproduced exactly by
//! the browser client (`themes/default/static/search/search.js`); `tests/fixtures/tokenizer.json`
//! holds the cases both implementations are tested against.
//!
//! Text is normalised (NFKC, so full-width letters and digits fold, then lower-cased). Runs of
//! CJK characters become overlapping bigrams plus single characters at the same positions, so a
//! query of n characters is a phrase of n-1 consecutive bigrams and one character still matches.
//! Other letters and digits form words. Everything else separates tokens and takes no position.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Name under which the tokenizer is registered in tantivy.
pub const NAME: &str = "casebook";

/// Kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One CJK character.
    Uni,
    /// Two consecutive CJK characters.
    Bi,
    /// A run of other letters and digits.
    Word,
}

/// A token: text and position (tokens of one CJK character and the bigram starting there share
/// a position).
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

/// NFKC, then lower case.
pub fn normalize(text: &str) -> String {
    text.nfkc().flat_map(char::to_lowercase).collect()
}

/// All tokens of `text`, for indexing.
pub fn tokenize(text: &str) -> Vec<Tok> {
    let norm = normalize(text);
    let chars: Vec<char> = norm.chars().collect();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            for k in start..i {
                if k + 1 < i {
                    out.push(Tok {
                        text: chars[k..k + 2].iter().collect(),
                        position: pos,
                        kind: Kind::Bi,
                    });
                }
                out.push(Tok {
                    text: chars[k].to_string(),
                    position: pos,
                    kind: Kind::Uni,
                });
                pos += 1;
            }
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() && !is_cjk(chars[i]) {
                i += 1;
            }
            out.push(Tok {
                text: chars[start..i].iter().collect(),
                position: pos,
                kind: Kind::Word,
            });
            pos += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The tokens a query word must match, with their offsets: the bigrams of each CJK run (or its
/// single character when the run has one), and words. Unigrams inside longer runs add nothing:
/// the bigrams already pin every character.
pub fn query_terms(word: &str) -> Vec<(usize, String)> {
    let toks = tokenize(word);
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
    out.into_iter().map(|(p, t)| (p - base, t)).collect()
}

/// The tokenizer as tantivy sees it.
#[derive(Debug, Clone, Default)]
pub struct CasebookTokenizer;

/// Token stream over precomputed tokens.
#[derive(Debug)]
pub struct CasebookTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for CasebookTokenizer {
    type TokenStream<'a> = CasebookTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CasebookTokenStream {
        let tokens = tokenize(text)
            .into_iter()
            .map(|t| Token {
                offset_from: 0,
                offset_to: 0,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        CasebookTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for CasebookTokenStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
#[path = "tokenizer_tests.rs"]
mod tests;
