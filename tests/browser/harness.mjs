// Shared pieces of the browser tests: a tiny static server for the built site, Chromium through
// playwright-core, axe-core audits and PDF page counting. No dependencies beyond those two.
//
// run.sh sets CASEBOOK_SITE (the built digest) and CASEBOOK_SHOTS (where pictures go).

import { createServer } from "node:http";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { before, after } from "node:test";

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));

/** The built site to test. */
export const SITE = resolve(process.env.CASEBOOK_SITE || join(HERE, "../../output"));
/** Where screenshots and PDF pages are saved (git-ignored). */
export const SHOTS = resolve(process.env.CASEBOOK_SHOTS || join(HERE, "shots"));
mkdirSync(SHOTS, { recursive: true });

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves `dir` on 127.0.0.1 at a free port, under `prefix` (a sub-path such as `/digest/`, to
 * prove links are relative). Folders answer with their index.html; misses get 404.html and 404.
 */
export async function serve(dir = SITE, prefix = "/") {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (!path.startsWith(prefix)) return send(res, 404, join(root, "404.html"));
    path = normalize(join(root, path.slice(prefix.length)));
    if (path !== root && !path.startsWith(root + sep)) return send(res, 403, null);
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, "index.html");
    if (!existsSync(path)) return send(res, 404, join(root, "404.html"));
    send(res, 200, path);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return {
    url,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }),
  };
}

function send(res, status, file) {
  if (!file || !existsSync(file)) {
    res.writeHead(status, { "content-type": "text/plain" });
    return res.end(String(status));
  }
  res.writeHead(status, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
  res.end(readFileSync(file));
}

/**
 * Launches the system Chromium with a fresh profile. Returns the browser context and a close
 * function that also removes the profile.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "casebook-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
    viewport: { width: 1280, height: 900 },
    locale: "zh-CN",
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new page that records console errors and uncaught exceptions in `page.errors`.
 */
export async function newPage(context, { width = 1280, height = 900, colorScheme = "light" } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  await page.emulateMedia({ colorScheme, media: "screen" });
  page.errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") page.errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => page.errors.push(`exception: ${err.message}`));
  return page;
}

const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe-core on the page; returns the serious and critical violations, readable. */
export async function axeSerious(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const result = await page.evaluate(async () =>
    window.axe.run(document, { resultTypes: ["violations"] }),
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
      count: v.nodes.length,
    }));
}

/** Number of pages of a PDF: pdfinfo when poppler-utils is there, else the page objects. */
export function pdfPageCount(file) {
  try {
    const info = execFileSync("pdfinfo", [file], { encoding: "utf8" });
    const m = info.match(/^Pages:\s+(\d+)/m);
    if (m) return Number(m[1]);
  } catch {
    // No poppler: count `/Type /Page` objects (not `/Pages`), which Chromium writes uncompressed.
  }
  const text = readFileSync(file).toString("latin1");
  return (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) || []).length;
}

/** Whether a command is on the PATH. */
export function have(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The set-up most test files share: the built site served under `prefix` (a sub-path, so a
 * root-absolute link anywhere breaks) and one browser, opened before the file's tests and
 * closed after them; `ready(server, browser)` receives both.
 */
export function withServedSite(ready, prefix = "/digest/") {
  let server;
  let browser;
  before(async () => {
    server = await serve(SITE, prefix);
    browser = await launch();
    ready(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}
