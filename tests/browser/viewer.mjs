// Opens the pipec viewer in Debian's headless Chromium and waits for a row to appear live.
//
//   node viewer.mjs URL TEXT SCREENSHOT.png
//
// Prints, one per line (tests/http.rs reads them):
//   READY               the page loaded and its event stream is connected: put the record now
//   ROW <cells>         the first table row containing TEXT (cells joined by " | ")
//   RELOADED <yes|no>   whether the page was reloaded while waiting (it must not be)
//   CONSOLE <message>   a console error or page error (CSP violations show up here)
//   OFFSITE <url>       a request to anything but the viewer's own origin
//   NOTE <text>         the archive note ("" when hidden), at the first screenshot
//   OVERFLOW <w> <px>   how far the page is wider than a <w>-px window (0: no horizontal scroll)
//   SCREENSHOT <path>   at 1400×900, then at 390×844 (a phone) as <path>-phone.png
// Exits 0 when the row appeared, 1 otherwise (with ERROR <message>).
import { say, withPage } from "./chromium.mjs";

const [url, text, screenshot] = process.argv.slice(2);
if (!url || !text || !screenshot) {
  console.log("ERROR usage: node viewer.mjs URL TEXT SCREENSHOT.png");
  process.exit(2);
}
const origin = new URL(url).origin;
await withPage(async (page) => {
  page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) say(`OFFSITE ${r.url()}`); });
  await page.goto(url, { waitUntil: "load", timeout: 15_000 });
  await page.waitForSelector("#status.live", { timeout: 10_000 });
  await page.waitForFunction(() => document.getElementById("summary").textContent !== "", null, { timeout: 10_000 });
  await page.evaluate(() => { window.pipecMarker = true; });
  say("READY");
  const row = page.locator("#rows tr", { hasText: text }).first();
  await row.waitFor({ state: "visible", timeout: 10_000 });
  const cells = await row.locator("td").allInnerTexts();
  say(`ROW ${cells.join(" | ")}`);
  const kept = await page.evaluate(() => window.pipecMarker === true);
  say(`RELOADED ${kept ? "no" : "yes"}`);
  await page.waitForTimeout(1500); // let the new-row highlight and the counters settle
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const note = await page.evaluate(() => { const n = document.getElementById("archive-note"); return n.hidden ? "" : n.textContent; });
  say(`NOTE ${note}`);
  say(`OVERFLOW 1400 ${await overflow()}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  say(`SCREENSHOT ${screenshot}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  say(`OVERFLOW 390 ${await overflow()}`);
  const phone = screenshot.replace(/\.png$/, "-phone.png");
  await page.screenshot({ path: phone, fullPage: true });
  say(`SCREENSHOT ${phone}`);
});
