/**
 * HTML escaping for the report. Completions are model output and routinely contain `<reasoning>`
 * and `<answer>` tags; metric, reward and run names are user-chosen. Unescaped, any of them could
 * vanish into the DOM, break out of an attribute, or run. So the report is assembled with the `html`
 * tag below, which escapes every interpolated value unless it is already `Html` made by the same tag:
 * forgetting to escape takes a deliberate `unsafeHtml`, not a slip.
 */

// NUL becomes U+FFFD, which browsers show for it in most places; in body text they drop it instead,
// so escaping it keeps every string's text the same wherever it lands.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\0': '\uFFFD' };

/** `text` safe to place in HTML text or in a double- or single-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'\0]/g, (char) => ENTITIES[char]);
}

/** Markup that is already safe: made by `html`, or static text passed to `unsafeHtml`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks a constant string of our own (never data) as markup. */
export function unsafeHtml(text: string): Html {
  return new Html(text);
}

/**
 * Template tag: interpolated values are escaped (`Html` is inserted as is, arrays are joined, null,
 * undefined and false insert nothing). Attributes must be quoted in the template.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1];
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** A number for display: 4 significant digits, exponent form for very small or large magnitudes. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
