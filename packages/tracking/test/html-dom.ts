/**
 * The parsed DOM of a report, through parse5 (the WHATWG parsing algorithm browsers use), flattened
 * to a list of elements in document order: what the report tests assert on instead of regexes over
 * the markup.
 */
import { parse, type DefaultTreeAdapterTypes as T } from 'parse5';

export interface El {
  tag: string;
  attrs: Record<string, string>;
  /** The element's text content (all descendant text, as the DOM's textContent). */
  text: string;
  /** Index of the parent in the list (-1 for the root). */
  parent: number;
}

export function elements(html: string): El[] {
  const out: El[] = [];
  const walk = (node: T.ParentNode, parent: number) => {
    for (const child of node.childNodes) {
      if (!('tagName' in child)) continue;
      const index = out.push({ tag: child.tagName, attrs: Object.fromEntries(child.attrs.map((a) => [a.name, a.value])), text: textOf(child), parent }) - 1;
      walk(child.tagName === 'template' ? (child as T.Template).content : child, index);
    }
  };
  walk(parse(html), -1);
  return out;
}

function textOf(node: T.Node): string {
  if (node.nodeName === '#text') return (node as T.TextNode).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

/** Whether element `i` lies inside an element matching `match`. */
export function inside(els: readonly El[], i: number, match: (el: El, index: number) => boolean): boolean {
  for (let p = els[i].parent; p !== -1; p = els[p].parent) if (match(els[p], p)) return true;
  return false;
}
