// A capture the engine asks for: take the still, send it on the data channel
// (photo_begin, binary chunks paced by the channel's buffer, photo_end), then
// show the engine's quality verdict (a thumbnail, "photo saved" or what to retake).
// A large still goes as a preview first, its original after (originals.js).

import { jpegSize, takeStill } from "./camera.js";
import { send, waitBufferLow } from "./connection.js";
import { flash, showStatus } from "./guidance.js";
import { language, t } from "./i18n.js";
import { dropOriginal, keepOriginal, makePreview, previewBudget, pumpOriginals } from "./originals.js";
import * as P from "./protocol.js";
import { $, nowMs, S } from "./state.js";

const REASON_CODES = new Set(["low_resolution", "blurry", "slightly_blurry", "too_dark", "too_bright", "glare"]);

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sendPhoto(dc, id, bytes, sha256, width, height, original = null) {
  const size = bytes.byteLength;
  const begin = P.encode("photo_begin", {
    id,
    size,
    sha256,
    width,
    height,
    mime: "image/jpeg",
    phone_time: nowMs(),
    ...(original || {}),
  });
  const alive = () => dc === S.dc && dc.readyState === "open" && !S.muted;
  if (!alive()) throw new Error("no link");
  dc.bufferedAmountLowThreshold = P.MAX_BUFFERED / 4;
  dc.send(begin);
  for (let offset = 0; offset < size; offset += P.CHUNK_SIZE) {
    if (!alive()) throw new Error("link lost during the transfer");
    if (dc.bufferedAmount >= P.MAX_BUFFERED) await waitBufferLow(dc);
    if (!alive()) throw new Error("link lost during the transfer");
    dc.send(bytes.slice(offset, Math.min(size, offset + P.CHUNK_SIZE)));
  }
  dc.send(P.encode("photo_end", { id }));
}

export async function capture(id) {
  const dc = S.dc;
  flash();
  showStatus(t("capturing"), "", 0);
  S.capturing += 1; // originals on their way wait for this still
  const t0 = performance.now();
  let t1 = t0;
  let t2 = t0;
  try {
    const budget = previewBudget(); // the link's estimate, read while the still is taken
    const { blob, source } = await takeStill();
    t1 = performance.now();
    const bytes = await blob.arrayBuffer();
    if (bytes.byteLength > P.MAX_PHOTO_BYTES) throw new Error("photo too large");
    const size = jpegSize(new Uint8Array(bytes));
    if (!size || !size.width || !size.height) throw new Error("not a JPEG picture");
    const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
    const preview = await makePreview(blob, size.width, size.height, await budget);
    t2 = performance.now();
    if (preview) {
      const previewSha = hex(await crypto.subtle.digest("SHA-256", preview.bytes));
      keepOriginal(id, bytes, sha256);
      await sendPhoto(dc, id, preview.bytes, previewSha, preview.width, preview.height, {
        original_size: bytes.byteLength,
        original_sha256: sha256,
        original_width: size.width,
        original_height: size.height,
      });
      S.previewsSent += 1;
    } else {
      await sendPhoto(dc, id, bytes, sha256, size.width, size.height);
    }
    S.capturesSent += 1;
    S.lastCaptureSource = source;
    // Where the time went (the bench reads it): taking, hashing and the preview, sending.
    S.captureTimings = { still: t1 - t0, preview: t2 - t1, send: performance.now() - t2 };
    rememberThumb(id, blob);
    showStatus("", "", 0);
  } catch (exc) {
    S.capturesFailed += 1;
    dropOriginal(id); // its preview did not arrive: the engine will not ask for it
    console.warn("capture failed:", exc);
    send("photo_failed", { id, reason: String((exc && exc.message) || exc).slice(0, 500) || "failed" });
    showStatus(t("photo_failed"), "bad", 4000);
  } finally {
    S.capturing -= 1;
    pumpOriginals();
  }
}

function rememberThumb(id, blob) {
  S.thumbs.set(id, URL.createObjectURL(blob));
  while (S.thumbs.size > 4) {
    const [oldId, url] = S.thumbs.entries().next().value;
    if ($("thumb").getAttribute("src") !== url) URL.revokeObjectURL(url);
    S.thumbs.delete(oldId);
  }
}

function reasonText(reason) {
  if (typeof reason === "string") {
    return REASON_CODES.has(reason) ? t(`reason_${reason}`) : reason;
  }
  if (reason && typeof reason === "object") {
    for (const key of ["text", "message", "label"]) {
      const value = reason[key];
      if (typeof value === "string" && value) return value;
      if (value && typeof value === "object") {
        const localized = value[language()] || value.en || value.fr;
        if (typeof localized === "string") return localized;
      }
    }
    if (typeof reason.code === "string") {
      return REASON_CODES.has(reason.code) ? t(`reason_${reason.code}`) : reason.code;
    }
  }
  return null;
}

export function onCaptureResult(msg) {
  flash();
  const thumb = $("thumb");
  const url = S.thumbs.get(msg.id);
  if (url) {
    const previous = thumb.getAttribute("src");
    thumb.src = url;
    thumb.hidden = false;
    if (previous && previous !== url && ![...S.thumbs.values()].includes(previous)) {
      URL.revokeObjectURL(previous);
    }
  }
  thumb.classList.toggle("bad", msg.retake);
  thumb.classList.toggle("good", !msg.retake);
  const panel = $("retake");
  if (msg.retake) {
    $("retake-title").textContent = t("photo_retake");
    const items = msg.reasons
      .map(reasonText)
      .filter((text) => typeof text === "string" && text)
      .slice(0, 6)
      .map((text) => {
        const li = document.createElement("li");
        li.textContent = text.slice(0, 200);
        return li;
      });
    $("retake-reasons").replaceChildren(...items);
    panel.hidden = false;
    showStatus("", "", 0);
  } else {
    panel.hidden = true;
    showStatus(msg.stored ? t("photo_ok") : "", "ok", 2500);
  }
}
