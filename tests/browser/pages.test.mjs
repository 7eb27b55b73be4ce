// The reader's view of the real digest in Chromium: every kind of page at phone and desktop width,
// light and dark, audited by axe-core; the print edition as an A4 PDF; the site opened from disk.
//
// Run through run.sh (it builds the site and sets CASEBOOK_SITE). Pictures go to CASEBOOK_SHOTS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SITE, SHOTS, withServedSite, newPage, axeSerious, pdfPageCount, have } from "./harness.mjs";

/** The entry of `dir` whose index.html is largest: the page that stresses the layout most. */
function largest(dir, skip = []) {
  const names = readdirSync(join(SITE, dir)).filter(
    (n) => !skip.includes(n) && existsSync(join(SITE, dir, n, "index.html")),
  );
  assert.ok(names.length > 0, `no pages under ${dir}`);
  names.sort(
    (a, b) =>
      statSync(join(SITE, dir, b, "index.html")).size - statSync(join(SITE, dir, a, "index.html")).size ||
      a.localeCompare(b),
  );
  return `${dir}/${names[0]}/index.html`;
}

const REPORTS = readdirSync(join(SITE, "reports")).filter((n) =>
  existsSync(join(SITE, "reports", n, "index.html")),
);

const PAGES = {
  home: "index.html",
  report: largest("reports"),
  city: largest("cities"),
  tactic: largest("tactics", ["map"]),
  metrics: "metrics/index.html",
  map: "tactics/map/index.html",
  search: "search/index.html",
  print: "print/index.html",
};
const WIDTHS = [375, 1280];

let server;
let browser;

withServedSite((s, b) => {
  server = s;
  browser = b;
});

async function open(path, options) {
  const page = await newPage(browser.context, options);
  const response = await page.goto(server.url + path, { waitUntil: "load" });
  assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
  return page;
}

function formatViolations(list) {
  return list
    .map((v) => `[${v.impact}] ${v.id} (${v.count}×): ${v.help}\n    ${v.nodes.join("\n    ")}`)
    .join("\n");
}

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

for (const [name, path] of Object.entries(PAGES)) {
  for (const width of WIDTHS) {
    test(`${name} at ${width}px: loads cleanly, passes axe, fits the screen`, async () => {
      const page = await open(path, { width, height: width < 600 ? 800 : 900 });
      try {
        const violations = await axeSerious(page);
        assert.deepEqual(violations, [], `${path} at ${width}px:\n${formatViolations(violations)}`);
        if (width < 600) {
          const { scroll, inner, culprits } = await page.evaluate(() => {
            const inner = window.innerWidth;
            const culprits = [...document.querySelectorAll("body *")]
              .filter((e) => e.getBoundingClientRect().right > inner + 1)
              .filter((e) => !e.closest(".table-wrap, .visually-hidden, .skip"))
              .slice(0, 5)
              .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
            return { scroll: document.scrollingElement.scrollWidth, inner, culprits };
          });
          assert.ok(scroll <= inner, `${path} overflows at ${width}px: ${scroll} > ${inner}; ${culprits}`);
        }
        // The print page is 100+ reports long: its first screens are enough to look at.
        await shot(page, `${name}-${width}`, name !== "print");
        assert.deepEqual(page.errors, [], `${path} logged errors`);
      } finally {
        await page.close();
      }
    });
  }

  test(`${name} in dark mode: passes axe (contrast included)`, async () => {
    const width = name === "report" ? 375 : 1280;
    const page = await open(path, { width, colorScheme: "dark" });
    try {
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g).map(Number);
      assert.ok(r + g + b < 200, `${path}: dark scheme not applied, body background ${bg}`);
      const violations = await axeSerious(page);
      assert.deepEqual(violations, [], `${path} dark:\n${formatViolations(violations)}`);
      await shot(page, `${name}-${width}-dark`, name !== "print");
    } finally {
      await page.close();
    }
  });
}

test("every tested page fits a 360 px screen", async () => {
  const wide = [];
  for (const path of Object.values(PAGES)) {
    const page = await open(path, { width: 360, height: 740 });
    try {
      const { scroll, inner } = await page.evaluate(() => ({
        scroll: document.scrollingElement.scrollWidth,
        inner: window.innerWidth,
      }));
      if (scroll > inner) wide.push(`${path}: ${scroll} > ${inner}`);
    } finally {
      await page.close();
    }
  }
  assert.deepEqual(wide, []);
});

test("links on the tested pages lead to files that exist", async () => {
  const missing = [];
  for (const path of Object.values(PAGES)) {
    const html = readFileSync(join(SITE, path), "utf8");
    const base = new URL(path, "http://site/");
    for (const [, raw] of html.matchAll(/\b(?:href|src)="([^"]*)"/g)) {
      // Tera escapes `/` as `&#x2F;`; the browser decodes entities before it resolves the URL.
      const href = raw
        .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
        .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
        .replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")
        .replace(/[#?].*$/, "");
      if (href === "" || /^[a-z]+:/i.test(href)) continue; // in-page, external, mailto:, data:
      assert.ok(!href.startsWith("/"), `${path}: root-absolute link ${href} breaks under a sub-path`);
      const target = decodeURIComponent(new URL(href, base).pathname.slice(1));
      const file = target === "" || target.endsWith("/") ? join(SITE, target, "index.html") : join(SITE, target);
      if (!existsSync(file)) missing.push(`${path} → ${href}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("keyboard: the first Tab shows a skip link that jumps to the main content", async () => {
  const page = await open(PAGES.report, { width: 375 });
  try {
    await page.keyboard.press("Tab");
    const skip = await page.evaluate(() => {
      const a = document.activeElement;
      const r = a.getBoundingClientRect();
      const s = getComputedStyle(a);
      return {
        cls: a.className,
        href: a.getAttribute("href"),
        visible: r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth,
        outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2,
      };
    });
    assert.equal(skip.cls, "skip");
    assert.equal(skip.href, "#main");
    assert.ok(skip.visible, "skip link not on screen when focused");
    assert.ok(skip.outline, "focused skip link has no visible outline");
    await page.keyboard.press("Enter");
    const focused = await page.evaluate(() => document.activeElement.id);
    assert.equal(focused, "main");
    // The next Tab lands inside main, not back in the header.
    await page.keyboard.press("Tab");
    const inMain = await page.evaluate(() => !!document.activeElement.closest("main"));
    assert.ok(inMain, "Tab after the skip link left main");
  } finally {
    await page.close();
  }
});

test("breadcrumbs lead home from every inner page", async () => {
  for (const key of ["report", "city", "tactic", "metrics", "map"]) {
    const page = await open(PAGES[key]);
    try {
      const crumbs = await page.$$eval("nav.breadcrumbs li", (lis) => lis.map((li) => li.textContent.trim()));
      assert.ok(crumbs.length >= 2, `${key}: breadcrumbs ${crumbs}`);
      assert.equal(crumbs[0], "首页", `${key}: breadcrumbs start ${crumbs[0]}`);
      const current = await page.$$eval('nav.breadcrumbs [aria-current="page"]', (l) => l.length);
      assert.equal(current, 1, `${key}: one crumb is the current page`);
    } finally {
      await page.close();
    }
  }
});

test("print edition: an A4 PDF with at least one page per report, no navigation chrome", async () => {
  const page = await open(PAGES.print);
  try {
    // A reader whose system is dark still gets ink on paper.
    await page.emulateMedia({ media: "print", colorScheme: "dark" });
    const ink = await page.evaluate(() => [
      getComputedStyle(document.body).color,
      getComputedStyle(document.body).backgroundColor,
    ]);
    assert.deepEqual(ink, ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], "print is not black on white in dark mode");
    const chrome = await page.evaluate(() =>
      [".site-header", ".site-footer", ".skip", ".breadcrumbs", ".no-print"]
        .flatMap((s) => [...document.querySelectorAll(s)])
        .filter((e) => e.getBoundingClientRect().height > 0 && getComputedStyle(e).display !== "none")
        .map((e) => e.className),
    );
    assert.deepEqual(chrome, [], "navigation visible in print");
    const order = await page.$$eval("article.print-report", (as) => as.map((a) => a.id));
    assert.equal(order.length, REPORTS.length, "every report is in the print edition once");
    const pdf = await page.pdf({ format: "A4", printBackground: true, preferCSSPageSize: true });
    const file = join(SHOTS, "print.pdf");
    writeFileSync(file, pdf);
    const pages = pdfPageCount(file);
    assert.ok(pages >= REPORTS.length, `PDF has ${pages} pages for ${REPORTS.length} reports`);
    if (have("pdfinfo")) {
      const size = execFileSync("pdfinfo", [file], { encoding: "utf8" }).match(/Page size:\s+([\d.]+) x ([\d.]+)/);
      // A4 is 595 × 842 pt.
      assert.ok(size && Math.abs(size[1] - 595) < 3 && Math.abs(size[2] - 842) < 3, `page size ${size?.[0]}`);
    }
    if (have("pdftoppm")) {
      execFileSync("pdftoppm", ["-png", "-r", "50", "-f", "1", "-l", "8", file, join(SHOTS, "print-page")]);
    }
  } finally {
    await page.close();
  }
});

test("from disk: file:// home page links through to a report with its styles", async () => {
  const page = await newPage(browser.context, { width: 1280 });
  try {
    await page.goto(pathToFileURL(join(SITE, "index.html")).href);
    await page.click('nav.site-nav a[href$="contents/index.html"]');
    await page.waitForURL(/contents\/index\.html$/);
    await page.click("ol.contents a[href*='reports/']");
    await page.waitForURL(/\/reports\/[^/]+\/index\.html$/);
    assert.ok(page.url().startsWith("file://"));
    const h1 = await page.textContent("article.report h1");
    assert.ok(h1 && h1.trim().length > 0, "report page has a title");
    // The stylesheet loaded from disk too: main is centred with a max width.
    const maxWidth = await page.evaluate(() => getComputedStyle(document.querySelector("main")).maxWidth);
    assert.notEqual(maxWidth, "none", "casebook.css did not load from disk");
    // And back home through the breadcrumb.
    await page.click("nav.breadcrumbs a");
    await page.waitForURL(/\/index\.html$/);
    assert.ok(!/reports\//.test(page.url()), page.url());
  } finally {
    await page.close();
  }
});
