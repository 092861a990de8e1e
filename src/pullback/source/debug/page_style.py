"""The look and behaviour of the side-by-side page: its style sheet, legends and script.

In: nothing (constants).
Out: ``CSS`` (the inline style sheet), ``LEGEND`` and ``FLAGS_LEGEND`` (the header's key to the
colours, the second shown with a recording), ``SCRIPT`` (hover, pin and scroll between a
line's counterparts; ``#hover=ID`` / ``#click=ID`` in the address act once loaded).
"""

_FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"

CSS = f"""
html, body {{ height: 100%; }}
body {{ margin: 0; display: flex; flex-direction: column; color: #1d2330; background: #fbfbfd;
       font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }}
header {{ flex: none; padding: 12px 16px 6px 16px; }}
h1 {{ font-size: 19px; margin: 0 0 4px 0; }}
h1 code {{ font-family: {_FONT}; }}
h1 .summary {{ font-size: 13px; font-weight: normal; color: #5b6475; margin-left: 12px; }}
p.called b {{ font-family: {_FONT}; font-weight: 600; }}
p.legend .hint {{ margin-left: 14px; }}
p.legend .item:first-child .swatch {{ margin-left: 0; }}
p.legend, p.called {{ margin: 0 0 6px 0; font-size: 12.5px; color: #4a5263; }}
.swatch {{ display: inline-block; width: 11px; height: 11px; border-radius: 3px;
          vertical-align: -1px; margin: 0 4px 0 10px; border: 1.5px solid; }}
.panels {{ flex: 1 1 auto; min-height: 0; display: flex; gap: 12px; padding: 0 16px 14px 16px; }}
.panel {{ flex: 1 1 0; min-width: 0; overflow: auto; background: #fff; border: 1px solid #d8dce6;
          border-radius: 8px; padding: 8px 0 10px 0; }}
.panels.with-notes #user {{ flex-grow: 1.3; }}
.panel h2 {{ font-size: 14px; margin: 0; padding: 0 12px 6px 12px; position: sticky; top: -8px;
             background: #fff; z-index: 1; }}
.panel h2 .count {{ font-weight: normal; color: #5b6475; font-family: {_FONT}; font-size: 12px; }}
.file {{ font-family: {_FONT}; font-size: 11.5px; color: #5b6475; margin: 8px 12px 2px 12px; }}
.note-missing {{ font-size: 12.5px; color: #8a3b12; margin: 8px 12px; }}
table.code {{ border-collapse: collapse; font-family: {_FONT}; font-size: 12.5px;
              line-height: 1.45; min-width: 100%; }}
table.code td {{ padding: 0; vertical-align: top; }}
td.no {{ text-align: right; color: #9aa1b0; padding: 0 10px 0 8px !important; user-select: none;
        border-left: 3px solid transparent; min-width: 2.5em; }}
td.src {{ white-space: pre; padding-right: 18px !important; }}
td.note {{ width: 100%; min-width: 14em; font-family: system-ui, sans-serif;
          font-size: 11.5px; color: #4a5263; padding-right: 10px !important; }}
tr.gen.fwd td.no {{ border-left-color: #3f8f5a; }}
tr.gen.bwd td.no {{ border-left-color: #d07a12; }}
tr.gen.bwd {{ background: #fffaf2; }}
tr.linkable {{ cursor: pointer; }}
tr.gen.linkable:hover, tr.user.linkable:hover {{ background: #eef3fb; }}
tr.gen.group, tr.user.group {{ background: #fff7d1; }}
tr.gen.linked, tr.user.linked {{ background: #ffe88a; }}
tr.gen.active, tr.user.active {{ background: #cfe0fb; }}
tr.linked td.no, tr.active td.no {{ color: #1d2330; font-weight: 600; }}
.kw {{ color: #7a2fa0; font-weight: 600; }}
.fn {{ color: #1f5fbf; font-weight: 600; }}
.bi {{ color: #0f7c86; }}
.num {{ color: #b04a0c; }}
.str {{ color: #2f7d32; }}
.com {{ color: #7d8595; font-style: italic; }}
.adj {{ color: #a0461b; }}
td.note span {{ margin-right: 10px; white-space: nowrap; display: inline-block; }}
.legend span.item {{ white-space: nowrap; }}
td.note b {{ font-weight: 600; font-family: {_FONT}; font-size: 11px; color: #1d2330; }}
td.note .adj b {{ color: #a0461b; }}
td.bar {{ width: 50px; min-width: 50px; padding-top: 6px !important; }}
.mag {{ display: block; width: 44px; height: 7px; border-radius: 4px; background: #eef0f4;
        overflow: hidden; }}
.mag i {{ display: block; height: 100%; background: #d07a12; border-radius: 4px; }}
.flag {{ border-radius: 4px; padding: 0 5px; font-weight: 600; }}
.flag.zero {{ background: #e3e9f5; color: #33507f; }}
.flag.tiny {{ background: #e7eef0; color: #3b6470; }}
.flag.huge {{ background: #ffe2c2; color: #8a3b12; }}
.flag.nonfinite {{ background: #fbd4d4; color: #9b1c1c; }}
.flag.notrun {{ background: none; color: #9aa1b0; font-style: italic; font-weight: normal; }}
tr.flag-zero td.no, tr.flag-tiny td.no {{ border-left-color: #5a7bb5; }}
tr.flag-huge td.no {{ border-left-color: #d07a12; }}
tr.flag-nonfinite td.no {{ border-left-color: #c62828; }}
tr.flag-nonfinite .mag i {{ background: #c62828; }}
tr.notrun td.src {{ opacity: 0.55; }}
"""


def _item(background: str, border: str, label: str) -> str:
    return (
        f'<span class="item"><span class="swatch" style="background:{background};'
        f'border-color:{border}"></span>{label}</span>'
    )


LEGEND = (
    '<p class="legend">'
    + _item("#fff", "#3f8f5a", "forward sweep")
    + _item("#fffaf2", "#d07a12", "backward sweep")
    + _item("#cfe0fb", "#5a7bb5", "line pointed at")
    + _item("#ffe88a", "#c9a516", "its counterparts")
    + "{flags}"
    + '<span class="hint">Hover a line to light its counterparts on the other side; click to '
    "keep them lit and scroll to them.</span></p>"
)

FLAGS_LEGEND = (
    _item("#d07a12", "#d07a12", "adjoint norm (log scale)")
    + ' <span class="item"><span class="flag zero">zero</span> <span class="flag tiny">vanishing'
    '</span> <span class="flag huge">huge</span> <span class="flag nonfinite">not finite</span>'
    "</span>"
)

SCRIPT = """
(function () {
  'use strict';
  var pinned = null;
  var marks = ['active', 'linked', 'group'];
  function linksOf(row) {
    return (row.getAttribute('data-links') || '').split(' ').map(function (id) {
      return id ? document.getElementById(id) : null;
    }).filter(Boolean);
  }
  function clear() {
    marks.forEach(function (name) {
      document.querySelectorAll('tr.' + name).forEach(function (r) { r.classList.remove(name); });
    });
  }
  function show(row) {
    clear();
    if (!row) return;
    row.classList.add('active');
    var linked = linksOf(row);
    linked.forEach(function (r) { r.classList.add('linked'); });
    if (row.classList.contains('gen')) {
      linked.forEach(function (user) {
        linksOf(user).forEach(function (g) { if (g !== row) g.classList.add('group'); });
      });
    }
  }
  function rowOf(event) {
    var t = event.target;
    return t && t.closest ? t.closest('tr[data-links]') : null;
  }
  document.addEventListener('mouseover', function (event) {
    var row = rowOf(event);
    if (row) show(row);
  });
  document.addEventListener('mouseout', function (event) {
    var row = rowOf(event);
    if (row && !row.contains(event.relatedTarget)) show(pinned);
  });
  document.addEventListener('click', function (event) {
    var row = rowOf(event);
    if (!row) return;
    pinned = pinned === row ? null : row;
    show(row);
    var first = linksOf(row)[0];
    if (pinned && first) first.scrollIntoView({block: 'center'});
  });
  var asked = /^#(hover|click)=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  if (asked) {
    var row = document.getElementById(asked[2]);
    if (row) {
      row.dispatchEvent(new MouseEvent(asked[1] === 'hover' ? 'mouseover' : 'click',
                                       {bubbles: true}));
    }
  }
})();
"""
