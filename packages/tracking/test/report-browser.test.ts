/**
 * report.html as a person sees it: rendered by headless Chromium (the system package, driven from
 * the command line: no browser download), its DOM after rendering and a screenshot checked.
 * Without Chromium on PATH (or CHROMIUM_BIN) this skips locally and fails under CI=true, where
 * .ci/run installs it. REPORT_SCREENSHOT=<path> keeps the screenshot for a look.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReportHtml, type CompletionRecord } from '../src/index.js';
import { elements, inside, type El } from './html-dom.js';
import { syntheticRun } from './report-fixture.js';

const run = promisify(execFile);
const CI = process.env.CI === 'true' || process.env.CI === '1';
const WIDTH = 1280;
const HEIGHT = 2000;

function findChromium(): string | undefined {
  if (process.env.CHROMIUM_BIN) return process.env.CHROMIUM_BIN;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  return undefined;
}

const chromium = findChromium();
if (chromium === undefined && !CI) {
  console.warn('report-browser.test.ts: skipped: no chromium on PATH (apt-get install -y chromium, or set CHROMIUM_BIN); under CI=true this fails instead');
}

/** A completion that would run, restyle or load something if it were not escaped. */
const HOSTILE = '<reasoning>"><script>alert(1)</script></style><img src=x onerror=alert(2)></reasoning>';

describe('report.html in headless Chromium', () => {
  it.runIf(chromium === undefined && CI)('has Chromium under CI', () => {
    throw new Error('no chromium on PATH and CI=true: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_BIN');
  });

  describe.skipIf(chromium === undefined)('rendered', () => {
    let source: string;
    let dom: El[];
    let logs: string;
    let png: PNG;

    beforeAll(async () => {
      const data = syntheticRun();
      data.completions.push({ ...(data.completions.at(-1) as CompletionRecord), completion: HOSTILE });
      source = buildReportHtml(data);
      const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
      writeFileSync(join(dir, 'report.html'), source);
      const url = `file://${join(dir, 'report.html')}`;
      // --enable-logging prints every console message (script errors, CSP violations) to stderr.
      const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--enable-logging=stderr', '--v=0', `--user-data-dir=${join(dir, 'profile')}`];
      const dumped = await run(chromium as string, [...flags, '--dump-dom', url], { maxBuffer: 64 << 20, timeout: 90_000 });
      const shot = await run(chromium as string, [...flags, `--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${join(dir, 'shot.png')}`, url], { timeout: 90_000 });
      dom = elements(dumped.stdout);
      logs = dumped.stderr + shot.stderr;
      png = PNG.sync.read(readFileSync(join(dir, 'shot.png')));
      if (process.env.REPORT_SCREENSHOT) copyFileSync(join(dir, 'shot.png'), process.env.REPORT_SCREENSHOT);
    }, 200_000);

    it('logs nothing to the console: no script errors, no blocked loads', () => {
      expect(logs.split('\n').filter((line) => line.includes(':CONSOLE'))).toEqual([]);
    });

    it('opens with the evaluation section and its fine-tuned vs base table, above every chart', () => {
      const sections = dom.filter((el) => el.tag === 'section');
      expect(sections[0].attrs.id).toBe('evaluation');
      const table = dom.findIndex((el) => el.tag === 'table' && el.attrs.class === 'eval');
      const firstSvg = dom.findIndex((el) => el.tag === 'svg');
      expect(table).toBeGreaterThan(-1);
      expect(table).toBeLessThan(firstSvg);
      const head = dom.filter((el, i) => el.tag === 'th' && inside(dom, i, (p) => p.tag === 'thead')).map((el) => el.text);
      expect(head).toEqual(['', 'fine-tuned', 'base', 'change']);
    });

    it('draws one SVG per chart, each with distinct y tick labels', () => {
      const figures = source.match(/<figure class="chart"/g)?.length ?? 0;
      const svgs = dom.map((el, i) => ({ el, i })).filter(({ el }) => el.tag === 'svg');
      expect(figures).toBeGreaterThan(20);
      expect(svgs).toHaveLength(figures);
      for (const { i } of svgs) {
        const labels = dom.filter((el, j) => el.tag === 'text' && el.attrs.class === 'tick y' && inside(dom, j, (_, k) => k === i)).map((el) => el.text);
        expect(labels.length).toBeGreaterThanOrEqual(3);
        expect(new Set(labels).size).toBe(labels.length);
      }
    });

    it('folds constant series, shows newest samples first, and shows the hostile completion as text', () => {
      const constant = dom.find((el, i) => el.tag === 'details' && inside(dom, i, (p) => p.attrs.id === 'constant'));
      expect(constant?.attrs.open).toBeUndefined();
      expect(dom.filter((el) => el.attrs.class === 'step').map((el) => el.text)).toEqual(['step 40', 'step 30', 'step 20', 'step 10']);
      expect(dom.filter((el) => el.tag === 'script' || el.tag === 'img')).toEqual([]);
      expect(dom.some((el) => el.tag === 'pre' && el.text === HOSTILE)).toBe(true);
    });

    it('renders a screenshot of the window size that is neither blank nor a wash of colour', () => {
      expect([png.width, png.height]).toEqual([WIDTH, HEIGHT]);
      let ink = 0;
      let chartBlue = 0;
      for (let p = 0; p < png.data.length; p += 4) {
        const [r, g, b] = [png.data[p], png.data[p + 1], png.data[p + 2]];
        if (r < 235 || g < 235 || b < 235) ink += 1;
        if (Math.abs(r - 0x2f) < 40 && Math.abs(g - 0x6f) < 40 && Math.abs(b - 0xde) < 40) chartBlue += 1;
      }
      const fraction = ink / (png.width * png.height);
      expect(fraction).toBeGreaterThan(0.03);
      expect(fraction).toBeLessThan(0.5);
      expect(chartBlue).toBeGreaterThan(2000); // the curves
    });
  });
});
