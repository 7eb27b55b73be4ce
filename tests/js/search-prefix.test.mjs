// Node tests of prefix expansion at scale (issue 13): when more terms start with the prefix
// being typed than a query takes (50), the index lists the most common of them in the shard
// where the prefix sorts, so the term a reader is typing is not cut off by rare terms that sort
// before it (1000 town numbers `9000`..`9999` before `93`); the other words of a query still
// decide which documents match; and the order and scores equal `casebook search --json`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, mkdir, writeFile, rm, readdir } from "node:fs/promises";
import { join } from "node:path";
import { bin, buildSite } from "./site.mjs";


const report = (town, body) => `---
title: ${town}：试点
town: ${town}
city: 宁波市
tactics: [台账]
---

${body}
`;

// 60 rare numbers 9000..9059 (one report each, with nothing else of the queries) sort before 93,
// which two reports have after 入会率达; one of them also has 职工.
const numbers = Array.from({ length: 60 }, (_, i) => String(9000 + i));
const reports = {
  ruhui: report("甲镇", "入会率达93%，职工满意。"),
  ruhui2: report("乙镇", "今年入会率达93%以上。"),
  other: report("丙镇", "入会率达八成，职工之家开放。"),
  ...Object.fromEntries(numbers.map((n, i) => [`n${i}`, report(`编号镇${i}`, `编号 ${n} 的台账。`)])),
};

let site;
const loaded = [];
before(async () => {
  site = await buildSite("prefix", async (root) => {
    await mkdir(join(root, "content", "reports"), { recursive: true });
    await writeFile(join(root, "site.yaml"), "title: 前缀测试\n");
    for (const [slug, md] of Object.entries(reports)) await writeFile(join(root, "content", "reports", slug + ".md"), md);
  });
  const fresh = site.fresh;
  site.fresh = () => fresh(loaded);
});

after(async () => {
  if (site) await rm(site.root, { recursive: true, force: true });
});

const slugs = (r) => r.results.map((x) => x.slug);
const cli = (q) => JSON.parse(execFileSync(bin, ["search", "--root", site.root, "--json", "--limit", "70", q]).toString());

test("a prefix with more terms than a query takes stands for the most common ones", async () => {
  const s = site.fresh();
  // 93 is past the first 50 terms that start with 9, and the only one two reports share
  assert.deepEqual(slugs(await s.search("入会率达9")).sort(), ["ruhui", "ruhui2"]);
  assert.deepEqual(slugs(await s.search("入会率达93")).sort(), ["ruhui", "ruhui2"]);
  // with another word, only the reports that have it too
  assert.deepEqual(slugs(await s.search("职工 9")), ["ruhui"]);
  assert.deepEqual(slugs(await s.search("职工 入会率达9")), ["ruhui"]);
  // a prefix with few terms stands for all of them (900: 9000..9009)
  assert.equal((await s.search("编号 900", { limit: 70 })).total, 10);
  assert.deepEqual(slugs(await s.search("编号 9005")), ["n5"]);
  // `9` stands for 50 terms: 93 and 49 of the numbers (equally rare: the first ones)
  const nine = await s.search("9", { limit: 70 });
  assert.equal(nine.total, 51);
  assert.ok(slugs(nine).includes("ruhui") && slugs(nine).includes("ruhui2"));
  assert.ok(!slugs(nine).includes("n59"));
  // `90` too: 50 of its 60 numbers
  assert.equal((await s.search("编号 90", { limit: 70 })).total, 50);
});

test("the list of what a prefix stands for is in the shard where it sorts", async () => {
  const dir = "idx";
  const lists = [];
  for (const f of await readdir(join(site.out, "search", dir))) {
    if (!f.startsWith("t")) continue;
    const text = await readFile(join(site.out, "search", dir, f), "utf8");
    const data = JSON.parse(text.slice(text.indexOf(",") + 1, text.lastIndexOf(");")));
    for (const p of data.prefixes || []) lists.push([p.prefix, p.terms, data.terms[0].term]);
  }
  // only `9` (61) and `90` (60) have more than 50 terms (900: ten)
  assert.deepEqual(lists.map(([p]) => p).sort(), ["9", "90"]);
  const [, terms, first] = lists.find(([p]) => p === "9");
  assert.equal(terms.length, 50);
  assert.ok(terms.includes("93"), terms.join(" "));
  assert.deepEqual(terms, terms.slice().sort(), "in term order");
  assert.ok(first <= "9", `the shard starting at ${first} holds 9`);
  // the client finds shards through the shard tables
  const s = site.fresh();
  loaded.length = 0;
  await s.search("入会率达9");
  assert.ok(loaded.some((p) => /^idx\/s\d+\.js$/.test(p)), loaded.join(" "));
  assert.ok(loaded.some((p) => /^idx\/t[0-9a-f]{16}\.js$/.test(p)), loaded.join(" "));
});

test("order, scores and exactness equal casebook search --json", async () => {
  const s = site.fresh();
  for (const q of ["入会率达9", "入会率达93", "9", "90", "900", "905", "职工 9", "职工 入会率达9", "编号 9", "编号 90", "编号 9005", "入会率达"]) {
    const js = await s.search(q, { limit: 70 });
    assert.deepEqual(
      js.results.map((h) => [h.slug, h.score, h.exact]),
      cli(q).map((h) => [h.slug, Math.fround(h.score), h.exact]),
      q,
    );
  }
});
