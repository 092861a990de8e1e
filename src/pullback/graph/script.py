"""The viewer page's inline script: zoom, pan, search, folding groups, the node inspector, and
lighting a forward node together with the gradient nodes its VJP recorded.

In: the page of ``page.py``: ``section.panel[data-prefix]`` each holding an ``svg.graph`` with
a ``g.camera`` of frames (``g.group``), edges (``path.edge[data-from][data-to]``) and nodes
(``g.node[data-node][data-forward|data-ref][data-groups][data-search]``, the element id being
the panel's prefix and the box's key), and the per-node facts in the
JSON of ``#pb-data``.
Out: ``SCRIPT``, the JavaScript text. It writes no HTML: user text goes in with
``textContent`` only. The page's address fragment drives it too (what the browser tests use):
``#search=tanh``, ``#node=forward-12`` (select a node), ``#hover=gradient-40`` (light a
node's counterparts as a pointer over it does), ``#expand=all``, ``#view=fit`` (the
whole graphs), ``#fold=forward-g3``
(fold or open a group), combined with ``&``. It reports on ``<body>``: ``data-ready``,
``data-matches``, ``data-selected``, ``data-linked`` (the lit nodes' element ids).
"""

__all__ = ["SCRIPT"]

SCRIPT = r"""
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('pb-data').textContent);
  const body = document.body;
  const READABLE = 0.6;  // the smallest scale at which the boxes' text stays legible
  const panels = {};
  for (const section of document.querySelectorAll('section.panel[data-prefix]')) {
    const svg = section.querySelector('svg.graph');
    if (!svg) continue;
    panels[section.dataset.prefix] = {
      prefix: section.dataset.prefix, section: section, svg: svg,
      camera: svg.querySelector('g.camera'), viewport: section.querySelector('.viewport'),
      width: +svg.getAttribute('width'), height: +svg.getAttribute('height'),
      s: 1, tx: 0, ty: 0,
    };
  }
  const all = Object.values(panels);

  function apply(p) {
    p.camera.setAttribute('transform',
      'translate(' + p.tx.toFixed(1) + ',' + p.ty.toFixed(1) + ') scale(' + p.s.toFixed(4) + ')');
    p.svg.dataset.scale = p.s.toFixed(3);
  }
  function size(p) {
    const r = p.viewport.getBoundingClientRect();
    return [r.width || 600, r.height || 400];
  }
  function nodeBox(g) {
    const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(g.getAttribute('transform'));
    const r = g.querySelector('rect');
    const x = +m[1], y = +m[2];
    return [x, y, x + +r.getAttribute('width'), y + +r.getAttribute('height')];
  }
  function union(boxes) {
    return boxes.reduce(function (a, b) {
      return [Math.min(a[0], b[0]), Math.min(a[1], b[1]),
              Math.max(a[2], b[2]), Math.max(a[3], b[3])];
    });
  }
  function fit(p) {
    p.mode = 'fit';
    const [vw, vh] = size(p);
    p.s = Math.min(vw / p.width, vh / p.height, 1.25);
    p.tx = (vw - p.width * p.s) / 2;
    p.ty = Math.max((vh - p.height * p.s) / 2, 0);
    apply(p);
  }
  function centre(p, box, lo, hi) {  // show box (drawing coordinates) in the middle
    p.mode = 'moved';
    const [vw, vh] = size(p);
    const s = Math.min((vw - 60) / Math.max(box[2] - box[0], 1),
                       (vh - 60) / Math.max(box[3] - box[1], 1));
    p.s = Math.max(lo, Math.min(hi, s));
    p.tx = vw / 2 - p.s * (box[0] + box[2]) / 2;
    p.ty = vh / 2 - p.s * (box[1] + box[3]) / 2;
    apply(p);
  }
  function home(p) {  // the whole graph if legible, else legible and ending at the outputs
    const [vw, vh] = size(p);
    if (Math.min(vw / p.width, vh / p.height) >= READABLE) { fit(p); return; }
    const s = Math.max(Math.min(vw / p.width, 1), 0.75);
    p.mode = 'home';
    const outs = Array.from(p.svg.querySelectorAll('g.node.output')).map(nodeBox);
    const b = outs.length ? union(outs) : [0, p.height - 1, p.width, p.height];
    p.s = s;
    p.tx = p.width * s <= vw ? (vw - p.width * s) / 2 : vw / 2 - s * (b[0] + b[2]) / 2;
    p.tx = Math.min(20, Math.max(vw - 20 - p.width * s, p.tx));
    p.ty = Math.min(20, vh - 24 - s * b[3]);
    apply(p);
  }
  function inView(p, nodes) {  // whether every one of nodes is on screen in panel p
    const [vw, vh] = size(p);
    return nodes.every(function (n) {
      const b = nodeBox(n);
      return p.tx + p.s * b[0] >= 0 && p.tx + p.s * b[2] <= vw &&
             p.ty + p.s * b[1] >= 0 && p.ty + p.s * b[3] <= vh;
    });
  }
  function zoomAt(p, k, mx, my) {
    p.mode = 'moved';
    const s = Math.max(0.08, Math.min(4, p.s * k));
    p.tx = mx - (mx - p.tx) * (s / p.s);
    p.ty = my - (my - p.ty) * (s / p.s);
    p.s = s;
    apply(p);
  }

  // -- folding groups --------------------------------------------------------------------
  function keyOf(n) { return n.id.slice(n.id.indexOf('-') + 1); }
  function refresh(p) {
    const folded = new Set();
    for (const g of p.svg.querySelectorAll('g.group.collapsed')) folded.add(g.id);
    for (const g of p.svg.querySelectorAll('g.group')) {
      let up = g.dataset.parent, inside = false;
      while (up) {
        if (folded.has(up)) { inside = true; break; }
        const e = document.getElementById(up);
        up = e ? e.dataset.parent : null;
      }
      g.classList.toggle('hidden', inside);
      const label = g.querySelector('.group-label');
      if (label) label.textContent = (folded.has(g.id) ? '\u25b8 ' : '\u25be ') + g.dataset.label;
    }
    const outer = {};
    for (const n of p.svg.querySelectorAll('g.node')) {
      let top = '';
      for (const gid of (n.dataset.groups || '').split(' ')) if (folded.has(gid)) top = gid;
      outer[keyOf(n)] = top;
      n.classList.toggle('hidden', top !== '');
    }
    for (const e of p.svg.querySelectorAll('path.edge')) {
      const a = outer[e.dataset.from] || '', b = outer[e.dataset.to] || '';
      e.classList.toggle('hidden', a !== '' || b !== '');  // no arrows into a folded frame
    }
  }
  function reveal(nodes) {  // open every folded group that hides one of nodes
    const touched = new Set();
    for (const n of nodes) {
      for (const gid of (n.dataset.groups || '').split(' ')) {
        const g = gid && document.getElementById(gid);
        if (g && g.classList.contains('collapsed')) {
          g.classList.remove('collapsed');
          touched.add(g.ownerSVGElement);
        }
      }
    }
    for (const p of all) if (touched.has(p.svg)) refresh(p);
  }
  function setFolded(g, folded) {
    g.classList.toggle('collapsed', folded);
    refresh(panels[g.ownerSVGElement.closest('section').dataset.prefix]);
  }
  function expandAll() {
    for (const p of all) {
      for (const g of p.svg.querySelectorAll('g.group.collapsed')) g.classList.remove('collapsed');
      refresh(p);
    }
  }
  function foldSteps() {
    for (const p of all) {
      for (const loop of p.svg.querySelectorAll('g.group.loop')) {
        const steps = Array.from(p.svg.querySelectorAll('g.group.step'))
          .filter(function (s) { return s.dataset.parent === loop.id; });
        if (steps.length >= 4)
          steps.slice(1, -1).forEach(function (s) { s.classList.add('collapsed'); });
      }
      refresh(p);
    }
  }

  // -- selection: a node, its forward node and its adjoint nodes ---------------------------
  const inspector = document.getElementById('pb-inspector');
  function clearSelection() {
    for (const n of document.querySelectorAll('g.node.selected, g.node.linked'))
      n.classList.remove('selected', 'linked');
    for (const e of document.querySelectorAll('path.edge.linked')) e.classList.remove('linked');
    delete body.dataset.selected;
    delete body.dataset.linked;
    inspector.classList.remove('open');
  }
  function counterparts(prefix, el) {
    const id = el.dataset.node;
    let f = null;
    if (prefix === 'forward') f = id;
    else if (el.dataset.ref) f = el.dataset.ref;  // a forward value the gradient graph reads
    else if (el.dataset.forward) f = el.dataset.forward;
    else if (document.getElementById('forward-' + id)) f = id;  // a forward node, shared
    const lit = [];
    if (f === null || !/^\d+$/.test(f)) return lit;
    for (const p of all) {
      const same = document.getElementById(p.prefix + '-' + f);
      if (same && same !== el) lit.push(same);
      const query = 'g.node[data-forward="' + f + '"], g.node[data-ref="' + f + '"]';
      for (const n of p.svg.querySelectorAll(query)) if (n !== el) lit.push(n);
    }
    return lit;
  }
  function row(table, key, value) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    const td = document.createElement('td');
    th.textContent = key;
    td.textContent = value;
    tr.append(th, td);
    table.append(tr);
  }
  function inspect(prefix, el, lit) {
    const info = (data[prefix] || {})[el.dataset.node] || {};
    inspector.textContent = '';
    const close = document.createElement('button');
    close.className = 'close';
    close.type = 'button';
    close.textContent = '\u00d7';
    close.addEventListener('click', clearSelection);
    const h = document.createElement('h3');
    h.textContent = info.call || el.id;
    const table = document.createElement('table');
    row(table, 'graph', prefix);
    for (const key of ['type', 'shape', 'dtype', 'value', 'place', 'line', 'group', 'adjoint of',
                       'derivative'])
      if (info[key]) row(table, key, info[key]);
    if (lit.length) {
      const names = [];
      for (const n of lit) {
        const where = n.id.split('-')[0];
        const other = (data[where] || {})[n.dataset.node] || {};
        const role = n.dataset.ref ? ' (read)' : n.dataset.forward ? ' (adjoint)' : '';
        const name = where + ' ' + (other.call || n.id).split(' = ')[0] + role;
        if (names.indexOf(name) < 0) names.push(name);
      }
      row(table, 'linked', names.join(', '));
    }
    inspector.append(close, h, table);
    inspector.classList.add('open');
  }
  function select(prefix, key) {
    const el = document.getElementById(prefix + '-' + key);
    if (!el || !el.classList.contains('node')) return;
    clearSelection();
    const lit = counterparts(prefix, el);
    reveal(lit.concat([el]));
    el.classList.add('selected');
    for (const n of lit) n.classList.add('linked');
    body.dataset.selected = el.id;
    body.dataset.linked = lit.map(function (n) { return n.id; }).join(' ');
    for (const p of all) {  // bring the lit nodes of the other panel into view
      const here = p.prefix === prefix ? [el]
        : lit.filter(function (n) { return n.ownerSVGElement === p.svg; });
      if (here.length && !inView(p, here))
        centre(p, union(here.map(nodeBox)), Math.min(p.s, 1), Math.max(p.s, READABLE));
    }
    inspect(prefix, el, lit);
  }

  // -- search ----------------------------------------------------------------------------
  const input = document.getElementById('pb-search');
  const counter = document.getElementById('pb-matches');
  let found = [], cursor = -1;
  function search(text) {
    const q = text.trim().toLowerCase();
    found = [];
    cursor = -1;
    for (const p of all) {
      const hits = [];
      for (const n of p.svg.querySelectorAll('g.node')) {
        const hit = q !== '' && (n.dataset.search || '').indexOf(q) >= 0;
        n.classList.toggle('match', hit);
        if (hit) hits.push(n);
      }
      p.svg.classList.toggle('searching', q !== '');
      if (hits.length) {  // all the matches if they fit legibly, else the first one
        reveal(hits);
        const [vw, vh] = size(p);
        const b = union(hits.map(nodeBox));
        const s = Math.min((vw - 60) / (b[2] - b[0]), (vh - 60) / (b[3] - b[1]));
        if (s >= READABLE) centre(p, b, READABLE, 1.2);
        else centre(p, nodeBox(hits[0]), 0.85, 0.85);
      }
      found = found.concat(hits);
    }
    counter.textContent = !q ? '' : found.length === 1 ? '1 match'
      : found.length + ' matches' + (found.length ? ' (Enter: the next)' : '');
    body.dataset.matches = String(found.length);
  }
  function nextMatch() {
    if (!found.length) return;
    cursor = (cursor + 1) % found.length;
    const n = found[cursor];
    const p = panels[n.ownerSVGElement.closest('section').dataset.prefix];
    centre(p, nodeBox(n), Math.max(p.s, 0.8), Math.max(p.s, 0.8));
    counter.textContent = (cursor + 1) + ' of ' + found.length;
  }
  if (input) {
    input.addEventListener('input', function () { search(input.value); });
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') nextMatch(); });
  }

  // -- pointer: zoom, pan, click --------------------------------------------------------------
  for (const p of all) {
    const vp = p.viewport;
    vp.addEventListener('wheel', function (e) {
      e.preventDefault();
      const r = vp.getBoundingClientRect();
      zoomAt(p, Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    let drag = null;
    vp.addEventListener('pointerdown', function (e) {
      if (e.target.closest('g.node, .group-label, .summary')) return;
      drag = {x: e.clientX, y: e.clientY, tx: p.tx, ty: p.ty};
      vp.setPointerCapture(e.pointerId);
      vp.classList.add('dragging');
    });
    vp.addEventListener('pointermove', function (e) {
      if (!drag) return;
      p.tx = drag.tx + e.clientX - drag.x;
      p.ty = drag.ty + e.clientY - drag.y;
      p.mode = 'moved';
      apply(p);
    });
    function stop() { drag = null; vp.classList.remove('dragging'); }
    vp.addEventListener('pointerup', stop);
    vp.addEventListener('pointercancel', stop);
    p.svg.addEventListener('click', function (e) {
      const node = e.target.closest('g.node');
      if (node) { select(p.prefix, keyOf(node)); return; }
      const group = e.target.closest('g.group');
      if (group && e.target.closest('.group-label, .summary'))
        setFolded(group, !group.classList.contains('collapsed'));
    });
    p.svg.addEventListener('mouseover', function (e) {  // hovering lights the counterparts
      const node = e.target.closest('g.node');
      for (const n of document.querySelectorAll('g.node.peer')) n.classList.remove('peer');
      if (node) for (const n of counterparts(p.prefix, node)) n.classList.add('peer');
    });
    p.svg.addEventListener('mouseleave', function () {
      for (const n of document.querySelectorAll('g.node.peer')) n.classList.remove('peer');
    });
    p.svg.addEventListener('dblclick', function (e) { if (!e.target.closest('g.node')) home(p); });
    for (const b of p.section.querySelectorAll('button[data-zoom]')) {
      b.addEventListener('click', function () {
        const [vw, vh] = size(p);
        const how = b.dataset.zoom;
        if (how === 'fit') fit(p);
        else if (how === 'one') zoomAt(p, 1 / p.s, vw / 2, vh / 2);
        else zoomAt(p, how === 'in' ? 1.25 : 0.8, vw / 2, vh / 2);
      });
    }
  }
  const buttons = {'pb-expand': expandAll, 'pb-fold': foldSteps,
                   'pb-fit': function () { all.forEach(fit); }};
  for (const id in buttons) {
    const b = document.getElementById(id);
    if (b) b.addEventListener('click', buttons[id]);
  }

  // -- the address fragment ------------------------------------------------------------------
  function fromFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.get('expand') === 'all') expandAll();
    if (params.get('view') === 'fit') all.forEach(fit);
    for (const gid of params.getAll('fold')) {
      const g = document.getElementById(gid);
      if (g && g.classList.contains('group')) setFolded(g, !g.classList.contains('collapsed'));
    }
    if (params.has('search') && input) { input.value = params.get('search'); search(input.value); }
    const m = /^(forward|gradient)-(\w+)$/.exec(params.get('node') || '');
    if (m) select(m[1], m[2]);
    const h = /^(forward|gradient)-(\w+)$/.exec(params.get('hover') || '');
    const hovered = h && document.getElementById(h[1] + '-' + h[2]);
    if (hovered && hovered.classList.contains('node'))
      for (const n of counterparts(h[1], hovered)) n.classList.add('peer');
  }
  all.forEach(function (p) { refresh(p); home(p); });
  fromFragment();
  window.addEventListener('hashchange', fromFragment);
  window.addEventListener('resize', function () {  // a view the reader moved stays put
    for (const p of all) {
      if (p.mode === 'home') home(p);
      else if (p.mode === 'fit') fit(p);
    }
  });
  body.dataset.ready = '1';
})();
"""
