// Building the pages' DOM: elements with attributes and children (text is always set as text,
// never as markup), and the page's own elements by id.

export type Child = Node | string;

/** An element with `attrs` (`text` sets its text) and `children`. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/** One of the page's elements (index.html): a missing one is a bug of the page, said at once. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** The element a selector finds inside `root`, which the page built itself. */
export function inside<T extends Element = HTMLElement>(root: ParentNode, selector: string): T {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`no ${selector} here`);
  return node as T;
}

/** A message for any failure, to show in an error line. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
