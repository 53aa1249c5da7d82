// In-app browsers: a link opened from WhatsApp, Facebook, Messenger, Instagram,
// Gmail or the Google app shows in the app's own web view, where the camera often
// cannot be opened (or is asked for again on every visit). The page recognises
// them by their user agent and asks the seller to open the link in Safari
// (iPhone) or Chrome (Android); it still lets them go on where they are.
// No imports: node runs this module in the unit tests.

// [the app's name, what its user agent carries]; the first that matches names it.
const APPS = [
  ["WhatsApp", /\bWhatsApp\b/i],
  ["Messenger", /\bFBAN\/Messenger|\bMessengerForiOS\b|\bFB_IAB\/Orca/i],
  ["Instagram", /\bInstagram\b/i],
  ["Facebook", /\bFBAN\/|\bFBAV\/|\bFB_IAB\/|\bFBIOS\b/i],
  ["Gmail", /\bGmail\b/i],
  ["Google", /\bGSA\/\d/],
  ["LinkedIn", /\bLinkedInApp\b/i],
  ["Snapchat", /\bSnapchat\b/i],
  ["TikTok", /\bmusical_ly\b|\bBytedanceWebview\b|\bTikTok\b/i],
];
// Android's WebView says "; wv)": some other app's web view.
const ANDROID_WEBVIEW = /;\s*wv\)/;

/** The phone's system as the instructions need it: "ios", "android" or null. */
export function phoneSystem(ua) {
  const text = String(ua || "");
  if (/\b(iPhone|iPad|iPod)\b/.test(text)) return "ios";
  if (/\bAndroid\b/.test(text)) return "android";
  return null;
}

/** {app, system} when ua is an app's built-in browser (app null: unnamed), else null. */
export function inAppBrowser(ua) {
  const text = String(ua || "");
  const system = phoneSystem(text);
  for (const [app, pattern] of APPS) {
    if (pattern.test(text)) return { app, system };
  }
  if (system === "android" && ANDROID_WEBVIEW.test(text)) return { app: null, system };
  return null;
}
