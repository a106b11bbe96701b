// What graph.mjs and viewer.mjs share: Debian's headless Chromium on a fresh, empty profile
// directory (a persistent context = --user-data-dir), one page whose console errors and page
// errors are printed as CONSOLE lines, and the way a script ends (the Rust tests read its
// output line by line and its exit code).
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Prints one line with its white space folded. */
export const say = (line) => console.log(line.replace(/\s+/g, " ").trim());

/**
 * Opens the browser at 1400×900, runs `use(page)`, closes the browser, removes the profile and
 * exits: 0 when `use` returned, 1 (after `ERROR <message>`) when it threw.
 */
export async function withPage(use) {
  const profile = mkdtempSync(join(tmpdir(), "pipec-chromium-"));
  let browser;
  let code = 1;
  try {
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
      viewport: { width: 1400, height: 900 },
      timeout: 30_000,
    });
    const page = await browser.newPage();
    page.on("console", (m) => { if (m.type() === "error") say(`CONSOLE ${m.text()}`); });
    page.on("pageerror", (e) => say(`CONSOLE ${e.message}`));
    await use(page);
    code = 0;
  } catch (e) {
    say(`ERROR ${e && e.message ? e.message : e}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  process.exit(code);
}
