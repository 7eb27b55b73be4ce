// What a reader meets on a large site (issue 12): the page-size budget over every HTML page of a
// built site, and screenshots of the pages that grow with the collection, at 375 and 1280 px.
//
//   node benches/scale_shots.mjs <built site> [label]     # e.g. bench-work/x1000/casebook-out/site x1000
//
// Prints the largest HTML pages (the budget: none over 1 MB, print volumes at most 10 MB) and
// the home page's size, and writes <label>-<page>-<width>.png into tests/browser/shots/ (a
// paginated tactic page, the metrics overview, a city's metrics table, a split print volume).
// Uses the browser tests' harness (Chromium and playwright-core from tests/browser/run.sh).

import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { SHOTS, serve, launch, newPage } from "../tests/browser/harness.mjs";

const site = process.argv[2];
const label = process.argv[3] || "scale";
if (!site) {
  console.error("usage: node benches/scale_shots.mjs <built site> [label]");
  process.exit(2);
}

function* htmlFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "search" && !e.name.startsWith(".")) yield* htmlFiles(p);
    } else if (e.name.endsWith(".html")) yield p;
  }
}

const MB = 1024 * 1024;
const sizes = [...htmlFiles(site)].map((p) => [statSync(p).size, relative(site, p)]);
sizes.sort((a, b) => b[0] - a[0]);
const isPrint = (p) => p.startsWith("print/");
const over = sizes.filter(([s, p]) => s > (isPrint(p) ? 10 * MB : MB));
console.log(`${sizes.length} HTML pages; largest:`);
for (const [s, p] of sizes.slice(0, 5)) console.log(`  ${(s / 1024).toFixed(0)} KB  ${p}`);
const largestOther = sizes.find(([, p]) => !isPrint(p));
console.log(`largest page outside print/: ${(largestOther[0] / 1024).toFixed(0)} KB ${largestOther[1]}`);
console.log(`home page: ${(statSync(join(site, "index.html")).size / 1024).toFixed(1)} KB`);
console.log(over.length ? `OVER BUDGET: ${over.map(([, p]) => p).join(", ")}` : "budget met: no page over 1 MB (print volumes under 10 MB)");

// The pages to look at: the first tactic with a second page, the metrics overview and the first
// city's table, the first print volume that is split into parts.
const firstWith = (prefix, test) => sizes.map(([, p]) => p).filter((p) => p.startsWith(prefix) && test(p)).sort()[0];
const pages = {
  "tactic-page-2": firstWith("tactics/", (p) => /\/page\/2\/index\.html$/.test(p)),
  metrics: "metrics/index.html",
  "metrics-city": firstWith("metrics/", (p) => /^metrics\/[^/]+\/index\.html$/.test(p)),
  "print-volume": firstWith("print/", (p) => /\/part\/2\/index\.html$/.test(p)) || "print/index.html",
};
const server = await serve(site);
const browser = await launch();
try {
  const { context } = browser;
  for (const [name, path] of Object.entries(pages)) {
    if (!path) continue;
    for (const width of [375, 1280]) {
      const page = await newPage(context, { width, height: 900 });
      await page.goto(server.url + path.replace(/index\.html$/, ""), { waitUntil: "load", timeout: 120000 });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      const file = join(SHOTS, `${label}-${name}-${width}.png`);
      await page.screenshot({ path: file });
      console.log(`${file}  (${path}${wide ? ", SCROLLS SIDEWAYS" : ""})`);
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
