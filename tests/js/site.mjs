// A fixture site built by the casebook binary, with its search module loaded: what every Node
// test of the search client starts from.

import { execFileSync } from "node:child_process";
import { readFile, mkdtemp, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const bin =
  process.env.CASEBOOK_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, "target"), "release", "casebook");

/**
 * Makes a temporary folder (`casebook-<name>-...`), lets `fill(root)` write the site into it,
 * builds it and imports its `search/search.js`. Returns `{ root, out, mod, fresh }`, where
 * `fresh(loaded)` is a new engine that reads the built files, pushing each path into `loaded`
 * when given.
 */
export async function buildSite(name, fill) {
  try {
    await access(bin);
  } catch {
    execFileSync("cargo", ["build", "--release"], { cwd: repo, stdio: "inherit" });
  }
  const root = await mkdtemp(join(tmpdir(), `casebook-${name}-`));
  await fill(root);
  execFileSync(bin, ["build", "--root", root], { stdio: "pipe" });
  const out = join(root, "output");
  const mod = await import(pathToFileURL(join(out, "search", "search.js")).href + "?" + root);
  const fresh = (loaded) =>
    mod.createSearch({
      load: (p) => {
        loaded?.push(p);
        return readFile(join(out, "search", p), "utf8");
      },
    });
  return { root, out, mod, fresh };
}
