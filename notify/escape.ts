/**
 * What a person typed, made safe for a channel. Project names, problem titles, person and department
 * names, reasons: every value that came from a person is passed through the channel's policy before the
 * renderer wraps it in the programme's own template (headings, colours, links to PUBLIC_URL, mentions of
 * recipients from the directory), so a value can neither format the message, link elsewhere, ping
 * anyone nor start a line of its own; the template keeps its formatting because it is added afterwards.
 *
 * - Every channel: zero-width, bidirectional-override and other control characters are removed (a
 *   newline is the only one kept, and only where the template has lines).
 * - Markdown robots (DingTalk, WeCom): the syntax characters become their fullwidth look-alikes, which
 *   read naturally in Chinese and survive whatever escaping a robot's renderer does or does not
 *   support; `://` and `www.` are broken so a bare URL is not autolinked; a list or heading marker at
 *   the start of a line is neutralised.
 * - Plain text (e-mail, Feishu `post` text elements) keeps the text as typed, one line per value.
 */

/** Zero-width and bidi controls, C0 (but newline) and C1 controls, the BOM. Tabs become spaces first. */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Line breaks of every kind: CR LF, CR, LF, NEL, vertical tab, form feed, LINE/PARAGRAPH SEPARATOR. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const BREAKS = /\r\n|[\r\n\u000B\u000C\u0085\u2028\u2029]/g;

/** The text with its line breaks as `\n`, tabs as spaces, and nothing invisible. */
export function plainText(text: string): string {
  return text.replace(BREAKS, '\n').replace(/\t/g, ' ').replace(INVISIBLE, '');
}

/** A value on one line: every line break, with the spaces around it, becomes one space. */
export function oneLine(value: string): string {
  return plainText(value).replace(/[ \u3000]*\n[\n \u3000]*/g, ' ');
}

/** Markdown's syntax characters and their fullwidth look-alikes. */
const FULLWIDTH: Record<string, string> = {
  '[': '［',
  ']': '］',
  '<': '＜',
  '>': '＞',
  '#': '＃',
  '*': '＊',
  _: '＿',
  '~': '～',
  '`': '｀',
  '|': '｜',
  '@': '＠',
  '&': '＆',
  '!': '！',
};
const SYNTAX = /[[\]<>#*_~`|@&!]/g;

/** A line's text with no markdown in it; what starts the line cannot open a list or a break. */
function markdownText(line: string): string {
  return (
    line
      .replace(SYNTAX, (c) => FULLWIDTH[c]!)
      .replace(/:\/\//g, '：//')
      .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}．`)
      // A list item (`- `, `+ `, `1. `, `1) `) or a setext/thematic break (`---`, `===`) at the start.
      .replace(
        /^(\s*)([-+=])/,
        (_, s: string, c: string) => `${s}${c === '-' ? '－' : c === '+' ? '＋' : '＝'}`,
      )
      .replace(/^(\s*\d+)([.)])/, (_, n: string, c: string) => `${n}${c === '.' ? '．' : '）'}`)
  );
}

/** A value for a markdown robot: one line, inert, without leading spaces (an indent would be code). */
export function markdownValue(value: string): string {
  return markdownText(oneLine(value).replace(/^[ \u3000]+/, ''));
}

/**
 * A text of several lines for a markdown robot (a digest's body): each line made inert like a value,
 * except the template's bullets. The text's values must already be single-line (domain/digest.ts renders
 * them so), so each line is the template's; a bullet is a `- ` that continues a list under a section
 * heading (`【超期事项 2 项】`), so a value that happens to start a line (the greeting starts with the
 * person's name) cannot make it one.
 */
export function markdownLines(text: string): string {
  const lines = plainText(text)
    .split('\n')
    .map((raw) => raw.replace(/^[ \u3000]+/, ''));
  return lines
    .map((line, i) => {
      const prev = lines[i - 1];
      const bullet = line.startsWith('- ') && prev !== undefined && /^(?:【|- )/.test(prev);
      return bullet ? `- ${markdownText(line.slice(2))}` : markdownText(line);
    })
    .join('\n');
}

/** A value for a plain-text channel: one line, nothing invisible, otherwise as typed. */
export function plainValue(value: string): string {
  return oneLine(value);
}

/** A text of several lines for a plain-text channel: nothing invisible, the lines kept. */
export function plainLines(text: string): string {
  return plainText(text);
}

/**
 * Feishu `post` text elements are plain text, but Feishu's own `<at user_id="…">` markup is parsed in
 * other message kinds; a value never carries it, whatever the renderer does.
 */
const FEISHU_AT = /<(?=\s*\/?\s*at\b)/gi;
export const feishuValue = (value: string): string => plainValue(value).replace(FEISHU_AT, '＜');
export const feishuLines = (text: string): string => plainLines(text).replace(FEISHU_AT, '＜');

/** How a channel writes a person's value and a multi-line text of the template's. */
export type TextPolicy = {
  value(value: string): string;
  lines(text: string): string;
};

export const markdownPolicy: TextPolicy = { value: markdownValue, lines: markdownLines };
export const plainPolicy: TextPolicy = { value: plainValue, lines: plainLines };
export const feishuPolicy: TextPolicy = { value: feishuValue, lines: feishuLines };

// --- Mentions ------------------------------------------------------------------------------------------

/**
 * The ids a robot pings come from the directory, but are still checked: a mobile is digits, a user or
 * open id is letters, digits, `_`, `.` and `-` (and never `all`, which some robots read as everyone). A
 * mention that does not fit is dropped, not emitted; the person is still named in the text.
 */
export function validMobile(mobile: string | undefined): string | undefined {
  return mobile !== undefined && /^[0-9]{3,20}$/.test(mobile) ? mobile : undefined;
}

export function validUserId(id: string | undefined): string | undefined {
  return id !== undefined && /^[A-Za-z0-9_.-]{1,128}$/.test(id) && id.toLowerCase() !== 'all'
    ? id
    : undefined;
}
