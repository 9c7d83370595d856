/**
 * A few lines in place of a framework: `h` builds an element from a tag, attributes, listeners
 * and children. Views rebuild the parts that change; text is always set as text, never as HTML,
 * so nothing from the server or the user is ever parsed as markup.
 */

type Listener = (event: Event) => void

export type Child = Node | string | number | false | null | undefined | ReadonlyArray<Child>

export interface Attributes {
  readonly [name: string]: string | number | boolean | Listener | null | undefined
}

/**
 * `on<event>` attributes become listeners; `true`/`false` set or drop a boolean attribute;
 * `value` and `checked` set the property (what the user sees), the others set the attribute.
 */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value)
    } else if (name === "value" && "value" in element) {
      const field = element as HTMLInputElement
      field.value = String(value)
    } else if (name === "checked" && element instanceof HTMLInputElement) {
      element.checked = value === true
    } else {
      element.setAttribute(name, value === true ? "" : String(value))
    }
  }
  append(element, children)
  return element
}

export const append = (parent: Node, children: ReadonlyArray<Child>): void => {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else if (child instanceof Node) parent.appendChild(child)
    else parent.appendChild(document.createTextNode(String(child)))
  }
}

/** Replaces the children of `parent`. */
export const replace = (parent: Node, ...children: ReadonlyArray<Child>): void => {
  while (parent.firstChild) parent.removeChild(parent.firstChild)
  append(parent, children)
}

let counter = 0

/** A document-unique id, for `for`, `aria-describedby` and `aria-labelledby`. */
export const uniqueId = (prefix: string): string => `${prefix}-${++counter}`

/** A time as the user's locale writes it, with the exact ISO time on hover. */
export const time = (iso: string): HTMLTimeElement => {
  const date = new Date(iso)
  const text = Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })
  return h("time", { datetime: iso, title: iso }, text)
}
