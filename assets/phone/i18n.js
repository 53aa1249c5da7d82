// Strings of the phone page. They come from the product's gettext catalogs (the same
// as the console's and the report's): the server writes them into the page as JSON
// in <script id="phone-strings"> (see inspector/live/phone_words.py), so there is no
// build step and no second copy here. French text uses no-break spaces (\u00a0)
// before ? ! : ; and inside « », as French typography wants.
//
// The page speaks the first preferred language of the phone it has words for,
// English otherwise; the engine's welcome may switch it later so that the page
// and the engine's instructions speak the same language.

/** The words the server sent with the page: {languages, strings: {lang: {key: text}}, words}. */
function readSent(doc = globalThis.document) {
  try {
    const el = doc && doc.getElementById("phone-strings");
    const sent = el ? JSON.parse(el.textContent || "{}") : {};
    return sent && typeof sent === "object" && sent.strings ? sent : { strings: {}, words: {} };
  } catch {
    return { strings: {}, words: {} };
  }
}

const SENT = readSent();

export const STRINGS = SENT.strings;

/** The domain's vocabulary per language: parts, damage types, severities, verdicts. */
export const WORDS = SENT.words || {};

export const LANGUAGES = Object.keys(STRINGS);

/** Whether the page asks the seller if the call may be recorded (the server's setting). */
export const ASK_RECORDING = SENT.ask_recording === true;

/** The first preferred language the page has words for ("fr-FR" -> "fr"), else "en". */
export function detectLanguage(nav = globalThis.navigator) {
  const prefs = (nav && (nav.languages && nav.languages.length ? nav.languages : [nav.language])) || [];
  const first = String(prefs[0] || "").toLowerCase().split("-")[0];
  return STRINGS[first] ? first : "en";
}

let current = "en";

export function setLanguage(lang) {
  const code = String(lang || "").toLowerCase().split(/[-_]/)[0];
  if (STRINGS[code]) current = code;
  return current;
}

export function language() {
  return current;
}

/** The string for key in the current language, with {name} placeholders filled. */
export function t(key, params = {}) {
  const table = STRINGS[current] || STRINGS.en || {};
  const text = table[key] ?? (STRINGS.en || {})[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** Fill every element carrying data-i18n (text) or data-i18n-label (aria-label). */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  document.title = t("page_title");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    el.title = t(el.dataset.i18nLabel);
  }
}
