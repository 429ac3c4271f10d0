// Qoltanba signing client: the only script of its pages (no inline script is allowed).
// The liveness step films a few frames and sends them; the face-match step submits itself.
"use strict";

(function () {
  const FRAME_COUNT = 5;
  const FRAME_INTERVAL_MS = 250;

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then((response) => response.json().then((answer) => {
      if (!response.ok || !answer.next) { throw new Error(answer.detail || "request failed"); }
      return answer.next;
    }));
  }

  function go(next) { window.location.assign(next); }

  function waitForVideo(video) {
    return new Promise((resolve) => {
      if (video.readyState >= 2 && video.videoWidth > 0) { resolve(); return; }
      video.addEventListener("loadeddata", () => resolve(), { once: true });
    });
  }

  function capture(video, canvas) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return canvas.toDataURL("image/jpeg", 0.85).split(",")[1];
  }

  function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  async function liveness(root) {
    const video = root.querySelector("video");
    const status = document.querySelector("[data-status]");
    const giveUp = document.querySelector("[data-action=close]");
    let done = false;
    const close = () => {
      if (done) { return; }
      done = true;
      post(root.dataset.closed, {}).then(go, () => window.location.reload());
    };
    giveUp.addEventListener("click", close);
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    } catch (error) {
      close();
      return;
    }
    video.srcObject = stream;
    await waitForVideo(video);
    status.textContent = root.dataset.textCapturing;
    const canvas = document.createElement("canvas");
    const frames = [];
    for (let i = 0; i < FRAME_COUNT; i += 1) {
      frames.push(capture(video, canvas));
      await sleep(FRAME_INTERVAL_MS);
    }
    stream.getTracks().forEach((track) => track.stop());
    if (done) { return; }
    done = true;
    status.textContent = root.dataset.textSending;
    post(root.dataset.frames, { frames: frames }).then(go, () => window.location.reload());
  }

  document.addEventListener("DOMContentLoaded", () => {
    const camera = document.querySelector("[data-liveness]");
    if (camera) { liveness(camera); }
    const form = document.querySelector("form[data-auto-submit]");
    if (form) { form.submit(); }
    document.querySelectorAll("form").forEach((each) => {
      each.addEventListener("submit", () => {
        each.querySelectorAll("button").forEach((button) => { button.disabled = true; });
      });
    });
  });
})();
