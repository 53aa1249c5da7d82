// The rear camera: opened at the best resolution it offers, taken again when
// the system ends it (iOS in the background), described to the engine, its
// torch, and full-resolution stills as JPEG bytes within the protocol's limits.

import { t } from "./i18n.js";
import * as P from "./protocol.js";
import { $, S } from "./state.js";

const CAMERA = {
  video: {
    facingMode: { ideal: "environment" },
    width: { ideal: 1920 },
    height: { ideal: 1080 },
  },
  audio: false,
};
const TAKE_PHOTO_TIMEOUT_MS = 8000;
const JPEG_QUALITY = 0.92;

export async function openCamera() {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(CAMERA);
  } catch (exc) {
    if (exc && exc.name === "OverconstrainedError") {
      stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    } else {
      throw exc;
    }
  }
  useStream(stream);
}

function useStream(stream) {
  const track = stream.getVideoTracks()[0];
  if (!track) throw Object.assign(new Error("no video track"), { name: "NotFoundError" });
  try {
    track.contentHint = "detail"; // keep the resolution, drop frames instead
  } catch {
    /* older browsers */
  }
  if (S.stream && S.stream !== stream) {
    for (const old of S.stream.getTracks()) old.stop();
  }
  S.stream = stream;
  S.track = track;
  track.addEventListener("ended", onTrackEnded);
  const caps = typeof track.getCapabilities === "function" ? track.getCapabilities() : {};
  S.torchSupported = Boolean(caps && caps.torch);
  S.torchOn = false;
  const video = $("camera");
  video.srcObject = stream;
  video.play().catch(() => {});
  renderTorch();
}

export async function onTrackEnded() {
  // iOS ends the camera when the page goes to the background: take it again.
  if (S.state === "done" || S.state === "error" || document.visibilityState !== "visible") return;
  try {
    await openCamera();
    if (S.sender) await S.sender.replaceTrack(S.track);
  } catch (exc) {
    console.warn("camera lost:", exc);
  }
}

/** The error screen for a getUserMedia failure. */
export function cameraErrorKind(exc) {
  const name = exc && exc.name;
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return "denied";
  }
  if (name === "TypeError") return "unsupported";
  // The camera exists but cannot start: another app (a video call, the camera app) holds
  // it. Chrome says NotReadableError (TrackStartError before), sometimes AbortError;
  // Safari says NotReadableError.
  if (["NotReadableError", "TrackStartError", "AbortError"].includes(name)) return "busy";
  return "nocamera"; // NotFoundError, OverconstrainedError
}

/** The camera as hello.camera tells the engine (and the test hooks show). */
export function cameraInfo() {
  const settings = S.track && typeof S.track.getSettings === "function" ? S.track.getSettings() : {};
  const video = $("camera");
  return {
    width: settings.width || video.videoWidth || 0,
    height: settings.height || video.videoHeight || 0,
    torch: S.torchSupported,
    image_capture: typeof ImageCapture !== "undefined",
  };
}

/** Stop the camera for good (the end, or a link that will never work). */
export function stopCamera() {
  if (S.stream) for (const track of S.stream.getTracks()) track.stop();
}

// ---- torch ------------------------------------------------------------------

export function renderTorch() {
  const button = $("torch");
  button.hidden = !S.torchSupported;
  button.setAttribute("aria-pressed", String(S.torchOn));
  const key = S.torchOn ? "torch_off" : "torch_on";
  button.dataset.i18nLabel = key;
  button.setAttribute("aria-label", t(key));
  button.title = t(key);
}

export async function setTorch(on) {
  S.torchRequested = on;
  if (!S.torchSupported || !S.track) return false;
  try {
    await S.track.applyConstraints({ advanced: [{ torch: on }] });
    S.torchOn = on;
  } catch (exc) {
    console.warn("torch:", exc);
  }
  renderTorch();
  return S.torchOn === on;
}

// ---- what is sent -------------------------------------------------------------

/**
 * The engine's `video` ask (a self-inspection, whose video only an analysis watches):
 * send at most `max_side` pixels on the longest side and `fps` frames a second. The
 * sender scales and drops frames; the camera keeps its size, so stills do too.
 */
export async function limitVideo(msg) {
  S.videoLimit = { max_side: msg.max_side, fps: msg.fps, applied: null };
  const sender = S.sender;
  if (!sender || typeof sender.getParameters !== "function") return;
  const settings = S.track && typeof S.track.getSettings === "function" ? S.track.getSettings() : {};
  const longest = Math.max(settings.width || 0, settings.height || 0);
  const scale = longest > msg.max_side ? longest / msg.max_side : 1;
  try {
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) return; // not negotiated yet
    for (const encoding of params.encodings) {
      encoding.scaleResolutionDownBy = scale;
      encoding.maxFramerate = msg.fps;
    }
    await sender.setParameters(params);
    const applied = sender.getParameters().encodings[0];
    S.videoLimit.applied = {
      scaleResolutionDownBy: applied.scaleResolutionDownBy,
      maxFramerate: applied.maxFramerate,
    };
  } catch (exc) {
    console.info("video limit not applied:", exc && exc.message);
  }
}

// ---- stills -----------------------------------------------------------------

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Width and height from a JPEG's SOF marker (what Pillow reports), or null. */
export function jpegSize(bytes) {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 8 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i += 1;
      continue;
    }
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    const sof = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (sof) {
      return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8] };
    }
    if (length < 2) return null;
    i += 2 + length;
  }
  return null;
}

function canvasToJpeg(canvas, quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error("JPEG encoding failed"))),
      "image/jpeg",
      quality,
    );
  });
}

async function encodeJpeg(source, width, height) {
  let w = width;
  let h = height;
  const scale = Math.min(1, P.MAX_PHOTO_SIDE / Math.max(w, h));
  w = Math.round(w * scale);
  h = Math.round(h * scale);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  canvas.getContext("2d").drawImage(source, 0, 0, w, h);
  let quality = JPEG_QUALITY;
  let blob = await canvasToJpeg(canvas, quality);
  while (blob.size > P.MAX_PHOTO_BYTES && quality > 0.5) {
    quality -= 0.15;
    blob = await canvasToJpeg(canvas, quality);
  }
  return blob;
}

/** A full-resolution still: ImageCapture.takePhoto() when it works, else a video frame. */
export async function takeStill() {
  // Paused while the page is in the background (lifecycle.js), or ended by the system:
  // no picture of whatever the phone now sees, and no black one either.
  if (S.track && (!S.track.enabled || S.track.readyState !== "live")) throw new Error("camera paused");
  if (typeof ImageCapture !== "undefined" && S.track && S.track.readyState === "live") {
    try {
      const photo = await withTimeout(new ImageCapture(S.track).takePhoto(), TAKE_PHOTO_TIMEOUT_MS, "takePhoto");
      if (photo && photo.size > 0) {
        let blob = photo;
        if (blob.type !== "image/jpeg" || blob.size > P.MAX_PHOTO_BYTES) {
          const bitmap = await createImageBitmap(blob);
          blob = await encodeJpeg(bitmap, bitmap.width, bitmap.height);
          bitmap.close();
        }
        return { blob, source: "take_photo" };
      }
    } catch (exc) {
      console.warn("takePhoto failed, using a video frame:", exc);
    }
  }
  const video = $("camera");
  if (!video.videoWidth || !video.videoHeight) throw new Error("no video frame available");
  const blob = await encodeJpeg(video, video.videoWidth, video.videoHeight);
  return { blob, source: "video_frame" };
}
