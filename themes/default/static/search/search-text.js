// casebook search text: the tokenizer (mirrors src/index/tokenizer.rs; both are tested against
// tests/fixtures/tokenizer.json) and snippets, for search.js.
//
// Written as a plain script (no import or export) so that it runs both as a module imported by
// search.js and as a classic <script> before search-classic.js on pages opened from file://;
// it hands its functions over in globalThis.__casebookText.
(function () {
"use strict";

// ---------------------------------------------------------------- tokenizer

function isCJK(cp) {
  return (
    (cp >= 0x3040 && cp <= 0x30ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xac00 && cp <= 0xd7af) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x20000 && cp <= 0x2fa1f)
  );
}

const WORD = /[\p{Alphabetic}\p{N}]/u;
const SPACE = /\p{White_Space}/u;
const LINE_BREAK = /[\n\v\f\u0085\u2028]/;
const SEPARATORS = /[\s"“”「」]+/u;

/** NFKC, lower case (as Rust's char::to_lowercase), then `fold` (a Map) on every character. */
function normalize(text, fold) {
  const s = String(text).normalize("NFKC").toLowerCase();
  if (!fold || fold.size === 0) return s;
  let out = "";
  for (const c of s) out += fold.get(c) || c;
  return out;
}

/** Drops white space between two CJK characters unless it holds a paragraph break. */
function bridge(chars) {
  const out = [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    const prev = out.length ? out[out.length - 1] : "";
    if (!SPACE.test(c) || !prev || !isCJK(prev.codePointAt(0))) {
      out.push(c);
      i++;
      continue;
    }
    const start = i;
    let breaks = 0;
    while (i < chars.length && SPACE.test(chars[i])) {
      if (chars[i] === "\u2029") breaks += 2;
      else if (LINE_BREAK.test(chars[i])) breaks++;
      i++;
    }
    const joins = breaks < 2 && i < chars.length && isCJK(chars[i].codePointAt(0));
    if (!joins) for (let k = start; k < i; k++) out.push(chars[k]);
  }
  return out;
}

/** All tokens of `text`: [{ text, position, kind: "uni" | "bi" | "word" }]. */
function tokenize(text, fold) {
  const chars = bridge(Array.from(normalize(text, fold)));
  const out = [];
  let pos = 0;
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (isCJK(c.codePointAt(0))) {
      const start = i;
      while (i < chars.length && isCJK(chars[i].codePointAt(0))) i++;
      for (let k = start; k < i; k++) {
        // Inside a run the bigram stands for its first character; the last one is a token alone.
        if (k + 1 < i) out.push({ text: chars[k] + chars[k + 1], position: pos, kind: "bi" });
        else out.push({ text: chars[k], position: pos, kind: "uni" });
        pos++;
      }
    } else if (WORD.test(c)) {
      const start = i;
      while (i < chars.length && WORD.test(chars[i]) && !isCJK(chars[i].codePointAt(0))) i++;
      out.push({ text: chars.slice(start, i).join(""), position: pos, kind: "word" });
      pos++;
    } else {
      i++;
    }
  }
  return out;
}

/** A query word: { terms: [[offset, text]], open } (open: its last term is a Latin/digit word). */
function queryWord(word, fold) {
  const toks = tokenize(word, fold);
  const covered = new Set();
  for (const t of toks) {
    if (t.kind === "bi") {
      covered.add(t.position);
      covered.add(t.position + 1);
    }
  }
  const out = toks.filter((t) => t.kind !== "uni" || !covered.has(t.position)).map((t) => [t.position, t.text]);
  const base = out.length ? out[0][0] : 0;
  const open = toks.length > 0 && toks[toks.length - 1].kind === "word";
  return { terms: out.map(([p, t]) => [p - base, t]), open };
}

/** The tokens a query word must match: [[offset, text]]. */
function queryTerms(word, fold) {
  return queryWord(word, fold).terms;
}

/** The words of a query; only the last one stays open, and only while it is being typed. */
function queryWords(query, fold) {
  const raw = String(query).split(SEPARATORS).filter(Boolean);
  const typing = !/[\s"“”「」]$/u.test(String(query));
  const words = [];
  for (const text of raw) {
    const w = queryWord(text, fold);
    if (w.terms.length) words.push({ ...w, text });
  }
  words.forEach((w, i) => (w.open = w.open && typing && i === words.length - 1));
  return words;
}

/** Compares strings by code point (the order of the Rust term dictionary). */
function cmpCodePoints(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The fold table file's pairs: base-36 code point deltas, each followed by its target. */
function parseFold(pairs) {
  const map = new Map();
  let cp = 0;
  let digits = "";
  for (const ch of pairs) {
    if (/[0-9a-z]/.test(ch)) digits += ch;
    else {
      cp += parseInt(digits, 36);
      digits = "";
      map.set(String.fromCodePoint(cp), ch);
    }
  }
  return map;
}

// ---------------------------------------------------------------- snippets

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Escaped text; a blank line (a block ends: heading, paragraph, table row) shows as a break. */
function escapeText(s) {
  return escapeHtml(s)
    .replace(/\s*\n\s*\n\s*/g, ' <span class="snippet-break">·</span> ')
    .replace(/\n/g, " ");
}

/** Text without separators, folded, with each kept character's index in the original string. */
function squeeze(text, fold) {
  const chars = [];
  const index = [];
  let i = 0;
  for (const ch of String(text)) {
    for (const n of Array.from(normalize(ch, fold))) {
      if (isCJK(n.codePointAt(0)) || WORD.test(n)) {
        chars.push(n);
        index.push(i);
      }
    }
    i += ch.length;
  }
  return { s: chars.join(""), chars, index };
}

/**
 * A snippet around the first match of any word, matches wrapped in <mark> (on the text's own
 * characters, whatever script the query was typed in), everything escaped. It starts no earlier
 * than the block of the first match.
 */
function snippet(text, words, width, fold) {
  const src = String(text || "");
  const sq = squeeze(src, fold);
  const needles = words.map((w) => squeeze(w, fold).chars).filter((n) => n.length > 0);
  const ranges = [];
  for (const n of needles) {
    const needle = n.join("");
    let from = 0;
    for (;;) {
      const at = sq.s.indexOf(needle, from);
      if (at < 0) break;
      const ci = Array.from(sq.s.slice(0, at)).length;
      const start = sq.index[ci];
      const last = sq.index[ci + n.length - 1];
      const end = last + (src.codePointAt(last) > 0xffff ? 2 : 1);
      ranges.push([start, end]);
      from = at + needle.length;
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push(r.slice());
  }
  let start = 0;
  if (merged.length) {
    const block = src.lastIndexOf("\n\n", merged[0][0]);
    start = Math.max(block < 0 ? 0 : block + 2, merged[0][0] - Math.floor(width / 3));
  }
  let end = Math.min(src.length, start + width);
  if (end - start < width && !merged.length) start = Math.max(0, end - width);
  let html = start > 0 ? "…" : "";
  let cur = start;
  for (const [a, b] of merged) {
    if (b <= start || a >= end) continue;
    const s = Math.max(a, start);
    const e = Math.min(b, end);
    html += escapeText(src.slice(cur, s)) + "<mark>" + escapeText(src.slice(s, e)) + "</mark>";
    cur = e;
  }
  html += escapeText(src.slice(cur, end)) + (end < src.length ? "…" : "");
  return { html, matched: merged.length > 0 };
}

globalThis.__casebookText = {
  isCJK, normalize, tokenize, queryWord, queryTerms, queryWords, cmpCodePoints, parseFold, snippet, SEPARATORS, WORD,
};
})();
