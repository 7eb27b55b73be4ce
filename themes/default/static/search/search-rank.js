// casebook search ranking: posting lists (decoded into typed arrays, searched by document) and
// tantivy's BM25 over them, with the same f32 arithmetic, so the order and scores equal
// `casebook search`'s; for search.js.
//
// Written as a plain script (no import or export): it runs as a module imported by search.js,
// and the build puts it inside search-classic.js, before the engine; it hands its functions
// over in globalThis.__casebookRank.
(function () {
"use strict";

const f = Math.fround;
const K1 = f(1.2);
const B = 0.75;
const K1_PLUS_1 = f(1 + K1);

/** Per field, tantivy's K1 * (1 - B + B * length / average) for every field-norm id. */
function normCaches(m) {
  return m.fields.map((fld) => {
    const avg = f(f(fld.tokens) / f(m.docs));
    return m.norms.map((fn) => f(K1 * f(f(1 - B) + f(f(B * f(fn)) / avg))));
  });
}

function idf(df, n) {
  const x = f(f(f(n - df) + 0.5) / f(f(df) + 0.5));
  return f(Math.log(f(1 + x)));
}

/**
 * The numbers of a packed posting list (format.rs, `packed`): base64 of unsigned LEB128
 * varints, seven bits a byte, least significant first, the high bit on all but a number's last.
 */
function unpack(text) {
  const bin = atob(text);
  const out = new Uint32Array(bin.length);
  let k = 0;
  let n = 0;
  let shift = 0;
  for (let i = 0; i < bin.length; i++) {
    const b = bin.charCodeAt(i);
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      out[k++] = n;
      n = 0;
      shift = 0;
    } else {
      shift += 7;
    }
  }
  return out.subarray(0, k);
}

/**
 * Decodes packed posting lists (docDelta, fieldnormId, tf, delta-coded positions per document;
 * each part's first delta is absolute) into one list in typed arrays: docs ascending, and each
 * document's positions at pos[start[i]..start[i+1]].
 */
function decode(packed, df) {
  const parts = packed.map(unpack);
  let count = 0;
  let total = 0;
  for (const flat of parts) {
    for (let i = 0; i < flat.length; count++) {
      total += flat[i + 2];
      i += 3 + flat[i + 2];
    }
  }
  const docs = new Int32Array(count);
  const norms = new Uint8Array(count);
  const tfs = new Int32Array(count);
  const start = new Int32Array(count + 1);
  const pos = new Int32Array(total);
  let k = 0;
  let p = 0;
  for (const flat of parts) {
    let doc = 0;
    for (let i = 0; i < flat.length; k++) {
      doc += flat[i];
      docs[k] = doc;
      norms[k] = flat[i + 1];
      const tf = flat[i + 2];
      tfs[k] = tf;
      start[k] = p;
      let at = 0;
      for (let j = 0; j < tf; j++) {
        at += flat[i + 3 + j];
        pos[p++] = at;
      }
      i += 3 + tf;
    }
  }
  start[count] = p;
  return { size: count, df, docs, norms, tfs, start, pos };
}

/** Index of `doc` in a posting list at or after `from` (docs ascending), or -(resume) - 2. */
function seek(list, doc, from) {
  let lo = from;
  let hi = list.size - 1;
  let step = 1;
  while (lo + step <= hi && list.docs[lo + step] < doc) {
    lo += step;
    step *= 2;
  }
  hi = Math.min(hi, lo + step);
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = list.docs[mid];
    if (d === doc) return mid;
    if (d < doc) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1) - 1;
}

/**
 * Scores one word's variant (its terms) in one field, as tantivy's TermQuery / PhraseQuery
 * under a BoostQuery, adding into `acc` (a Float32Array, so every sum rounds to f32 as
 * tantivy's do) and recording first-touched documents in `touched`; `mark` (optional) flags
 * the documents it matched.
 */
function scoreField(m, word, lists, fi, acc, seen, touched, mark) {
  for (const l of lists) if (!l || l.df === 0) return;
  let idfSum = f(0);
  for (const l of lists) idfSum = f(idfSum + idf(l.df, m.docs));
  let weight = f(idfSum * K1_PLUS_1);
  const boost = f(m.fields[fi].boost);
  if (boost !== 1) weight = f(weight * boost);
  const cacheF = m.caches[fi];
  const add = (doc, tf, norm) => {
    const tff = f(tf);
    const s = f(weight * f(tff / f(tff + cacheF[norm])));
    if (!seen[doc]) {
      seen[doc] = 1;
      touched.push(doc);
      acc[doc] = s;
    } else acc[doc] = acc[doc] + s;
    if (mark) mark[doc] = 1;
  };
  if (word.length === 1) {
    const l = lists[0];
    for (let k = 0; k < l.size; k++) add(l.docs[k], l.tfs[k], l.norms[k]);
    return;
  }
  // Phrase: walk the shortest list, seek the others forward, then count the positions p of
  // the first term at which every term k sits at p - offset0 + offsetK.
  let lead = 0;
  for (let k = 1; k < lists.length; k++) if (lists[k].size < lists[lead].size) lead = k;
  const cursor = new Int32Array(lists.length);
  const at = new Int32Array(lists.length);
  const ptr = new Int32Array(lists.length);
  outer: for (let x = 0; x < lists[lead].size; x++) {
    const doc = lists[lead].docs[x];
    for (let k = 0; k < lists.length; k++) {
      if (k === lead) {
        at[k] = x;
        continue;
      }
      const r = seek(lists[k], doc, cursor[k]);
      if (r < 0) {
        cursor[k] = -r - 2;
        continue outer;
      }
      at[k] = r;
      cursor[k] = r;
    }
    const l0 = lists[0];
    for (let k = 0; k < lists.length; k++) ptr[k] = lists[k].start[at[k]];
    let tf = 0;
    for (let i = l0.start[at[0]]; i < l0.start[at[0] + 1]; i++) {
      const base = l0.pos[i] - word[0][0];
      let ok = true;
      for (let k = 1; k < lists.length && ok; k++) {
        const want = base + word[k][0];
        const lk = lists[k];
        const end = lk.start[at[k] + 1];
        while (ptr[k] < end && lk.pos[ptr[k]] < want) ptr[k]++;
        ok = ptr[k] < end && lk.pos[ptr[k]] === want;
      }
      if (ok) tf++;
    }
    if (tf > 0) add(doc, tf, l0.norms[at[0]]);
  }
}

/** Whether sorted `docs` has a document in [lo, hi]. */
function overlaps(docs, lo, hi) {
  let a = 0;
  let b = docs.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (docs[mid] < lo) a = mid + 1;
    else b = mid;
  }
  return a < docs.length && docs[a] <= hi;
}

globalThis.__casebookRank = { decode, overlaps, scoreField, normCaches };
})();
