/* lossviz explore: the maths, mirroring visualizer/maths rule by rule.
 *
 * One small module, no drawing: optimizers as init/update pairs (optimizers.py),
 * the learning-rate schedules (schedules.py), the surfaces (surfaces/analytic.py,
 * expression trees compiled to closures with exact forward-mode gradients,
 * regression and logistic regression over embedded data), the seeded gradient
 * oracle (recorder.py: embedded standard normals for noise=, numpy's PCG64 and its
 * permutation for minibatches) and the recorder loop. Each expression below is
 * written in the order Python evaluates its own, so the numbers agree to rounding.
 * Vectors are plain [x, y] arrays. Exposed as globalThis.LossvizMaths.
 */
(function (root) {
  "use strict";

  // --- embedded arrays ------------------------------------------------------------

  function float64s(b64) {
    const bytes = atob(b64);
    const buf = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) buf[i] = bytes.charCodeAt(i);
    return new Float64Array(buf.buffer);
  }

  function num(v) {
    // JSON cannot hold inf or nan: they travel as text.
    if (typeof v === "string") return v === "inf" ? Infinity : v === "-inf" ? -Infinity : NaN;
    return v;
  }

  // numpy's pairwise summation (add.reduce over a contiguous float64 array), exactly.
  function pairwiseSum(a, lo, n) {
    if (n < 8) {
      let s = -0.0;
      for (let i = 0; i < n; i++) s += a[lo + i];
      return s;
    }
    if (n <= 128) {
      const r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]];
      let i;
      for (i = 8; i < n - (n % 8); i += 8) {
        for (let k = 0; k < 8; k++) r[k] += a[lo + i + k];
      }
      let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) res += a[lo + i];
      return res;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
  }

  // --- numpy's PCG64 (default_rng), bit for bit -------------------------------------

  const MASK64 = (1n << 64n) - 1n;
  const MASK128 = (1n << 128n) - 1n;
  const PCG_MULT = 0x2360ed051fc65da44385df649fccf645n;

  function pcg64(init) {
    let state = BigInt(init.state);
    const inc = BigInt(init.inc);
    let has32 = init.has_uint32 ? 1 : 0;
    let uinteger = init.uinteger >>> 0;
    function next64() {
      state = (state * PCG_MULT + inc) & MASK128;
      const hi = state >> 64n;
      const x = hi ^ (state & MASK64);
      const r = hi >> 58n;
      return ((x >> r) | (x << ((64n - r) & 63n))) & MASK64;
    }
    function next32() {
      if (has32) {
        has32 = 0;
        return uinteger;
      }
      const n = next64();
      has32 = 1;
      uinteger = Number(n >> 32n);
      return Number(n & 0xffffffffn);
    }
    // numpy's random_interval: masked rejection sampling of 0..max (max < 2**32 here).
    function interval(max) {
      if (max === 0) return 0;
      let mask = max;
      mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4;
      mask |= mask >>> 8; mask |= mask >>> 16;
      mask >>>= 0;
      let v;
      do { v = (next32() & mask) >>> 0; } while (v > max);
      return v;
    }
    // Generator.permutation(n): Fisher-Yates from the end.
    function permutation(n) {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = interval(i);
        const t = a[i]; a[i] = a[j]; a[j] = t;
      }
      return a;
    }
    return { next64, next32, interval, permutation };
  }

  // --- schedules (schedules.py: Schedule.factors) -----------------------------------

  function scheduleFactors(s, steps) {
    const out = new Float64Array(steps + 1);
    for (let t = 0; t <= steps; t++) {
      let v;
      if (s.kind === "exponential") v = Math.pow(s.gamma, t);
      else if (s.kind === "step") v = Math.pow(s.gamma, Math.floor(t / s.every));
      else if (s.kind === "cosine") v = 0.5 * (1.0 + Math.cos(Math.PI * t / steps));
      else v = 1.0;
      if (s.warmup > 0) v = v * Math.min(1.0, (t + 1.0) / s.warmup);
      out[t] = v;
    }
    return out;
  }

  function isConstant(s) {
    return s.kind === "constant" && (s.warmup || 0) <= 1;
  }

  // --- optimizers (optimizers.py), each an init/update pair ---------------------------

  const here = (state, p) => p;

  const optimizers = {
    gd(h) {
      const lr = h.lr;
      return {
        init: () => null,
        update: (g, s, p) => [[p[0] - lr * g[0], p[1] - lr * g[1]], s],
        lookahead: here,
      };
    },
    momentum(h) {
      const lr = h.lr, beta = h.beta;
      return {
        init: () => ({ velocity: [0, 0] }),
        update(g, s, p) {
          const v = [beta * s.velocity[0] + lr * g[0], beta * s.velocity[1] + lr * g[1]];
          return [[p[0] - v[0], p[1] - v[1]], { velocity: v }];
        },
        lookahead: here,
      };
    },
    nesterov(h) {
      const base = optimizers.momentum(h), beta = h.beta;
      return {
        init: base.init,
        update: base.update,
        lookahead: (s, p) => [p[0] - beta * s.velocity[0], p[1] - beta * s.velocity[1]],
      };
    },
    adagrad(h) {
      const lr = h.lr, eps = h.eps;
      return {
        init: () => ({ sumSq: [0, 0] }),
        update(g, s, p) {
          const g2 = [s.sumSq[0] + g[0] * g[0], s.sumSq[1] + g[1] * g[1]];
          return [
            [p[0] - lr * g[0] / (Math.sqrt(g2[0]) + eps), p[1] - lr * g[1] / (Math.sqrt(g2[1]) + eps)],
            { sumSq: g2 },
          ];
        },
        lookahead: here,
      };
    },
    rmsprop(h) {
      const lr = h.lr, rho = h.rho, eps = h.eps;
      return {
        init: () => ({ sumSq: [0, 0] }),
        update(g, s, p) {
          const q = [rho * s.sumSq[0] + (1.0 - rho) * (g[0] * g[0]),
                     rho * s.sumSq[1] + (1.0 - rho) * (g[1] * g[1])];
          return [
            [p[0] - lr * g[0] / (Math.sqrt(q[0]) + eps), p[1] - lr * g[1] / (Math.sqrt(q[1]) + eps)],
            { sumSq: q },
          ];
        },
        lookahead: here,
      };
    },
    adam(h) {
      const lr = h.lr, b1 = h.beta1, b2 = h.beta2, eps = h.eps;
      return {
        init: () => ({ count: 0, mu: [0, 0], nu: [0, 0] }),
        update(g, s, p) {
          const count = s.count + 1;
          const mu = [b1 * s.mu[0] + (1.0 - b1) * g[0], b1 * s.mu[1] + (1.0 - b1) * g[1]];
          const nu = [b2 * s.nu[0] + (1.0 - b2) * (g[0] * g[0]),
                      b2 * s.nu[1] + (1.0 - b2) * (g[1] * g[1])];
          const c1 = 1.0 - Math.pow(b1, count), c2 = 1.0 - Math.pow(b2, count);
          const m0 = mu[0] / c1, m1 = mu[1] / c1, n0 = nu[0] / c2, n1 = nu[1] / c2;
          return [
            [p[0] - lr * m0 / (Math.sqrt(n0) + eps), p[1] - lr * m1 / (Math.sqrt(n1) + eps)],
            { count, mu, nu },
          ];
        },
        lookahead: here,
      };
    },
  };
  optimizers.sgd = optimizers.gd; // sgd's rule is gd's; its gradient is the oracle's

  // scheduled(): the inner step scaled by factors[t], θ ← θ + f·(θ' − θ).
  function scheduled(inner, factors) {
    return {
      init: (p) => ({ count: 0, inner: inner.init(p) }),
      update(g, s, p) {
        const [moved, st] = inner.update(g, s.inner, p);
        const f = factors[s.count];
        return [[p[0] + f * (moved[0] - p[0]), p[1] + f * (moved[1] - p[1])],
                { count: s.count + 1, inner: st }];
      },
      lookahead: (s, p) => inner.lookahead(s.inner, p),
    };
  }

  function build(run, steps) {
    const base = optimizers[run.name](run.params);
    return isConstant(run.schedule) ? base : scheduled(base, scheduleFactors(run.schedule, steps));
  }

  // --- analytic surfaces (surfaces/analytic.py) ---------------------------------------

  const TILT = 0.3, CROSS = 10.0, SADDLE = 4.0, ASPECT = 2.0;
  const analytic = {
    bowl: () => ({
      f: (x, y) => 0.5 * (x * x + y * y),
      grad: (x, y) => [x, y],
    }),
    ravine: (q) => ({
      f: (x, y) => 0.5 * (x * x + q.kappa * (y * y)),
      grad: (x, y) => [x, q.kappa * y],
    }),
    saddle: () => ({
      f: (x, y) => 0.25 * Math.pow(x, 4) - 0.5 * (x * x) + 0.5 * SADDLE * (y * y),
      grad: (x, y) => [Math.pow(x, 3) - x, SADDLE * y],
    }),
    "local-minimum": () => ({
      f: (x, y) => Math.pow(x * x - 4.0, 2) / 16.0 + TILT * x + 0.5 * CROSS * (y * y),
      grad: (x, y) => [x * (x * x - 4.0) / 4.0 + TILT, CROSS * y],
    }),
    plateau: () => ({
      f: (x, y) => 1.0 - Math.exp(-0.5 * (x * x + ASPECT * (y * y))),
      grad(x, y) {
        const e = Math.exp(-0.5 * (x * x + ASPECT * (y * y)));
        return [x * e, ASPECT * y * e];
      },
    }),
    rosenbrock: () => ({
      f: (x, y) => Math.pow(1.0 - x, 2) + 100.0 * Math.pow(y - x * x, 2),
      grad: (x, y) => [-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)],
    }),
    beale: () => ({
      f: (x, y) => Math.pow(1.5 - x + x * y, 2) + Math.pow(2.25 - x + x * (y * y), 2)
        + Math.pow(2.625 - x + x * Math.pow(y, 3), 2),
      grad(x, y) {
        const a = 1.5 - x + x * y;
        const b = 2.25 - x + x * (y * y);
        const c = 2.625 - x + x * Math.pow(y, 3);
        const dx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (Math.pow(y, 3) - 1);
        const dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * (y * y);
        return [dx, dy];
      },
    }),
    himmelblau: () => ({
      f: (x, y) => Math.pow(x * x + y - 11.0, 2) + Math.pow(x + y * y - 7.0, 2),
      grad(x, y) {
        const a = x * x + y - 11.0, b = x + y * y - 7.0;
        return [4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b];
      },
    }),
    rastrigin: () => ({
      f: (x, y) => 20.0 + x * x - 10.0 * Math.cos(2 * Math.PI * x) + y * y
        - 10.0 * Math.cos(2 * Math.PI * y),
      grad: (x, y) => [2.0 * x + 20.0 * Math.PI * Math.sin(2 * Math.PI * x),
                       2.0 * y + 20.0 * Math.PI * Math.sin(2 * Math.PI * y)],
    }),
  };

  // --- expression surfaces (surfaces/expression.py) ----------------------------------
  // The checked tree arrives as nested arrays: ["num", v], ["x"], ["y"], ["neg", a],
  // ["add"|"sub"|"mul"|"div"|"pow", a, b], ["call", name, a(, b)].

  const REAL = {
    sin: Math.sin, cos: Math.cos, tan: Math.tan, arcsin: Math.asin, arccos: Math.acos,
    arctan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh,
    arcsinh: Math.asinh, arccosh: Math.acosh, arctanh: Math.atanh, exp: Math.exp,
    expm1: Math.expm1, log: Math.log, log1p: Math.log1p, log2: Math.log2, log10: Math.log10,
    sqrt: Math.sqrt, cbrt: Math.cbrt, abs: Math.abs, minimum: Math.min, maximum: Math.max,
    min: Math.min, max: Math.max, hypot: Math.hypot, arctan2: Math.atan2,
  };
  // d f(a) / d a for the holomorphic functions, as a function of a and f(a).
  const SLOPE = {
    sin: (a) => Math.cos(a), cos: (a) => -Math.sin(a), tan: (a) => 1 / (Math.cos(a) * Math.cos(a)),
    arcsin: (a) => 1 / Math.sqrt(1 - a * a), arccos: (a) => -1 / Math.sqrt(1 - a * a),
    arctan: (a) => 1 / (1 + a * a), sinh: (a) => Math.cosh(a), cosh: (a) => Math.sinh(a),
    tanh: (a, v) => 1 - v * v, arcsinh: (a) => 1 / Math.sqrt(a * a + 1),
    arccosh: (a) => 1 / Math.sqrt(a * a - 1), arctanh: (a) => 1 / (1 - a * a),
    exp: (a, v) => v, expm1: (a) => Math.exp(a), log: (a) => 1 / a, log1p: (a) => 1 / (1 + a),
    log2: (a) => 1 / (a * Math.LN2), log10: (a) => 1 / (a * Math.LN10),
    sqrt: (a, v) => 1 / (2 * v),
  };

  function compileReal(node) {
    switch (node[0]) {
      case "num": { const c = num(node[1]); return () => c; }
      case "x": return (x) => x;
      case "y": return (x, y) => y;
      case "neg": { const a = compileReal(node[1]); return (x, y) => -a(x, y); }
      case "add": case "sub": case "mul": case "div": case "pow": {
        const a = compileReal(node[1]), b = compileReal(node[2]);
        switch (node[0]) {
          case "add": return (x, y) => a(x, y) + b(x, y);
          case "sub": return (x, y) => a(x, y) - b(x, y);
          case "mul": return (x, y) => a(x, y) * b(x, y);
          case "div": return (x, y) => a(x, y) / b(x, y);
          default: return (x, y) => Math.pow(a(x, y), b(x, y));
        }
      }
      case "call": {
        const fn = REAL[node[1]];
        const args = node.slice(2).map(compileReal);
        if (args.length === 1) { const a = args[0]; return (x, y) => fn(a(x, y)); }
        const a = args[0], b = args[1];
        return (x, y) => fn(a(x, y), b(x, y));
      }
    }
    throw new Error("unknown expression node " + node[0]);
  }

  // Value and both partial derivatives, [v, dx, dy]: forward mode, what the complex
  // step computes for a holomorphic expression. A zero perturbation stays zero, as
  // the complex step's imaginary part does.
  function compileDual(node) {
    switch (node[0]) {
      case "num": { const c = num(node[1]); return () => [c, 0, 0]; }
      case "x": return (x) => [x, 1, 0];
      case "y": return (x, y) => [y, 0, 1];
      case "neg": { const a = compileDual(node[1]); return (x, y) => { const u = a(x, y); return [-u[0], -u[1], -u[2]]; }; }
      case "add": case "sub": case "mul": case "div": case "pow": {
        const a = compileDual(node[1]), b = compileDual(node[2]), op = node[0];
        return (x, y) => {
          const u = a(x, y), w = b(x, y);
          if (op === "add") return [u[0] + w[0], u[1] + w[1], u[2] + w[2]];
          if (op === "sub") return [u[0] - w[0], u[1] - w[1], u[2] - w[2]];
          if (op === "mul") return [u[0] * w[0], u[0] * w[1] + u[1] * w[0], u[0] * w[2] + u[2] * w[0]];
          if (op === "div") {
            const v = u[0] / w[0];
            return [v, (u[1] - v * w[1]) / w[0], (u[2] - v * w[2]) / w[0]];
          }
          // pow, as expression.py's _power expands (a + i da) ** (b + i db)
          const v = Math.pow(u[0], w[0]);
          const part = (da, db) =>
            (da !== 0 ? w[0] * Math.pow(u[0], w[0] - 1) * da : 0) + (db !== 0 ? v * Math.log(u[0]) * db : 0);
          return [v, part(u[1], w[1]), part(u[2], w[2])];
        };
      }
      case "call": {
        const name = node[1], fn = REAL[name], slope = SLOPE[name];
        const a = compileDual(node[2]);
        return (x, y) => {
          const u = a(x, y), v = fn(u[0]);
          const d = (du) => (du === 0 ? 0 : slope(u[0], v) * du);
          return [v, d(u[1]), d(u[2])];
        };
      }
    }
    throw new Error("unknown expression node " + node[0]);
  }

  function expressionSurface(spec) {
    const f = compileReal(spec.tree);
    const h = spec.centralStep;
    function central(x, y) {
      const hx = h * Math.max(1.0, Math.abs(x)), hy = h * Math.max(1.0, Math.abs(y));
      const xp = x + hx, xm = x - hx, yp = y + hy, ym = y - hy;
      return [(f(xp, y) - f(xm, y)) / (xp - xm), (f(x, yp) - f(x, ym)) / (yp - ym)];
    }
    const dual = spec.holomorphic ? compileDual(spec.tree) : null;
    function grad(x, y) {
      let g;
      const value = f(x, y);
      if (dual) {
        const r = dual(x, y);
        g = [r[1], r[2]];
        if (!(Number.isFinite(g[0]) && Number.isFinite(g[1])) && Number.isFinite(value)) g = central(x, y);
      } else {
        g = central(x, y);
      }
      return Number.isFinite(value) ? g : [NaN, NaN];
    }
    return { f, grad };
  }

  // --- data surfaces (surfaces/regression.py, surfaces/logistic.py) --------------------

  function regressionSurface(spec) {
    const x = float64s(spec.x), y = float64s(spec.y), m = spec.moments;
    const n = x.length, buf = new Float64Array(n), buf2 = new Float64Array(n);
    return {
      n,
      f: (w, b) => 0.5 * (w * w * m.sxx + 2 * w * b * m.sx + b * b - 2 * w * m.sxy - 2 * b * m.sy + m.syy),
      grad: (w, b) => [w * m.sxx + b * m.sx - m.sxy, w * m.sx + b - m.sy],
      batchGrad(w, b, idx, lo, k) {
        for (let i = 0; i < k; i++) {
          const j = idx[lo + i];
          const r = w * x[j] + b - y[j];
          buf[i] = r * x[j];
          buf2[i] = r;
        }
        return [pairwiseSum(buf, 0, k) / k, pairwiseSum(buf2, 0, k) / k];
      },
    };
  }

  const sigmoid = (z) => 0.5 * (1.0 + Math.tanh(0.5 * z));
  // numpy's logaddexp(a, b)
  function logaddexp(a, b) {
    if (a === b) return a + Math.LN2;
    const d = a - b;
    if (d > 0) return a + Math.log1p(Math.exp(-d));
    if (d <= 0) return b + Math.log1p(Math.exp(d));
    return d;
  }

  function logisticSurface(spec) {
    const x = float64s(spec.x), t = float64s(spec.t);
    const n = x.length, buf = new Float64Array(n), buf2 = new Float64Array(n);
    return {
      n,
      f(w, b) {
        for (let i = 0; i < n; i++) buf[i] = logaddexp(0.0, -(t[i] * (w * x[i] + b)));
        return (0.0 + pairwiseSum(buf, 0, n)) / n;
      },
      grad(w, b) {
        for (let i = 0; i < n; i++) {
          const s = -t[i] * sigmoid(-(t[i] * (w * x[i] + b)));
          buf[i] = s * x[i];
          buf2[i] = s;
        }
        return [(0.0 + pairwiseSum(buf, 0, n)) / n, (0.0 + pairwiseSum(buf2, 0, n)) / n];
      },
      batchGrad(w, b, idx, lo, k) {
        for (let i = 0; i < k; i++) {
          const j = idx[lo + i];
          const s = -t[j] * sigmoid(-t[j] * (w * x[j] + b));
          buf[i] = s * x[j];
          buf2[i] = s;
        }
        return [pairwiseSum(buf, 0, k) / k, pairwiseSum(buf2, 0, k) / k];
      },
    };
  }

  function makeSurface(spec) {
    if (spec.kind === "analytic") return analytic[spec.name](spec.params || {});
    if (spec.kind === "expression") return expressionSurface(spec);
    if (spec.kind === "regression") return regressionSurface(spec);
    if (spec.kind === "logistic") return logisticSurface(spec);
    throw new Error("cannot explore surface kind " + spec.kind);
  }

  // --- the gradient oracle (recorder.py: gradient_oracle) ------------------------------

  // The draws of one run, shared by every recompute: its standard normals (embedded),
  // or its permutations (made on demand from the run's PCG64, then kept).
  function randomness(run) {
    const out = { normals: run.normals ? float64s(run.normals) : null, perms: [] };
    if (run.rng) {
      const gen = pcg64(run.rng);
      out.permutation = (k, n) => {
        while (out.perms.length <= k) out.perms.push(gen.permutation(n));
        return out.perms[k];
      };
    }
    return out;
  }

  function oracle(surface, run, draws) {
    const grad = (p) => surface.grad(p[0], p[1]);
    if (!run.stochastic) return grad;
    if (run.oracle === "noise") {
      const noise = run.params.noise, z = draws.normals;
      let t = 0;
      return (p) => {
        const g = grad(p);
        const i = 2 * t++;
        return [g[0] + noise * z[i], g[1] + noise * z[i + 1]];
      };
    }
    const batch = run.params.batch, n = surface.n;
    let epoch = -1, offset = n; // order.size = n - offset
    return (p) => {
      if (n - offset < batch) {
        epoch += 1;
        offset = 0;
      }
      const perm = draws.permutation(epoch, n);
      const g = surface.batchGrad(p[0], p[1], perm, offset, batch);
      offset += batch;
      return g;
    };
  }

  // --- the recorder (recorder.py: run_one) ----------------------------------------------

  function runOne(surface, run, draws, model) {
    const steps = model.steps, lo = model.bounds[0], hi = model.bounds[1];
    const opt = build(run, steps);
    const g = oracle(surface, run, draws);
    const positions = new Float64Array(2 * (steps + 1)).fill(NaN);
    const losses = new Float64Array(steps + 1).fill(NaN);
    let p = [model.start[0], model.start[1]];
    let state = opt.init(p);
    let diverged = null;
    for (let t = 0; t <= steps; t++) {
      if (t > 0) {
        const next = opt.update(g(opt.lookahead(state, p)), state, p);
        p = next[0];
        state = next[1];
      }
      const loss = surface.f(p[0], p[1]);
      const gr = surface.grad(p[0], p[1]);
      if (!(Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(loss)
            && Number.isFinite(gr[0]) && Number.isFinite(gr[1])
            && p[0] >= lo[0] && p[1] >= lo[1] && p[0] <= hi[0] && p[1] <= hi[1])) {
        diverged = t;
        break;
      }
      positions[2 * t] = p[0];
      positions[2 * t + 1] = p[1];
      losses[t] = loss;
    }
    return { positions, losses, diverged, last: diverged === null ? steps : diverged - 1 };
  }

  // A model: {surface, start, steps, bounds, runs: [{name, params, schedule, stochastic,
  // oracle, normals, rng}]}. Returns a recorder whose record() reruns everything and
  // keeps each run's draws between calls.
  function recorder(model) {
    const surface = makeSurface(model.surface);
    const draws = model.runs.map(randomness);
    return {
      surface,
      record(m) {
        return m.runs.map((run, i) => runOne(surface, run, draws[i], m));
      },
    };
  }

  function record(model) {
    return recorder(model).record(model);
  }

  root.LossvizMaths = {
    float64s, pairwiseSum, pcg64, scheduleFactors, optimizers, scheduled, build,
    analytic, compileReal, compileDual, makeSurface, oracle, randomness, runOne, recorder, record,
  };
})(typeof window !== "undefined" ? window : globalThis);
