// Checks Mermaid flowcharts with Mermaid's own parser and renderer (the pinned `mermaid`
// package, loaded into Debian's headless Chromium: Mermaid needs a DOM).
//
//   node mermaid.mjs FILE.mmd...
//
// Prints one line per file: `OK <file> <svg bytes>` or `BAD <file> <error>`; `ERROR <message>`
// (exit 1) when the browser could not run. Exits 0 when every file was checked.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const files = process.argv.slice(2);
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
    const result = await page.evaluate(async ([id, text]) => {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render(id, text);
        return { ok: true, bytes: svg.length };
      } catch (e) {
        return { ok: false, error: String(e && e.message ? e.message : e) };
      }
    }, [`diagram${i}`, text]);
    console.log(result.ok ? `OK ${file} ${result.bytes}` : `BAD ${file} ${result.error.replace(/\s+/g, " ")}`);
  }
  code = 0;
} catch (e) {
  console.log(`ERROR ${e && e.message ? e.message : e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
