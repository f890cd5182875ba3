/** The report's stylesheet, inlined into report.html (static text: no run data ever goes in here). */
export const STYLE = `
:root{--ink:#1d2330;--muted:#667085;--line:#e4e7ec;--soft:#f6f7f9;--blue:#2f6fde;--base:#98a2b3;--up:#12805c;--down:#c4320a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1240px;padding:20px 24px 48px;color:var(--ink);background:#fff}
header.top{border-bottom:1px solid var(--line);padding-bottom:10px}
h1{font-size:22px;margin:0;overflow-wrap:anywhere}
h2{font-size:17px;margin:28px 0 12px}h2 small{font-size:13px;font-weight:400;color:var(--muted);margin-left:6px}
.meta{color:var(--muted);margin:4px 0 8px}
nav a{color:var(--blue);text-decoration:none;margin-right:14px;font-size:13px}nav a:hover{text-decoration:underline}
.empty{color:var(--muted)}
.headline{display:grid;grid-template-columns:minmax(360px,470px) 1fr;gap:20px;align-items:start}
@media (max-width:860px){.headline{grid-template-columns:1fr}}
table{border-collapse:collapse}th,td{border-bottom:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
table.eval{width:100%;font-size:15px}table.eval thead th{color:var(--muted);font-weight:500;font-size:13px}
table.eval tbody th{font-weight:400;overflow-wrap:break-word;word-break:break-word}table.eval tr.key th,table.eval tr.key td{font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.up{color:var(--up)}.down{color:var(--down)}.same{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.charts.wide{grid-template-columns:repeat(auto-fill,minmax(380px,1fr))}
figure.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px 10px 4px}
figcaption{display:flex;justify-content:space-between;gap:8px;font-size:13px}
figcaption b{font-weight:600;overflow-wrap:anywhere}figcaption span{color:var(--muted);white-space:nowrap}
figure svg{display:block;width:100%;height:auto}
svg text{font-size:11.5px;fill:var(--muted);font-variant-numeric:tabular-nums}
svg .grid{stroke:#eef0f3}svg .axis{stroke:#c0c6d0}
svg .line{fill:none;stroke:var(--blue);stroke-width:1.8;stroke-linejoin:round}
svg .line.base{stroke:var(--base);stroke-dasharray:5 4}svg .line.raw{stroke:var(--blue);stroke-width:1;opacity:.3}
svg .dot{fill:var(--blue)}svg .dot.base{fill:var(--base)}svg .band{fill:var(--blue);opacity:.13}
svg circle:hover{r:4}
.legend{margin:0 0 2px;font-size:12px;color:var(--muted)}
.legend .key{margin-right:12px;white-space:nowrap}
.legend .key::before{content:"";display:inline-block;width:14px;height:0;border-top:2px solid var(--blue);vertical-align:middle;margin-right:5px}
.legend .key.base::before{border-top:2px dashed var(--base)}.legend .key.raw::before{border-top-width:1px;opacity:.4}
.legend .key.band::before{height:9px;border:0;background:var(--blue);opacity:.2}
article.group{border:1px solid var(--line);border-radius:8px;margin:0 0 12px;overflow:hidden}
article.group>header{display:flex;gap:12px;align-items:baseline;padding:6px 10px;background:var(--soft);border-bottom:1px solid var(--line)}
article.group .step{font-weight:600;white-space:nowrap}article.group details{flex:1;min-width:0}
article.group summary{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}article.group details[open] summary{white-space:normal}
summary .preview{color:var(--ink);margin-left:6px;font-size:13px}
/* negative margins tuck the outer cell borders under the card's own border */
.samples{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));margin:-1px -1px 0 0}
.sample{padding:8px 10px;border-top:1px solid var(--line);border-right:1px solid var(--line);display:flex;flex-direction:column;justify-content:space-between;min-width:0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.completion{margin:0 0 6px;max-height:22em;overflow:auto}
.chip{display:inline-block;font-size:12px;border-radius:10px;padding:1px 8px;margin:2px 6px 0 0;background:#eaf1fd;color:var(--ink);font-variant-numeric:tabular-nums}
.chip span{color:var(--muted)}.chip.zero{background:var(--soft);color:var(--muted)}
.chip.adv.up{background:#e3f4ec}.chip.adv.down{background:#fdeee8}
details summary{cursor:pointer;color:#475467;font-size:13px}
#constant{margin-top:24px}ul.constant{columns:3 280px;margin:8px 0;padding-left:18px;font-size:13px}ul.constant li{overflow-wrap:anywhere}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table.summary{margin-top:6px}table.summary th{font-weight:500;color:#475467}
`;
