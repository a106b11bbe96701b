// Opens pipec viewer's diagram pages (GET /graph) in Debian's headless Chromium and measures the
// SVG in the page itself (getBBox, in the SVG's own units), at 1400×900 and at 390×844 (a phone).
//
//   node graph.mjs URL...
//
// Prints, one per line (tests/graph.rs reads them):
//   CHECKED <url> <width> <texts> <nodes>   the page at one window width: how many labels and nodes
//   OVERLAP <url> <width> <a> | <b>         two text labels whose boxes intersect
//   OUTSIDE <url> <width> <label>           a node not inside the SVG's viewBox
//   CONSOLE <message>                       a console or page error (CSP violations show up here)
// Exits 0 when every page was measured, 1 otherwise (with ERROR <message>).
import { say, withPage } from "./chromium.mjs";

const urls = process.argv.slice(2);
if (urls.length === 0) {
  console.log("ERROR usage: node graph.mjs URL...");
  process.exit(2);
}
await withPage(async (page) => {
  for (const url of urls) {
    for (const [width, height] of [[1400, 900], [390, 844]]) {
      await page.setViewportSize({ width, height });
      await page.goto(url, { waitUntil: "load", timeout: 15_000 });
      const found = await page.evaluate(() => {
        const svg = document.querySelector("main svg");
        if (!svg) return { error: "no svg in the page" };
        const vb = svg.viewBox.baseVal;
        const texts = [...svg.querySelectorAll("text")].map((t) => ({ label: t.textContent, box: t.getBBox() }));
        const overlaps = [];
        for (let i = 0; i < texts.length; i++) {
          for (let j = i + 1; j < texts.length; j++) {
            const a = texts[i].box, b = texts[j].box;
            if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) {
              overlaps.push(`${texts[i].label} | ${texts[j].label}`);
            }
          }
        }
        const nodes = [...svg.querySelectorAll("g.node")];
        const outside = nodes
          .filter((g) => {
            const r = g.getBBox();
            return r.x < vb.x || r.y < vb.y || r.x + r.width > vb.x + vb.width || r.y + r.height > vb.y + vb.height;
          })
          .map((g) => g.querySelector("text").textContent);
        return { texts: texts.length, nodes: nodes.length, overlaps, outside };
      });
      if (found.error) throw new Error(`${url}: ${found.error}`);
      for (const o of found.overlaps) say(`OVERLAP ${url} ${width} ${o}`);
      for (const o of found.outside) say(`OUTSIDE ${url} ${width} ${o}`);
      say(`CHECKED ${url} ${width} ${found.texts} ${found.nodes}`);
    }
  }
});
