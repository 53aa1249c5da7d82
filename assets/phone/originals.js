// A preview first, the original after (issue 15, docs/LIVE_LINK.md "Previews and
// originals"). A large still is sent as a small preview (PREVIEW_SIDE px on its
// longest side) whose header names the original; the quality verdict comes from the
// preview within about a second. The original stays here, in memory, and goes on the
// "originals" channel in the background when the engine asks for it
// (original_status "wanted", from byte `have`: after a reconnection only what the
// engine lacks is sent). A still being taken always goes first: originals wait.
// While any original is on its way the page shows how far it is, and the final
// screen says "finishing" and keeps the link until the last one is in.

import { linkLost, send, waitBufferLow } from "./connection.js";
import { t } from "./i18n.js";
import * as P from "./protocol.js";
import { $, S } from "./state.js";

export const PREVIEW_SIDE = 1600;
// [longest side, JPEG quality, about how many bytes a phone's photo gives]: the first
// expected to fit the link's budget is drawn (the next ones only if it does not fit).
// The smallest stays over the 640 px the sharpness is measured at.
const PREVIEW_STEPS = [
  [PREVIEW_SIDE, 0.8, 250000],
  [1280, 0.7, 120000],
  [1024, 0.6, 60000],
];
const PREVIEW_MIN_BYTES = 400000; // a smaller still is sent whole
const BUDGET_SECONDS = 1.5; // a preview should cross the uplink in about this long
const BUDGET_MIN = 60000;
const BUDGET_MAX = 400000;

/** The bytes a preview may have: about BUDGET_SECONDS of the uplink the browser's
 * congestion control estimates now (the selected pair's availableOutgoingBitrate). */
export async function previewBudget() {
  const pc = S.pc;
  if (!pc || typeof pc.getStats !== "function") return BUDGET_MAX;
  try {
    let bitrate = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === "candidate-pair" && r.nominated && r.availableOutgoingBitrate) {
        bitrate = Math.max(bitrate, r.availableOutgoingBitrate);
      }
    });
    if (!bitrate) return BUDGET_MAX;
    return Math.round(Math.min(BUDGET_MAX, Math.max(BUDGET_MIN, (bitrate / 8) * BUDGET_SECONDS)));
  } catch {
    return BUDGET_MAX;
  }
}

async function encode(bitmap, side, quality) {
  const scale = side / Math.max(bitmap.width, bitmap.height);
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  let out;
  if (typeof OffscreenCanvas === "function") {
    const canvas = new OffscreenCanvas(w, h);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, w, h);
    out = await canvas.convertToBlob({ type: "image/jpeg", quality });
  } else {
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, w, h);
    out = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  }
  return { out, w, h };
}

/** A JPEG preview of the still within `budget` bytes if it can (else the smallest
 * tried), or null when the still is small enough to send whole. */
export async function makePreview(blob, width, height, budget = BUDGET_MAX) {
  if (blob.size < PREVIEW_MIN_BYTES || Math.max(width, height) <= PREVIEW_SIDE) return null;
  if (typeof createImageBitmap !== "function") return null;
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(blob); // EXIF orientation applied: the preview is upright
    let made = null;
    const first = PREVIEW_STEPS.findIndex(([, , expected]) => expected <= budget);
    for (const [side, quality] of PREVIEW_STEPS.slice(first < 0 ? PREVIEW_STEPS.length - 1 : first)) {
      made = await encode(bitmap, side, quality);
      if (!made.out || made.out.size <= budget) break;
    }
    if (!made || !made.out || made.out.size >= blob.size) return null; // no gain
    S.previewBudget = budget;
    return { bytes: await made.out.arrayBuffer(), width: made.w, height: made.h };
  } catch (exc) {
    console.info("no preview, the still goes whole:", exc && exc.message);
    return null;
  } finally {
    if (bitmap) bitmap.close();
  }
}

/** Keep an original whose preview was sent: it goes when the engine wants it. */
export function keepOriginal(id, bytes, sha256) {
  S.originals.set(id, { bytes, sha256, size: bytes.byteLength, sent: 0, state: "waiting" });
  renderUploads();
}

export function dropOriginal(id) {
  if (S.originals.delete(id)) renderUploads(true);
}

export function originalsPending() {
  return S.originals.size;
}

/** The engine's word on one original. Returns true when that settled the last one. */
export function onOriginalStatus(msg) {
  const entry = S.originals.get(msg.id);
  if (msg.state === "wanted") {
    if (!entry) {
      // The page was reloaded since: the preview stays the photo.
      send("original_lost", { id: msg.id, reason: "this page no longer holds the original" });
      return false;
    }
    entry.state = "wanted"; // a transfer of it in progress stops and starts again from `have`
    entry.sent = Math.min(msg.have, entry.size);
    renderUploads();
    pumpOriginals();
    return false;
  }
  if (!entry) return false;
  S.originals.delete(msg.id);
  if (msg.state === "done") S.uploadsDone += 1;
  else if (msg.state === "failed") S.uploadsFailed += 1;
  const settled = S.originals.size === 0;
  if (settled) {
    S.uploadsDone = 0;
    S.uploadsFailed = 0;
  }
  renderUploads();
  return settled;
}

/** A new link: what was on its way waits for the engine to say where it stands. */
export function originalsLinkReset() {
  for (const entry of S.originals.values()) entry.state = "waiting";
}

let pumping = false;

/** Send the wanted originals one after the other while the link is up. */
export async function pumpOriginals() {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      const channel = S.originalsChannel;
      if (!channel || channel.readyState !== "open" || S.capturing > 0 || S.muted) return;
      if (S.originalsPaused) return;
      const next = [...S.originals.entries()].find(([, entry]) => entry.state === "wanted");
      if (!next) return;
      await sendOriginal(channel, next[0], next[1]);
    }
  } finally {
    pumping = false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function sendOriginal(channel, id, entry) {
  entry.state = "sending";
  const open = () => channel === S.originalsChannel && channel.readyState === "open" && !S.muted;
  channel.bufferedAmountLowThreshold = P.ORIGINAL_MAX_BUFFERED / 2;
  let offset = entry.sent;
  try {
    channel.send(P.encode("original_begin", { id, offset }));
    while (offset < entry.size) {
      if (entry.state !== "sending" || !open()) return; // asked again, or the link went
      if (S.capturing > 0 || S.originalsPaused) {
        await sleep(50); // a still goes first
        continue;
      }
      if (channel.bufferedAmount >= P.ORIGINAL_MAX_BUFFERED) {
        await waitBufferLow(channel);
        continue;
      }
      const end = Math.min(entry.size, offset + P.CHUNK_SIZE);
      channel.send(entry.bytes.slice(offset, end));
      S.originalBytesSent = (S.originalBytesSent || 0) + (end - offset);
      offset = end;
      entry.sent = offset;
      renderUploads();
      if (S.dropOriginalsAt !== null && S.originalBytesSent >= S.dropOriginalsAt) {
        S.dropOriginalsAt = null; // the test hook's drop, once
        linkLost("dropped for test");
        return;
      }
    }
    if (entry.state === "sending") entry.state = "sent"; // the engine says "done" once stored
  } catch (exc) {
    console.info("original paused:", exc && exc.message);
    if (entry.state === "sending") entry.state = "waiting";
  }
}

let lastRender = 0;

/** "Sending the full-size photos 2 / 5 · 40 %" on the live view and the final screen. */
export function renderUploads(force = false) {
  const now = performance.now();
  if (!force && now - lastRender < 250 && S.originals.size > 0) return;
  lastRender = now;
  const pending = [...S.originals.values()];
  const total = pending.length + S.uploadsDone + S.uploadsFailed;
  const done = S.uploadsDone + S.uploadsFailed;
  const size = pending.reduce((sum, e) => sum + e.size, 0);
  const sent = pending.reduce((sum, e) => sum + e.sent, 0);
  const percent = size ? Math.floor((100 * sent) / size) : 100;
  const params = { done, total, percent };
  const live = $("uploads");
  live.hidden = pending.length === 0;
  live.textContent = pending.length ? t("uploads_progress", params) : "";
  const final = $("done-uploads");
  final.hidden = pending.length === 0;
  final.textContent = pending.length ? t("uploads_finishing", params) : "";
  $("done-close").hidden = pending.length > 0;
}
