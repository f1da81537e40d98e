/* lossviz explore: the page. Reads #lv-data, recomputes with LossvizMaths on every
 * change, redraws once, keeps its state in the URL hash and exposes window.lossviz. */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("lv-data").textContent);
  const M = window.LossvizMaths;
  const $ = (id) => document.getElementById(id);
  const model = D.model;
  const [xmin, xmax, ymin, ymax] = model.window;
  const PLOT = D.plot; // {left, top, width, height} inside the canvas, in CSS pixels
  const runsInfo = D.runs; // [{label, name, color, marker, keys: [...], given, schedule}]

  // --- state ----------------------------------------------------------------------------
  const initial = () => ({
    start: model.start.slice(),
    steps: model.steps,
    step: model.steps,
    params: model.runs.map((r) => Object.assign({}, r.params)),
    on: model.runs.map(() => true),
  });
  let S = initial();
  let results = [];
  let lastUpdateMs = 0;
  const rec = M.recorder(model);

  const clampSteps = (n) => Math.max(1, Math.min(model.maxSteps, Math.round(n)));

  function currentModel() {
    return Object.assign({}, model, {
      start: S.start,
      steps: S.steps,
      runs: model.runs.map((r, i) => Object.assign({}, r, { params: S.params[i] })),
    });
  }

  // --- numbers as Python writes them (repr): what lossviz trace prints ------------------
  function pyRepr(x) {
    if (x === null || x === undefined) return "";
    if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    const [mant, expText] = x.toExponential().split("e");
    const exp = Number(expText);
    if (exp >= -4 && exp < 16) {
      const text = String(x);
      return /[.e]/.test(text) ? text : text + ".0";
    }
    return mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
  }
  // A hyperparameter as the spec text takes it (%g-like, short).
  function short(x) {
    if (Number.isInteger(x)) return String(x);
    return String(Number(x.toPrecision(6)));
  }

  // %g as Python writes it: 6 significant digits, exponent below 1e-4 or from 1e6.
  function fmtG(v) {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const [mant, e] = Number(v.toPrecision(6)).toExponential().split("e");
    const exp = Number(e);
    if (exp < -4 || exp >= 6) return mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    return String(Number(v.toPrecision(6)));
  }
  // The legend labels, as specs.py's labels_for gives them for the current values.
  function labels() {
    const values = runsInfo.map((info, i) => Object.assign({}, S.params[i], info.schedule));
    const out = runsInfo.map((info, i) => {
      if (info.label !== null) return info.label;
      const same = runsInfo.map((o, j) => j).filter((j) => runsInfo[j].name === info.name && runsInfo[j].label === null);
      if (same.length === 1) return info.name;
      const keys = Object.keys(values[i]).filter((k) => new Set(same.map((j) => String(values[j][k]))).size > 1);
      const text = keys.filter((k) => info.keys.includes(k) || k in info.schedule).map((k) => k + "=" + (k in info.schedule ? info.schedule[k] : fmtG(values[i][k]))).join(" ");
      return (info.name + " " + text).trim();
    });
    const taken = new Set(out), used = new Set();
    return out.map((label) => {
      let text = label, n = 1;
      while (used.has(text)) { n += 1; text = label + " #" + n; if (taken.has(text)) text = label; }
      used.add(text);
      return text;
    });
  }

  // --- geometry ---------------------------------------------------------------------------
  const toPx = (x, y) => [
    PLOT.left + ((x - xmin) / (xmax - xmin)) * PLOT.width,
    PLOT.top + ((ymax - y) / (ymax - ymin)) * PLOT.height,
  ];
  const toData = (u, v) => [
    xmin + ((u - PLOT.left) / PLOT.width) * (xmax - xmin),
    ymax - ((v - PLOT.top) / PLOT.height) * (ymax - ymin),
  ];

  // --- drawing ----------------------------------------------------------------------------
  const canvas = $("lv-plot"), lossCanvas = $("lv-loss");
  const backdrop = $("lv-backdrop");
  function setup(c) {
    const ratio = window.devicePixelRatio || 1;
    const w = Number(c.getAttribute("width")), h = Number(c.getAttribute("height"));
    c.style.width = w + "px";
    c.style.height = h + "px";
    c.width = Math.round(w * ratio);
    c.height = Math.round(h * ratio);
    const ctx = c.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { ctx, w, h };
  }
  const plot = setup(canvas), loss = setup(lossCanvas);

  // A marker's outline as a closed subpath of the current path (fresh: a new path).
  function marker(ctx, kind, x, y, r, fresh = true) {
    if (fresh) ctx.beginPath();
    if (kind === "o") { ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); }
    else if (kind === "s") ctx.rect(x - r * 0.85, y - r * 0.85, 1.7 * r, 1.7 * r);
    else if (kind === "D") { ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r, y); }
    else if (kind === "^") { ctx.moveTo(x, y - r * 1.15); ctx.lineTo(x + r, y + r * 0.8); ctx.lineTo(x - r, y + r * 0.8); }
    else if (kind === "v") { ctx.moveTo(x, y + r * 1.15); ctx.lineTo(x + r, y - r * 0.8); ctx.lineTo(x - r, y - r * 0.8); }
    else if (kind === "P" || kind === "X") {
      const a = r * 0.38, b = r * 1.05;
      const pts = [[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a], [a, b], [-a, b], [-a, a], [-b, a], [-b, -a], [-a, -a]];
      const rot = kind === "X" ? Math.PI / 4 : 0, c = Math.cos(rot), s = Math.sin(rot);
      pts.forEach(([px, py], i) => {
        const qx = x + px * c - py * s, qy = y + px * s + py * c;
        if (i === 0) ctx.moveTo(qx, qy); else ctx.lineTo(qx, qy);
      });
    } else { ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); }
    ctx.closePath();
  }

  function ticks(lo, hi, n) {
    const span = hi - lo, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => span / s <= n) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Math.abs(v) < 1e-12 * span ? 0 : v);
    return out;
  }

  function drawPlot() {
    const { ctx, w, h } = plot;
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(backdrop, PLOT.left, PLOT.top, PLOT.width, PLOT.height);
    ctx.strokeStyle = D.theme.grid;
    ctx.lineWidth = 1;
    ctx.strokeRect(PLOT.left - 0.5, PLOT.top - 0.5, PLOT.width + 1, PLOT.height + 1);
    ctx.fillStyle = D.theme.muted;
    ctx.font = "13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of ticks(xmin, xmax, 8)) {
      const [u] = toPx(v, ymin);
      ctx.fillRect(u, PLOT.top + PLOT.height, 1, 4);
      ctx.fillText(String(Number(v.toPrecision(6))), u, PLOT.top + PLOT.height + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks(ymin, ymax, 6)) {
      const [, y] = toPx(xmin, v);
      ctx.fillRect(PLOT.left - 4, y, 4, 1);
      ctx.fillText(String(Number(v.toPrecision(6))), PLOT.left - 7, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(D.axisLabels[0], PLOT.left + PLOT.width / 2, h - 1);
    ctx.save();
    ctx.translate(12, PLOT.top + PLOT.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(D.axisLabels[1], 0, 0);
    ctx.restore();

    ctx.save();
    ctx.beginPath();
    ctx.rect(PLOT.left, PLOT.top, PLOT.width, PLOT.height);
    ctx.clip();
    // trails up to the step shown, then the balls
    results.forEach((r, i) => {
      if (!S.on[i]) return;
      const info = runsInfo[i], last = Math.min(S.step, r.last);
      ctx.strokeStyle = info.color;
      ctx.lineWidth = 2.2;
      ctx.lineJoin = ctx.lineCap = "round";
      ctx.beginPath();
      for (let t = 0; t <= last; t++) {
        const [u, v] = toPx(r.positions[2 * t], r.positions[2 * t + 1]);
        if (t === 0) ctx.moveTo(u, v); else ctx.lineTo(u, v);
      }
      ctx.stroke();
      ctx.fillStyle = info.color;
      ctx.beginPath();
      for (let t = 1; t <= last; t++) {
        const [u, v] = toPx(r.positions[2 * t], r.positions[2 * t + 1]);
        marker(ctx, info.marker, u, v, 2.2, false);
      }
      ctx.fill();
    });
    results.forEach((r, i) => {
      if (!S.on[i]) return;
      const info = runsInfo[i], t = Math.min(S.step, r.last);
      const [u, v] = toPx(r.positions[2 * t], r.positions[2 * t + 1]);
      marker(ctx, info.marker, u, v, 8);
      ctx.fillStyle = info.color;
      ctx.fill();
      ctx.lineWidth = 1.6;
      ctx.strokeStyle = D.theme.ballEdge;
      ctx.stroke();
    });
    ctx.restore();
    // the start: a ring, the handle to drag
    const [su, sv] = toPx(S.start[0], S.start[1]);
    ctx.beginPath();
    ctx.arc(su, sv, 9, 0, 2 * Math.PI);
    ctx.lineWidth = 2;
    ctx.strokeStyle = D.theme.text;
    ctx.stroke();
    if (document.activeElement === canvas) {
      ctx.beginPath();
      ctx.arc(su, sv, 13, 0, 2 * Math.PI);
      ctx.setLineDash([3, 3]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  function drawLoss() {
    const { ctx, w, h } = loss;
    const L = 56, R = 10, T = 8, B = 26, W = w - L - R, H = h - T - B;
    ctx.clearRect(0, 0, w, h);
    let lo = Infinity, hi = -Infinity;
    // the gap to the known minimum, else to the lowest loss any shown run reaches
    let floor = D.lossFloor;
    if (floor === null) {
      floor = Infinity;
      results.forEach((r, i) => { if (S.on[i]) for (let t = 0; t <= r.last; t++) floor = Math.min(floor, r.losses[t]); });
      if (!Number.isFinite(floor)) floor = 0;
    }
    const gap = (v) => v - floor;
    results.forEach((r, i) => {
      if (!S.on[i]) return;
      for (let t = 0; t <= r.last; t++) {
        const g = gap(r.losses[t]);
        if (g > 0) { lo = Math.min(lo, g); hi = Math.max(hi, g); }
      }
    });
    ctx.strokeStyle = D.theme.grid;
    ctx.strokeRect(L - 0.5, T - 0.5, W + 1, H + 1);
    ctx.fillStyle = D.theme.muted;
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText("step", L + W / 2, T + H + 12);
    ctx.fillText("0", L, T + H + 2);
    ctx.fillText(String(S.steps), L + W, T + H + 2);
    if (!(hi > 0)) return;
    lo = Math.max(lo, hi * 1e-16);
    let a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi));
    if (b <= a) b = a + 1;
    const X = (t) => L + (t / S.steps) * W, Y = (g) => T + H - ((Math.log10(Math.max(g, lo)) - a) / (b - a)) * H;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const every = Math.max(1, Math.ceil((b - a) / 5));
    for (let e = a; e <= b; e += every) {
      ctx.fillText("1e" + e, L - 4, Y(Math.pow(10, e)));
    }
    ctx.save();
    ctx.translate(10, T + H / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.fillText(D.lossFloor === null ? "loss − lowest" : "loss − min", 0, 0);
    ctx.restore();
    results.forEach((r, i) => {
      if (!S.on[i]) return;
      ctx.strokeStyle = runsInfo[i].color;
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      for (let t = 0; t <= r.last; t++) {
        const x = X(t), y = Y(gap(r.losses[t]));
        if (t === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      ctx.stroke();
    });
    ctx.strokeStyle = D.theme.text;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(X(S.step) + 0.5, T);
    ctx.lineTo(X(S.step) + 0.5, T + H);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // --- readouts ---------------------------------------------------------------------------
  function readout() {
    const names = labels();
    names.forEach((name, i) => { runsInfo[i].legend = name; $("lv-name-" + i).textContent = name; });
    $("lv-step").textContent = String(S.step);
    $("lv-total").textContent = String(S.steps);
    const scrub = $("lv-scrub");
    scrub.max = String(S.steps);
    scrub.value = String(S.step);
    scrub.setAttribute("aria-valuetext", "step " + S.step + " of " + S.steps);
    results.forEach((r, i) => {
      const cell = $("lv-loss-" + i);
      const diverged = r.diverged !== null && S.step >= r.diverged;
      cell.textContent = diverged ? "diverged at step " + r.diverged : pyRepr(r.losses[Math.min(S.step, r.last)]);
      cell.classList.toggle("diverged", diverged);
      $("lv-run-" + i).classList.toggle("off", !S.on[i]);
    });
    $("lv-command").value = command();
    $("lv-timing").textContent = lastUpdateMs.toFixed(1) + " ms";
    if (theoryInfo) drawTheory();
  }

  function specText(i) {
    const info = runsInfo[i], p = S.params[i];
    const items = info.keys.map((k) => k + "=" + String(p[k]));
    for (const [k, v] of Object.entries(info.schedule)) items.push(k + "=" + v);
    if (info.label !== null) items.push("label=" + info.label);
    return info.name + (items.length ? ":" + items.join(",") : "");
  }
  const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\"'\"'") + "'");
  function command() {
    const words = ["lossviz", "render", "-s", quote(D.surfaceSpec)];
    model.runs.forEach((r, i) => { if (S.on[i]) words.push("-O", quote(specText(i))); });
    words.push("--start=" + String(S.start[0]) + "," + String(S.start[1]), "--steps", String(S.steps));
    if (model.seed) words.push("--seed", String(model.seed));
    for (const w of D.extraArgs) words.push(quote(w));
    words.push("-o", quote(D.outputName));
    return words.join(" ");
  }

  // --- the one update: recompute, redraw, remember ---------------------------------------
  function update(recompute) {
    const t0 = performance.now();
    if (recompute) results = rec.record(currentModel());
    S.step = Math.max(0, Math.min(S.step, S.steps));
    drawPlot();
    drawLoss();
    readout();
    lastUpdateMs = performance.now() - t0;
    $("lv-timing").textContent = lastUpdateMs.toFixed(1) + " ms";
    writeHash();
    // In a notebook widget (an iframe), the state goes up to the widget, and to Python.
    if (window.parent !== window && window.lossviz) {
      window.parent.postMessage({ type: "lossviz-state", state: window.lossviz.state() }, "*");
    }
  }

  // --- sliders ----------------------------------------------------------------------------
  const sliders = []; // {run, key, input, out, to(pos), from(value)}
  function makeSlider(i, spec) {
    const input = $("lv-p-" + i + "-" + spec.key), out = $("lv-v-" + i + "-" + spec.key);
    let to, from;
    if (spec.scale === "log") {
      to = (pos) => { const v = Math.pow(10, pos); return spec.integer ? Math.round(v) : Number(v.toPrecision(3)); };
      from = (v) => Math.log10(v);
    } else {
      to = (pos) => (spec.integer ? Math.round(pos) : Number(Number(pos).toPrecision(4)));
      from = (v) => v;
    }
    const s = { run: i, key: spec.key, input, out, to, from };
    input.addEventListener("input", () => {
      S.params[i][spec.key] = to(Number(input.value));
      out.textContent = short(S.params[i][spec.key]);
      update(true);
    });
    sliders.push(s);
  }
  function syncSliders() {
    for (const s of sliders) {
      const v = S.params[s.run][s.key];
      s.input.value = String(s.from(v));
      s.out.textContent = short(v);
    }
    $("lv-steps").value = String(S.steps);
    $("lv-steps-out").textContent = String(S.steps);
    runsInfo.forEach((_, i) => { $("lv-on-" + i).checked = S.on[i]; });
  }
  D.controls.forEach((specs, i) => specs.forEach((spec) => makeSlider(i, spec)));

  $("lv-steps").addEventListener("input", (e) => {
    const old = S.steps;
    S.steps = clampSteps(Number(e.target.value));
    if (S.step === old) S.step = S.steps;
    $("lv-steps-out").textContent = String(S.steps);
    update(true);
  });
  $("lv-scrub").addEventListener("input", (e) => { stop(); S.step = Number(e.target.value); update(false); });
  runsInfo.forEach((_, i) => {
    $("lv-on-" + i).addEventListener("change", (e) => { S.on[i] = e.target.checked; update(false); });
  });
  $("lv-reset").addEventListener("click", () => { stop(); S = initial(); syncSliders(); update(true); });
  $("lv-copy").addEventListener("click", () => {
    const box = $("lv-command");
    box.select();
    const done = () => { $("lv-copy").textContent = "Copied"; setTimeout(() => { $("lv-copy").textContent = "Copy"; }, 1200); };
    if (navigator.clipboard) navigator.clipboard.writeText(box.value).then(done, () => { document.execCommand("copy"); done(); });
    else { document.execCommand("copy"); done(); }
  });

  // --- play / pause -----------------------------------------------------------------------
  let playing = null;
  function stop() {
    if (playing !== null) cancelAnimationFrame(playing);
    playing = null;
    $("lv-play").textContent = "Play";
    $("lv-play").setAttribute("aria-label", "Play");
  }
  function play() {
    if (S.step >= S.steps) S.step = 0;
    let before = performance.now(), carry = 0;
    const rate = Math.max(10, S.steps / 6); // steps per second: a run plays in about 6 s
    const tick = (now) => {
      carry += ((now - before) / 1000) * rate;
      before = now;
      const n = Math.floor(carry);
      if (n > 0) { carry -= n; S.step = Math.min(S.steps, S.step + n); update(false); }
      if (S.step >= S.steps) { stop(); return; }
      playing = requestAnimationFrame(tick);
    };
    $("lv-play").textContent = "Pause";
    $("lv-play").setAttribute("aria-label", "Pause");
    playing = requestAnimationFrame(tick);
  }
  $("lv-play").addEventListener("click", () => (playing === null ? play() : stop()));

  // --- the start: click, drag, or arrow keys on the focused plot -------------------------
  let dragging = false;
  function moveStartTo(event) {
    const box = canvas.getBoundingClientRect();
    const u = Math.max(PLOT.left, Math.min(PLOT.left + PLOT.width, event.clientX - box.left));
    const v = Math.max(PLOT.top, Math.min(PLOT.top + PLOT.height, event.clientY - box.top));
    const [x, y] = toData(u, v);
    S.start = [Number(x.toPrecision(4)), Number(y.toPrecision(4))];
    update(true);
  }
  canvas.addEventListener("pointerdown", (e) => {
    dragging = true;
    canvas.setPointerCapture(e.pointerId);
    stop();
    moveStartTo(e);
  });
  canvas.addEventListener("pointermove", (e) => { if (dragging) moveStartTo(e); });
  const release = () => { dragging = false; };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("focus", () => drawPlot());
  canvas.addEventListener("blur", () => drawPlot());
  canvas.addEventListener("keydown", (e) => {
    const dx = (xmax - xmin) / 100, dy = (ymax - ymin) / 100, k = e.shiftKey ? 10 : 1;
    const moves = { ArrowLeft: [-dx, 0], ArrowRight: [dx, 0], ArrowUp: [0, dy], ArrowDown: [0, -dy] };
    if (!(e.key in moves)) return;
    const [mx, my] = moves[e.key];
    S.start = [Number((S.start[0] + k * mx).toPrecision(4)), Number((S.start[1] + k * my).toPrecision(4))];
    e.preventDefault();
    update(true);
  });
  document.addEventListener("keydown", (e) => {
    const t = e.target;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLButtonElement || t === canvas) return;
    if (e.key === " " || e.key === "k") { playing === null ? play() : stop(); e.preventDefault(); }
    else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      stop();
      S.step = Math.max(0, Math.min(S.steps, S.step + (e.key === "ArrowLeft" ? -1 : 1)));
      update(false);
      e.preventDefault();
    }
  });

  // --- the URL hash -----------------------------------------------------------------------
  function hashText() {
    const q = new URLSearchParams();
    q.set("start", String(S.start[0]) + "," + String(S.start[1]));
    q.set("steps", String(S.steps));
    q.set("step", String(S.step));
    S.params.forEach((p, i) => {
      q.set("r" + i, runsInfo[i].keys.map((k) => k + ":" + String(p[k])).join(","));
    });
    const off = S.on.map((on, i) => (on ? null : i)).filter((i) => i !== null);
    if (off.length) q.set("off", off.join(","));
    return "#" + q.toString();
  }
  function writeHash() {
    const text = hashText();
    try {
      if (location.hash !== text) history.replaceState(null, "", text);
    } catch (error) {
      // a page without a URL of its own (a widget's srcdoc frame) keeps no hash
    }
  }
  function readHash() {
    const q = new URLSearchParams(location.hash.slice(1));
    const num = (v) => { const n = Number(v); return Number.isFinite(n) ? n : null; };
    if (q.has("start")) {
      const [x, y] = q.get("start").split(",").map(num);
      if (x !== null && y !== null) S.start = [x, y];
    }
    if (q.has("steps") && num(q.get("steps")) !== null) S.steps = clampSteps(num(q.get("steps")));
    S.step = q.has("step") && num(q.get("step")) !== null ? num(q.get("step")) : S.steps;
    runsInfo.forEach((info, i) => {
      if (!q.has("r" + i)) return;
      for (const item of q.get("r" + i).split(",")) {
        const [k, v] = item.split(":");
        if (info.keys.includes(k) && num(v) !== null) S.params[i][k] = checked(i, k, num(v));
      }
    });
    if (q.has("off")) for (const i of q.get("off").split(",").map(Number)) if (i in S.on) S.on[i] = false;
  }
  // A value within the bounds its hyperparameter allows (specs.py), else the old one.
  function checked(i, key, v) {
    const b = D.bounds[key];
    if (!b) return v;
    const ok = (b.min === null || (b.minOpen ? v > b.min : v >= b.min)) && (b.max === null || (b.maxOpen ? v < b.max : v <= b.max));
    if (!ok) return S.params[i][key];
    return b.integer ? Math.round(v) : v;
  }
  window.addEventListener("hashchange", () => { readHash(); syncSliders(); update(true); });

  // --- theory for quadratics --------------------------------------------------------------
  const theoryInfo = D.theory;
  function theory() {
    if (!theoryInfo) return null;
    const [l1, l2] = theoryInfo.eigenvalues, kappa = l2 / l1;
    const sk = Math.sqrt(kappa);
    return {
      kappa,
      gd: { optimalLr: 2 / (l1 + l2), rate: (kappa - 1) / (kappa + 1) },
      momentum: {
        optimalLr: Math.pow(2 / (Math.sqrt(l1) + Math.sqrt(l2)), 2),
        optimalBeta: Math.pow((sk - 1) / (sk + 1), 2),
        rate: (sk - 1) / (sk + 1),
      },
    };
  }
  // The convergence rate of momentum (beta 0: gd) at (lr, beta): the largest root modulus
  // of z² − (1 + β − lr·λ) z + β over both eigenvalues; and whether a root is complex.
  function momentumRate(lr, beta) {
    let rate = 0, complex = false;
    for (const l of theoryInfo.eigenvalues) {
      const b = 1 + beta - lr * l, disc = b * b - 4 * beta;
      let m;
      if (disc < 0) { m = Math.sqrt(beta); complex = true; }
      else { const s = Math.sqrt(disc); m = Math.max(Math.abs((b + s) / 2), Math.abs((b - s) / 2)); if ((b - s) / 2 < 0 || (b + s) / 2 < 0) complex = true; }
      rate = Math.max(rate, m);
    }
    return { rate, ripples: complex };
  }
  function measuredRate(i) {
    const r = results[i], m = theoryInfo.minimum;
    if (!r || r.diverged !== null) return null;
    const d = (t) => Math.hypot(r.positions[2 * t] - m[0], r.positions[2 * t + 1] - m[1]);
    let end = r.last;
    while (end > 0 && d(end) < 1e-12) end--;
    const begin = Math.floor(end / 2);
    if (end - begin < 2 || d(begin) === 0) return null;
    return Math.pow(d(end) / d(begin), 1 / (end - begin));
  }
  const mapCanvas = theoryInfo ? $("lv-map") : null;
  const map = mapCanvas ? setup(mapCanvas) : null;
  let mapImage = null;
  const mapLr = theoryInfo ? [theory().momentum.optimalLr / 30, (4 / theoryInfo.eigenvalues[0]) * 1.5] : null;
  function drawTheory() {
    const th = theory(), { ctx, w, h } = map;
    const L = 44, B = 30, T = 6, R = 6, W = w - L - R, H = h - T - B;
    const [la, lb] = mapLr.map(Math.log10);
    const X = (lr) => L + ((Math.log10(lr) - la) / (lb - la)) * W, Y = (beta) => T + H - beta * H;
    if (!mapImage) {
      mapImage = document.createElement("canvas");
      mapImage.width = Math.round(W);
      mapImage.height = Math.round(H);
      const image = mapImage.getContext("2d").createImageData(mapImage.width, mapImage.height);
      for (let j = 0; j < mapImage.height; j++) for (let i = 0; i < mapImage.width; i++) {
        const lr = Math.pow(10, la + ((i + 0.5) / mapImage.width) * (lb - la)), beta = 1 - (j + 0.5) / mapImage.height;
        const { rate, ripples } = momentumRate(lr, beta);
        const k = 4 * (j * image.width + i);
        let c;
        if (rate >= 1) c = D.theme.mapDiverge;
        else { const s = Math.pow(rate, 12); c = (ripples ? D.theme.mapRipple : D.theme.mapMonotone).map((v, q) => v + (D.theme.mapSlow[q] - v) * s); }
        image.data[k] = c[0]; image.data[k + 1] = c[1]; image.data[k + 2] = c[2]; image.data[k + 3] = 255;
      }
      mapImage.getContext("2d").putImageData(image, 0, 0);
    }
    ctx.clearRect(0, 0, w, h);
    ctx.drawImage(mapImage, L, T, W, H);
    ctx.fillStyle = D.theme.muted;
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let e = Math.ceil(la); e <= Math.floor(lb); e++) ctx.fillText("1e" + e, X(Math.pow(10, e)), T + H + 3);
    ctx.fillText("lr (log)", L + W / 2, T + H + 16);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const b of [0, 0.5, 0.9, 1]) ctx.fillText(String(b), L - 4, Y(b));
    ctx.save(); ctx.translate(8, T + H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText("β", 0, 0); ctx.restore();
    // the optimum, and each momentum-type (or gd: β = 0) run's setting
    ctx.strokeStyle = D.theme.text;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.arc(X(th.momentum.optimalLr), Y(th.momentum.optimalBeta), 6, 0, 2 * Math.PI);
    ctx.stroke();
    results.forEach((r, i) => {
      const p = S.params[i], name = runsInfo[i].name;
      if (!S.on[i] || !["gd", "sgd", "momentum"].includes(name)) return;
      const beta = name === "momentum" ? p.beta : 0;
      if (p.lr < mapLr[0] || p.lr > mapLr[1]) return;
      marker(ctx, runsInfo[i].marker, X(p.lr), Y(beta), 5.5);
      ctx.fillStyle = runsInfo[i].color;
      ctx.fill();
      ctx.strokeStyle = D.theme.ballEdge;
      ctx.lineWidth = 1.2;
      ctx.stroke();
    });
    const rows = results.map((r, i) => {
      const name = runsInfo[i].name;
      if (!["gd", "momentum", "sgd"].includes(name) || !S.on[i]) return "";
      const p = S.params[i], pred = momentumRate(p.lr, name === "momentum" ? p.beta : 0).rate;
      const meas = measuredRate(i);
      return "<tr><th scope=row>" + escapeHtml(runsInfo[i].legend) + "</th><td>" + pred.toFixed(4) + "</td><td>" + (meas === null ? "–" : meas.toFixed(4)) + "</td></tr>";
    }).join("");
    $("lv-rates").innerHTML = rows;
  }
  function escapeHtml(s) { return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
  function setOptimal() {
    const th = theory();
    runsInfo.forEach((info, i) => {
      if (info.name === "momentum") { S.params[i].lr = th.momentum.optimalLr; S.params[i].beta = th.momentum.optimalBeta; }
      else if (info.name === "gd" || info.name === "sgd") S.params[i].lr = th.gd.optimalLr;
      for (const k of ["lr", "beta"]) if (k in S.params[i]) S.params[i][k] = Number(S.params[i][k].toPrecision(4));
    });
    syncSliders();
    update(true);
  }
  if (theoryInfo) {
    const th = theory();
    $("lv-theory-numbers").innerHTML =
      "κ = " + th.kappa.toPrecision(4) +
      "<br>gd: optimal lr 2/(λmin + λmax) = " + th.gd.optimalLr.toPrecision(4) + ", rate (κ−1)/(κ+1) = " + th.gd.rate.toPrecision(4) +
      "<br>momentum: optimal lr (2/(√λmin + √λmax))² = " + th.momentum.optimalLr.toPrecision(4) +
      ", β ((√κ−1)/(√κ+1))² = " + th.momentum.optimalBeta.toPrecision(4) + ", rate (√κ−1)/(√κ+1) = " + th.momentum.rate.toPrecision(4);
    $("lv-optimal").addEventListener("click", setOptimal);
  }

  // --- the API ----------------------------------------------------------------------------
  const round = (v) => v;
  window.lossviz = {
    state() {
      return {
        surface: D.surfaceSpec,
        start: S.start.slice(),
        steps: S.steps,
        step: S.step,
        optimizers: runsInfo.map((info, i) => ({ name: info.name, label: info.legend, params: Object.assign({}, S.params[i]), on: S.on[i], spec: specText(i) })),
      };
    },
    set(patch) {
      if (patch.start) S.start = [Number(patch.start[0]), Number(patch.start[1])];
      if (patch.steps !== undefined) { const full = S.step === S.steps; S.steps = clampSteps(patch.steps); if (full) S.step = S.steps; }
      if (patch.step !== undefined) S.step = Math.round(patch.step);
      (patch.optimizers || []).forEach((o, i) => {
        if (!o || !(i in S.params)) return;
        for (const [k, v] of Object.entries(o.params || {})) if (runsInfo[i].keys.includes(k)) S.params[i][k] = checked(i, k, Number(v));
        if (o.on !== undefined) S.on[i] = Boolean(o.on);
      });
      syncSliders();
      update(true);
      return this.state();
    },
    runs() {
      return results.map((r, i) => ({
        label: runsInfo[i].legend,
        positions: Array.from({ length: r.last + 1 }, (_, t) => [round(r.positions[2 * t]), round(r.positions[2 * t + 1])]),
        losses: Array.from(r.losses.subarray(0, r.last + 1)),
        diverged: r.diverged,
      }));
    },
    timing: () => ({ lastUpdateMs }),
    theory,
    command,
  };

  readHash();
  syncSliders();
  update(true);
  if (!backdrop.complete) backdrop.addEventListener("load", () => drawPlot());
  document.body.dataset.ready = "1";
})();
