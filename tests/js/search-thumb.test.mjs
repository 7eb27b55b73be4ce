// Node test of the search thumbnail (issue 14): a report with a photo in its page bundle carries
// its narrowest WebP variant as `thumb` in its search record, one without a photo carries none,
// and the file it names is in the output.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, mkdir, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildSite } from "./site.mjs";
import { png } from "./png.mjs";


let site;
before(async () => {
  site = await buildSite("thumb", async (root) => {
    const report = (title, body) =>
      `---\ntitle: ${title}\ntown: ${title}\ncity: 杭州市\ntactics: [网格化管理]\n---\n\n${body}\n`;
    await mkdir(join(root, "content/reports/sandun"), { recursive: true });
    await writeFile(join(root, "content/reports/sandun/index.md"), report("三墩镇", "小板凳议事。\n\n![议事](photo.png)"));
    await writeFile(join(root, "content/reports/sandun/photo.png"), png(1200, 800, (x, y) => [x % 256, y % 256, 120]));
    await writeFile(join(root, "content/reports/plain.md"), report("平镇", "小板凳也有。"));
  });
  site.s = site.fresh();
});

after(async () => {
  if (site) await rm(site.root, { recursive: true, force: true });
});

test("a result has the thumb of its report's first photo, and only then", async () => {
  const r = await site.s.search("小板凳");
  assert.equal(r.total, 2);
  const withPhoto = r.results.find((x) => x.slug === "sandun");
  const without = r.results.find((x) => x.slug === "plain");
  assert.equal(withPhoto.thumb, "reports/sandun/photo-480w.webp");
  assert.equal(without.thumb, null);
  const bytes = await readFile(join(site.out, withPhoto.thumb));
  assert.equal(bytes.subarray(8, 12).toString("ascii"), "WEBP");
});
