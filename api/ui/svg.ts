/** Text and attribute values inside hand-written SVG: every character HTML gives meaning to, escaped. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
