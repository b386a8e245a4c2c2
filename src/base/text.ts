/**
 * Text that someone else wrote (README "Guardrails", untrusted text): anyone with access to MAAS can put words in a
 * machine's description, its owner data, a tag's comment or an event, and an agent reads them. Such text is made
 * inert where it enters (control and invisible characters removed, length bounded) and shown to the model between
 * « and », marks it cannot write itself.
 */

/**
 * C0/C1 controls (but tab and newline), and invisible format characters: zero-width and joiners, bidirectional
 * embeddings, overrides and isolates, the word joiner and invisible operators, the byte-order mark, interlinear
 * annotations, and the tag characters that can spell hidden ASCII.
 */
const INVISIBLE = new RegExp(
  '[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e' +
    '\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]|\\udb40[\\udc00-\\udc7f]',
  'g',
);

/** The marks that delimit MAAS text for the model; inside the text they are replaced by plain quotes. */
const OPEN = '«';
const CLOSE = '»';

/** Lengths past which MAAS text is cut, by kind. */
export const TEXT_MAX = { line: 300, paragraph: 1000, value: 500 } as const;

/**
 * `text` with control and invisible characters removed and at most `max` characters kept (saying how many were
 * cut); newlines and tabs stay unless `oneLine`.
 */
export function cleanText(text: string, max: number, oneLine = false): string {
  let out = text.replace(INVISIBLE, '');
  if (oneLine) out = out.replace(/[\t\n]+/g, ' ');
  if (out.length <= max) return out;
  // Never cut a surrogate pair in half.
  let end = max;
  const code = out.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${out.slice(0, end)}… [${out.length - end} more characters cut]`;
}

/** MAAS text as the model is shown it: between « and », with any « » inside turned into plain quotes. */
export function asData(text: string): string {
  return `${OPEN}${text.replaceAll(OPEN, '"').replaceAll(CLOSE, '"')}${CLOSE}`;
}
