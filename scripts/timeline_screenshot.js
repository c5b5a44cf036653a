// Renders a `tasim run --timeline` file in headless Chromium and saves a PNG (the README's
// picture). Perfetto's UI needs the network and Chromium 156 has dropped chrome://tracing,
// so this opens the trace in the Performance panel of Chromium's own DevTools front end,
// which the browser serves itself on its loopback debugging port and which reads Chrome
// trace-event JSON. (It draws slices, not counter tracks.)
//
//   npm install --prefix /tmp/pw playwright-core     # once; from the npm registry
//   tasim run topologies/paper-chip.yaml --timeline /tmp/shot.json \
//       --timeline-from-ns 60000 --timeline-to-ns 160000 --timeline-detail fine
//   NODE_PATH=/tmp/pw/node_modules node scripts/timeline_screenshot.js /tmp/shot.json docs/timeline.png
//
// Further arguments `x,y` are clicks after loading (track headers to open; the defaults open
// the paper chip's process and its three cores, bottom first so the positions hold).
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [trace, png, ...clicks] = process.argv.slice(2);
if (!trace || !png) {
  console.error('usage: node timeline_screenshot.js TRACE.json OUT.png [x,y ...]');
  process.exit(2);
}
const opens = clicks.length ? clicks : ['10,129', '20,188', '20,167', '20,146'];
const port = 9300 + (process.pid % 500);

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tasim-shot-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--remote-debugging-port=${port}`,
      '--remote-debugging-address=127.0.0.1'],
  });
  try {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1600, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/devtools/trace_app.html`);
    await page.waitForTimeout(3000);
    // Nothing to debug: dismiss the "connection closed" pane, open the Performance panel.
    await page.keyboard.press('Escape');
    await page.getByText('Performance', { exact: true }).first().click({ force: true });
    await page.waitForTimeout(1500);
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser', { timeout: 15000 }),
      page.locator('[aria-label*="Load"]').first().click({ force: true }),
    ]);
    await chooser.setFiles(trace);
    await page.waitForTimeout(6000);
    const close = page.locator('[aria-label="Close"]');
    for (let i = 0; i < await close.count(); i++) {
      await close.nth(i).click({ force: true, timeout: 1000 }).catch(() => {});
    }
    await page.keyboard.press('Escape');
    const side = page.locator('[aria-label="Hide sidebar"], [title="Hide sidebar"]');
    if (await side.count()) {
      await side.first().click({ force: true }).catch(() => {});
    }
    await page.waitForTimeout(500);
    for (const xy of opens) {
      const [x, y] = xy.split(',').map(Number);
      await page.mouse.click(x, y);
      await page.waitForTimeout(700);
    }
    await page.mouse.move(800, 600);
    await page.waitForTimeout(500);
    await page.screenshot({ path: png, clip: { x: 0, y: 0, width: 1600, height: 260 } });
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
