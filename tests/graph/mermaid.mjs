// Checks Mermaid flowcharts with Mermaid's own parser and renderer (the pinned `mermaid`
// package, loaded into Debian's headless Chromium: Mermaid needs a DOM).
//
//   node mermaid.mjs FILE.mmd... [--parse-only FILE.mmd...]
//
// Files before `--parse-only` are parsed and rendered to SVG; those after it only parsed
// (rendering a large diagram takes seconds).
// Prints one line per file: `OK <file> <svg bytes>` or `BAD <file> <error>`; `ERROR <message>`
// (exit 1) when the browser could not run. Exits 0 when every file was checked.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const args = process.argv.slice(2);
const split = args.indexOf("--parse-only");
const files = args.filter((a) => a !== "--parse-only");
const renderCount = split === -1 ? files.length : split;
const require = createRequire(import.meta.url);
const bundle = require.resolve("mermaid/dist/mermaid.min.js");
let browser;
let code = 1;
try {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    timeout: 30_000,
  });
  const page = await browser.newPage();
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ path: bundle });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" }));
  for (const [i, file] of files.entries()) {
    const text = readFileSync(file, "utf8");
    const result = await page.evaluate(async ([id, text, render]) => {
      try {
        await window.mermaid.parse(text);
        if (!render) return { ok: true, bytes: 0 };
        const { svg } = await window.mermaid.render(id, text);
        return { ok: true, bytes: svg.length };
      } catch (e) {
        return { ok: false, error: String(e && e.message ? e.message : e) };
      }
    }, [`diagram${i}`, text, i < renderCount]);
    console.log(result.ok ? `OK ${file} ${result.bytes}` : `BAD ${file} ${result.error.replace(/\s+/g, " ")}`);
  }
  code = 0;
} catch (e) {
  console.log(`ERROR ${e && e.message ? e.message : e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
