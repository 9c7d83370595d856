/**
 * What assistive technology reads out: live updates and results politely (`role=status`),
 * errors at once (`role=alert`). Both regions are in index.html from the start, because a
 * region added together with its text is often not read.
 */

const region = (id: string): HTMLElement | null => document.getElementById(id)

const say = (id: string, text: string) => {
  const element = region(id)
  if (element === null) return
  // Clearing first makes a repeated message be read again.
  element.textContent = ""
  window.setTimeout(() => (element.textContent = text), 30)
}

export const status = (text: string): void => say("status", text)

export const alert = (text: string): void => say("alert", text)
