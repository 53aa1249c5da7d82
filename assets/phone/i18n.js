// Strings of the phone page, in French and English. French text uses
// no-break spaces (\u00a0) before ? ! : ; and inside « », as French typography wants.
//
// The page speaks French when the phone's first preferred language starts
// with "fr", English otherwise; the engine's welcome may switch it later so
// that the page and the engine's instructions speak the same language.

export const STRINGS = {
  fr: {
    page_title: "Inspection du véhicule",
    consent_title: "Inspection de votre véhicule à distance",
    consent_intro:
      "Cette page utilise la caméra arrière de votre téléphone pour montrer votre véhicule en direct. Vous serez guidé photo par photo.",
    consent_who_title: "Qui voit la vidéo\u00a0?",
    consent_who:
      "Uniquement l'opérateur de la plateforme, en direct, pendant l'inspection.",
    consent_kept_title: "Qu'est-ce qui est conservé\u00a0?",
    consent_kept:
      "Les photos prises pendant l'inspection, avec leur date et leur heure. La vidéo n'est pas enregistrée.",
    consent_camera:
      "Votre téléphone va vous demander l'accès à la caméra\u00a0: appuyez sur «\u00a0Autoriser\u00a0».",
    consent_start: "Commencer",
    connecting: "Connexion en cours…",
    starting_camera: "Ouverture de la caméra…",
    reconnecting: "Reconnexion…",
    reconnecting_detail: "La connexion a été interrompue. Restez sur cette page.",
    progress: "{n} / {total}",
    torch_on: "Allumer la lampe",
    torch_off: "Éteindre la lampe",
    shutter: "Prendre la photo",
    capturing: "Photo en cours… ne bougez pas",
    photo_ok: "Photo enregistrée",
    photo_retake: "Photo à reprendre",
    photo_failed: "La photo n'a pas pu être envoyée",
    retake_reasons: "À reprendre\u00a0:",
    reason_low_resolution: "photo trop petite",
    reason_blurry: "photo floue\u00a0: tenez le téléphone immobile",
    reason_slightly_blurry: "photo un peu floue",
    reason_too_dark: "photo trop sombre",
    reason_too_bright: "photo trop claire",
    reason_glare: "reflet sur la photo",
    done_title: "Merci\u00a0!",
    done_text: "L'inspection est terminée. Vous pouvez fermer cette page.",
    error_generic: "Un problème technique est survenu, l'inspection continue.",
    denied_title: "Accès à la caméra refusé",
    denied_text:
      "Pour continuer, autorisez la caméra pour ce site, puis appuyez sur «\u00a0Réessayer\u00a0».",
    denied_android:
      "Android (Chrome)\u00a0: touchez l'icône à gauche de l'adresse, puis Autorisations → Caméra → Autoriser.",
    denied_ios:
      "iPhone (Safari)\u00a0: touchez «\u00a0aA\u00a0» à gauche de l'adresse, puis Réglages du site web → Caméra → Autoriser.",
    retry: "Réessayer",
    nocamera_title: "Aucune caméra disponible",
    nocamera_text:
      "Nous n'avons pas trouvé de caméra. Si une autre application l'utilise (appel vidéo, appareil photo), fermez-la puis réessayez.",
    insecure_title: "Adresse non sécurisée",
    insecure_text:
      "Pour des raisons de sécurité, la caméra ne fonctionne que sur une adresse sécurisée (https://). Ouvrez le lien exactement tel que vous l'avez reçu, ou demandez-en un nouveau.",
    unsupported_title: "Navigateur non compatible",
    unsupported_text:
      "Ce navigateur ne permet pas la vidéo en direct. Ouvrez ce lien avec Chrome (Android) ou Safari (iPhone), à jour.",
    invalid_title: "Ce lien n'est pas valide",
    invalid_text:
      "Il a peut-être expiré ou déjà été utilisé. Demandez un nouveau lien à votre interlocuteur.",
    in_use_title: "Inspection déjà ouverte",
    in_use_text:
      "Cette inspection est ouverte sur un autre appareil. Fermez-la là-bas, puis réessayez dans quelques secondes.",
    offline_title: "Connexion impossible",
    offline_text:
      "Vérifiez que votre téléphone est connecté à Internet. Nouvelle tentative automatique…",
  },
  en: {
    page_title: "Vehicle inspection",
    consent_title: "Remote inspection of your vehicle",
    consent_intro:
      "This page uses your phone's rear camera to show your vehicle live. You will be guided photo by photo.",
    consent_who_title: "Who sees the video?",
    consent_who: "Only the platform's operator, live, during the inspection.",
    consent_kept_title: "What is kept?",
    consent_kept:
      "The photos taken during the inspection, with their date and time. The video is not recorded.",
    consent_camera: "Your phone will ask for access to the camera: tap “Allow”.",
    consent_start: "Start",
    connecting: "Connecting…",
    starting_camera: "Opening the camera…",
    reconnecting: "Reconnecting…",
    reconnecting_detail: "The connection was interrupted. Please stay on this page.",
    progress: "{n} / {total}",
    torch_on: "Switch the torch on",
    torch_off: "Switch the torch off",
    shutter: "Take the photo",
    capturing: "Taking the photo… hold still",
    photo_ok: "Photo saved",
    photo_retake: "Please take this photo again",
    photo_failed: "The photo could not be sent",
    retake_reasons: "Take it again:",
    reason_low_resolution: "photo too small",
    reason_blurry: "blurry photo: hold the phone still",
    reason_slightly_blurry: "photo slightly blurry",
    reason_too_dark: "photo too dark",
    reason_too_bright: "photo too bright",
    reason_glare: "reflection on the photo",
    done_title: "Thank you!",
    done_text: "The inspection is complete. You can close this page.",
    error_generic: "A technical problem occurred; the inspection goes on.",
    denied_title: "Camera access denied",
    denied_text: "To continue, allow the camera for this site, then tap “Try again”.",
    denied_android:
      "Android (Chrome): tap the icon left of the address, then Permissions → Camera → Allow.",
    denied_ios:
      "iPhone (Safari): tap “aA” left of the address, then Website Settings → Camera → Allow.",
    retry: "Try again",
    nocamera_title: "No camera available",
    nocamera_text:
      "We could not find a camera. If another app is using it (video call, camera app), close it and try again.",
    insecure_title: "Address not secure",
    insecure_text:
      "For security, the camera only works on a secure address (https://). Open the link exactly as you received it, or ask for a new one.",
    unsupported_title: "Browser not supported",
    unsupported_text:
      "This browser cannot stream live video. Open this link with an up-to-date Chrome (Android) or Safari (iPhone).",
    invalid_title: "This link is not valid",
    invalid_text: "It may have expired or been used already. Ask your contact for a new link.",
    in_use_title: "Inspection already open",
    in_use_text:
      "This inspection is open on another device. Close it there, then try again in a few seconds.",
    offline_title: "Cannot connect",
    offline_text: "Check that your phone is connected to the Internet. Retrying automatically…",
  },
};

export const LANGUAGES = Object.keys(STRINGS);

/** "fr" when the first preferred language is French, else "en". */
export function detectLanguage(nav = globalThis.navigator) {
  const prefs = (nav && (nav.languages && nav.languages.length ? nav.languages : [nav.language])) || [];
  const first = String(prefs[0] || "").toLowerCase();
  return first.startsWith("fr") ? "fr" : "en";
}

let current = "en";

export function setLanguage(lang) {
  const code = String(lang || "").toLowerCase().slice(0, 2);
  if (STRINGS[code]) current = code;
  return current;
}

export function language() {
  return current;
}

/** The string for key in the current language, with {name} placeholders filled. */
export function t(key, params = {}) {
  const table = STRINGS[current] || STRINGS.en;
  const text = table[key] ?? STRINGS.en[key] ?? key;
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
