"""What Chromium is made to look like before the page's own scripts run.

Every iPhone browser is WebKit, and WebKit cannot be driven here (Debian's
WebKitGTK is built without WebRTC). ``SAFARI`` gives Chromium an iPhone's
constraints instead, as an init script (Playwright's ``add_init_script``, that is
CDP ``Page.addScriptToEvaluateOnNewDocument``) run before the page:

* the offer carries **H264 only**, packetization-mode 1 first, as an iPhone's does
  (its encoder is hardware H264): every video transceiver gets
  ``setCodecPreferences`` with the H264 codecs (and their RTX) and
  ``RTCRtpSender.getCapabilities`` reports no other video codec. The encoding is
  real: Debian's Chromium carries OpenH264 (``window.__safari.sending()`` reads the
  codec and encoder from the page's own statistics);
* no ``ImageCapture`` (stills come from the video through a canvas), no
  ``navigator.wakeLock``, ``screen.orientation.lock`` rejects with
  ``NotSupportedError``, and the camera track reports no torch capability;
* a ``<video>`` plays only ``muted`` and ``playsinline`` (iOS refuses to autoplay
  sound and takes any other video full screen): ``play()`` rejects otherwise;
* ``window.__safari.background(endTrack)`` / ``.foreground()``: the page goes to
  the background and comes back. Headless Chromium cannot hide a page (no
  minimise, no tab switch changes ``document.visibilityState`` here, checked), so
  ``visibilityState``/``hidden`` are overridden and ``visibilitychange`` fired;
  ``endTrack`` also ends the camera's tracks the way older iOS did (``ended``).
  What current iOS does instead, muting the capture, cannot be produced on a
  Chromium track.

``CAMERA_BUSY``: ``getUserMedia`` fails with ``NotReadableError`` (another app
holds the camera; Chrome's own message) while ``window.__cameraBusy`` is true.
"""

from __future__ import annotations

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

SAFARI = r"""
(() => {
  const h264 = (c) => c.mimeType.toLowerCase() === "video/h264";
  const onlyH264 = (codecs) => {
    const chosen = codecs.filter(h264).sort((a, b) =>
      Number(!/packetization-mode=1/.test(a.sdpFmtpLine || "")) -
      Number(!/packetization-mode=1/.test(b.sdpFmtpLine || "")));
    const rtx = codecs.filter((c) => c.mimeType.toLowerCase() === "video/rtx");
    return [...chosen, ...rtx];
  };
  const senderCaps = RTCRtpSender.getCapabilities.bind(RTCRtpSender);
  RTCRtpSender.getCapabilities = (kind) => {
    const caps = senderCaps(kind);
    if (kind === "video" && caps) caps.codecs = onlyH264(caps.codecs);
    return caps;
  };
  const preferH264 = (transceiver) => {
    const track = transceiver && transceiver.sender && transceiver.sender.track;
    if (track && track.kind === "video") {
      transceiver.setCodecPreferences(onlyH264(senderCaps("video").codecs));
    }
    return transceiver;
  };
  const pcs = [];
  const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function (trackOrKind, init) {
    if (!pcs.includes(this)) pcs.push(this);
    return preferH264(addTransceiver.call(this, trackOrKind, init));
  };
  const addTrack = RTCPeerConnection.prototype.addTrack;
  RTCPeerConnection.prototype.addTrack = function (...args) {
    const sender = addTrack.apply(this, args);
    preferH264(this.getTransceivers().find((t) => t.sender === sender));
    return sender;
  };

  delete window.ImageCapture;
  delete Navigator.prototype.wakeLock;
  if (window.ScreenOrientation) {
    ScreenOrientation.prototype.lock = function () {
      const why = "Screen orientation lock is not supported";
      return Promise.reject(new DOMException(why, "NotSupportedError"));
    };
  }
  const getCapabilities = MediaStreamTrack.prototype.getCapabilities;
  MediaStreamTrack.prototype.getCapabilities = function () {
    const caps = getCapabilities.call(this);
    if (caps) delete caps.torch;
    return caps;
  };

  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    if (this instanceof HTMLVideoElement && (!this.muted || !this.playsInline)) {
      window.__safari.refusedPlays += 1;
      const why = "play() needs muted and playsinline";
      return Promise.reject(new DOMException(why, "NotAllowedError"));
    }
    return play.call(this);
  };

  const streams = [];
  const getUserMedia = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = async function (constraints) {
    const stream = await getUserMedia.call(this, constraints);
    streams.push(stream);
    return stream;
  };
  let hidden = false;
  const visibility = Object.getOwnPropertyDescriptor(Document.prototype, "visibilityState");
  const hiddenDesc = Object.getOwnPropertyDescriptor(Document.prototype, "hidden");
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get() { return hidden ? "hidden" : visibility.get.call(this); },
  });
  Object.defineProperty(Document.prototype, "hidden", {
    configurable: true,
    get() { return hidden || hiddenDesc.get.call(this); },
  });
  window.__safari = {
    refusedPlays: 0,
    /** What the newest peer connection sends: codec and encoder, from its statistics. */
    async sending() {
      const pc = pcs[pcs.length - 1];
      if (!pc) return null;
      const stats = await pc.getStats();
      for (const s of stats.values()) {
        if (s.type === "outbound-rtp" && s.kind === "video" && s.codecId) {
          const codec = stats.get(s.codecId);
          return { codec: codec && codec.mimeType, encoder: s.encoderImplementation,
                   frames: s.framesEncoded, width: s.frameWidth, height: s.frameHeight };
        }
      }
      return null;
    },
    openedStreams: () => streams.length,
    background(endTrack = false) {
      hidden = true;
      document.dispatchEvent(new Event("visibilitychange"));
      if (endTrack) {
        for (const stream of streams) {
          for (const track of stream.getTracks()) {
            if (track.readyState === "live") {
              track.stop();
              track.dispatchEvent(new Event("ended"));
            }
          }
        }
      }
    },
    foreground() {
      hidden = false;
      document.dispatchEvent(new Event("visibilitychange"));
    },
  };
})();
"""

CAMERA_BUSY = r"""
(() => {
  window.__cameraBusy = true;
  const getUserMedia = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = function (constraints) {
    if (window.__cameraBusy) {
      return Promise.reject(new DOMException("Could not start video source", "NotReadableError"));
    }
    return getUserMedia.call(this, constraints);
  };
})();
"""
